import * as tf from '@tensorflow/tfjs-core';
import { type SkipCause, isMixed, mixedPrecisionUpdate, nonFiniteCount } from '../precision/mixedPrecision.js';
import { type Tree, tidyTree, treeDispose } from '../tree/tree.js';
import { replayInnerLoop } from './hypergradients/unrolled.js';
import { nonFiniteLossError, nonFiniteParamsError } from './diagnose.js';
import { disposeExcept, innerStep } from './innerStep.js';
import type { ProblemNode } from './program.js';
import { batchOf, innerLoopOf } from './response.js';

/** What one training step of a problem did. */
export type StepReport =
  /** Drew a micro-batch; the update is not complete yet. */
  | { kind: 'pending' }
  /** Recorded a deferred update (computed later, inside the parents' objectives). */
  | { kind: 'deferred'; step: number }
  /** Made update `step` (1-based count after it) with this mean loss and metrics. */
  | { kind: 'update'; step: number; loss: number; metrics: Record<string, number> }
  /** Skipped a non-finite update (mixed precision) for `cause`; the loss scale is now `lossScale`. */
  | { kind: 'skip'; step: number; lossScale: number | null; cause: SkipCause };

/**
 * One training step of `node`'s problem: draws a batch and, once `gradientAccumulation`
 * micro-batches are in, makes one update with the pure inner step (through mixed precision's
 * wrapper), commits it and records it in the inner loop. A deferred problem (`defer`) only records
 * the update. With `metrics`, the training step's metrics are read (host reads). An update whose
 * loss or resulting parameters are not finite throws, naming this problem and the cause (the loss
 * and the parameters' finiteness are read together, one host read).
 */
export async function trainStep(node: ProblemNode, defer: boolean, metrics: boolean): Promise<StepReport> {
  const { problem } = node;
  problem.beginInnerLoop();
  const batch = await problem.nextBatch();
  const stream = problem.stream;
  stream.pending.push(batch);
  if (stream.pending.length < problem.config.gradientAccumulation) return { kind: 'pending' };
  const batches = stream.pending;
  stream.pending = [];
  const k = problem.updates;
  if (defer && k >= problem.config.warmupSteps) {
    problem.loop.push({ batches, step: k, scale: problem.scaler?.scale ?? 1 }, null, true);
    problem.updates++;
    return { kind: 'deferred', step: problem.updates };
  }
  catchUp(node);
  const theta = node.uppers.map((u) => u.problem.params);
  const snapshot = problem.loop.snapshot(problem.params, problem.optimizerState);
  const read: Record<string, number> = {};
  const scaleNow = problem.scaler?.scale ?? 1;
  const mixed = isMixed(problem.precision);
  const current: Tree[] = [problem.params, problem.optimizerState];
  const { outcome, scaler, skipped } = mixedPrecisionUpdate(problem.precision, problem.scaler, (scale) =>
    innerStep(node.stepAt(scale, metrics ? read : undefined), problem.params, problem.optimizerState, batches, theta, k, { keepGradient: mixed }),
  (o) => disposeExcept([o.loss, o.params, o.state, o.grads ?? []], current));
  problem.scaler = scaler;
  if (outcome === null) return { kind: 'skip', step: k, lossScale: scaler?.scale ?? null, cause: skipped ?? 'loss' };
  const [loss, badParams] = tf.tidy(() => tf.stack([outcome.loss, nonFiniteCount(outcome.params)]).dataSync()) as unknown as [number, number];
  if (outcome.grads !== undefined) disposeExcept([outcome.grads], [...current, outcome.params, outcome.state]);
  if (!Number.isFinite(loss) || badParams !== 0) {
    const params = outcome.params;
    disposeExcept([outcome.loss, outcome.state], current);
    try {
      throw Number.isFinite(loss) ? nonFiniteParamsError(node, k, params, batches, theta) : nonFiniteLossError(node, k, loss);
    } finally {
      disposeExcept([params], current);
    }
  }
  outcome.loss.dispose();
  problem.commit(outcome.params, outcome.state);
  problem.loop.push({ batches, step: k, scale: scaleNow }, snapshot);
  problem.updates++;
  return { kind: 'update', step: problem.updates, loss, metrics: read };
}

/**
 * Brings a deferred problem's parameters up to date: takes the result a parent's objective
 * computed for its pending updates, or replays them now with the uppers' current parameters (as
 * constants). A no-op when nothing is pending.
 */
export function catchUp(node: ProblemNode): void {
  const { problem } = node;
  const loop = problem.loop;
  if (loop.pending === 0) return;
  const captured = loop.result;
  if (captured !== null) {
    problem.restore(captured[0], captured[1]);
  } else {
    const theta = node.uppers.map((u) => u.problem.params);
    const [w, s] = tidyTree(() => replayInnerLoop(node.name, innerLoopOf(node), theta));
    problem.restore(w, s);
    treeDispose([w, s]);
  }
  loop.settle();
}

/** The total gradient of `node`'s loss on its current batch (the direct term and every hypergradient below it). */
export function totalGradient(node: ProblemNode): Tree {
  const { problem } = node;
  catchUp(node);
  const batch = batchOf(node);
  const theta = node.uppers.map((u) => u.problem.params);
  return tidyTree(() => {
    const r = node.stepAt(problem.scaler?.scale ?? 1).gradient(problem.params, theta, batch);
    r.loss.dispose();
    return r.grads;
  });
}
