import * as tf from '@tensorflow/tfjs-core';
import { type SkipCause, nonFiniteCount } from '../precision/mixedPrecision.js';
import { type Tree, treeFlatten } from '../tree/tree.js';
import type { ProblemNode } from './program.js';
import type { UnreadLosses } from './unreadLosses.js';

/**
 * Errors that say why an update went wrong and what to change: they name the problem whose update
 * produced the bad values (not the neighbour that reads them) and the option to set. They run only
 * once something failed, so their host reads cost nothing on the hot path.
 */

/** The largest |entry| of a tree, and how many entries are not finite (host reads; error paths only). */
function magnitude(t: Tree): { max: number; bad: number; size: number } {
  return tf.tidy(() => {
    const leaves = treeFlatten(t).leaves.filter((x) => x.dtype === 'float32' && x.size > 0);
    const size = leaves.reduce((n, x) => n + x.size, 0);
    if (leaves.length === 0) return { max: 0, bad: 0, size };
    const finite = leaves.map((x) => tf.max(tf.where(tf.isFinite(x), tf.abs(x), tf.zerosLike(x))));
    const [max, bad] = tf.stack([tf.max(tf.stack(finite)), nonFiniteCount(t)]).dataSync() as unknown as [number, number];
    return { max, bad, size };
  });
}

/** Where to lower a problem's learning rate. */
export function lowerLearningRate(name: string): string {
  return `lower the learning rate of problem '${name}' (the lr of its options.optimizer, e.g. sgd({lr}); --lr ${name}=X on the command line)`;
}

/**
 * The error for update `k` of `node` whose new parameters `params` hold Inf or NaN (its loss was
 * finite), from `grads`, the gradient the update used (after `gradCallback`): tells a non-finite
 * gradient (data, training step, the callback, or a hypergradient through a lower problem) from an
 * update that overflowed (the learning rate).
 */
export function nonFiniteParamsError(node: ProblemNode, k: number, params: Tree, grads: Tree): Error {
  const p = magnitude(params);
  const head = `problem '${node.name}': update ${k} made its parameters non-finite (${p.bad} of ${p.size} entries are Inf or NaN)`;
  const g = magnitude(grads);
  return paramsError(node, head, g.bad, ` (largest |g| = ${g.max.toPrecision(3)})`);
}

/** The error text for non-finite parameters whose gradient had `badGrads` non-finite entries (null: some, not counted). */
function paramsError(node: ProblemNode, head: string, badGrads: number | null, largest: string): Error {
  const count = badGrads === null ? '' : ` (${badGrads} entries)`;
  if (badGrads === 0) return new Error(`${head}, from a finite gradient${largest}: the step overflowed; ${lowerLearningRate(node.name)}`);
  if (node.lowers.length > 0) {
    const through = node.lowers.map((l) => `'${l.name}' (${l.problem.config.hypergradient.method})`).join(', ');
    return new Error(`${head}: its gradient is not finite${count}; it holds the hypergradients through ${through}: check their config.hypergradient ` +
      '(e.g. the alpha of neumann or fixedPoint must be below 2 / lambda_max of that problem\'s Hessian), then the data and the training step');
  }
  return new Error(`${head}: its gradient on this batch is not finite${count}: check the data and the training step`);
}

/**
 * The error for update `k` of `node` found non-finite when its numbers were read, after later
 * updates (the engine reads them in batches; see {@link UnreadLosses}): its loss, and whether its
 * new parameters and its gradient held an Inf or NaN (sums kept on the device with the update,
 * see `nonFiniteFlag`; `gradientBad`). The same texts as {@link nonFiniteParamsError} and {@link nonFiniteLossError},
 * without what would need the state before the update (entry counts, magnitudes).
 */
export function unreadUpdateError(node: ProblemNode, k: number, loss: number, gradientBad: boolean): Error {
  if (!Number.isFinite(loss)) return nonFiniteLossError(node, k, loss);
  const e = paramsError(node, `problem '${node.name}': update ${k} made its parameters non-finite (entries are Inf or NaN)`, gradientBad ? null : 0, '');
  e.message += ` (seen in the sums kept with each update, which finite entries summing past float32's range, |sum| > 3.4e38, also overflow)`;
  return e;
}

/**
 * The error for a non-finite loss at update `k` of `node` (its own parameters are finite: every
 * update checks them). Reports the magnitude of the values the loss reads, and advises lowering
 * the learning rate of whichever problem's values are largest (an upper whose step blew its
 * values up shows here, at the first loss that reads them).
 */
export function nonFiniteLossError(node: ProblemNode, k: number, loss: number): Error {
  const own = { name: node.name, max: magnitude(node.problem.params).max };
  // Read when the loss is: after later updates when it was kept unread, the largest finite |value| now.
  const uppers = node.uppers.map((u) => ({ name: u.name, max: magnitude(u.problem.params).max }));
  const largest = [own, ...uppers].reduce((a, b) => (b.max > a.max ? b : a));
  const deferred = node.lowers.filter((l) => l.problem.deferred).map((l) => `'${l.name}'`);
  const parts = [
    `problem '${node.name}': loss is ${loss} at update ${k}, with finite parameters (largest |value| ${own.max.toPrecision(3)})`,
    uppers.length > 0 ? `; it reads ${uppers.map((u) => `'${u.name}' (largest |value| ${u.max.toPrecision(3)})`).join(', ')}` : '',
    deferred.length > 0 ? `; the inner loops of ${deferred.join(', ')} are replayed inside this loss: if one diverged, lower its learning rate` : '',
    `: check the data and the training step, or ${lowerLearningRate(largest.name)}`,
  ];
  return new Error(parts.join(''));
}

/** A problem's updates in one run: attempted, skipped by mixed precision, and the last skip's cause. */
export interface SkipTally {
  /** Updates attempted (made or skipped). */
  attempted: number;
  /** Updates skipped. */
  skipped: number;
  /** Why the last skipped update was skipped. */
  cause: SkipCause | null;
}

/**
 * Throws when more than `config.maxSkippedShare` of `node`'s attempted updates in a run were
 * skipped: such a run trained (almost) nothing, which must not pass for success. The error names
 * the problem, the loss scale and the cause.
 */
export function checkSkips(node: ProblemNode, tally: SkipTally): void {
  const { config, scaler } = node.problem;
  if (tally.skipped === 0 || tally.skipped <= config.maxSkippedShare * tally.attempted) return;
  const scale = scaler === null ? `without loss scaling (precision ${config.precision})`
    : `at loss scale ${scaler.scale} (initial ${config.lossScale?.initial}, minScale ${config.lossScale?.minScale})`;
  const cause = tally.cause === 'loss'
    ? 'the loss itself was not finite (Inf or NaN), which no loss scale can fix: check the data and the training step'
    : `the ${config.precision} gradients held Inf or NaN: lower config.lossScale.initial or minScale, use precision bf16, or ${lowerLearningRate(node.name)}`;
  throw new Error(`problem '${node.name}': ${tally.skipped} of ${tally.attempted} updates in this run were skipped (more than config.maxSkippedShare = ` +
    `${config.maxSkippedShare}), ${scale}; the last skip's cause: ${cause}`);
}
