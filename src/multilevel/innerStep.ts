import * as tf from '@tensorflow/tfjs-core';
import { applyUpdates } from '../optim/transforms.js';
import type { GradientTransformation, Schedule } from '../optim/types.js';
import { type Tree, tidyTree, treeFlatten } from '../tree/tree.js';
import { treeAdd, treeScale } from '../tree/treeMath.js';

/** A problem's gradient on one batch: `grad_w F(w, theta; batch)` and the loss `F`. */
export interface BatchGradient<P extends Tree = Tree> {
  /** The loss on the batch (unscaled). */
  loss: tf.Scalar;
  /** The gradient with respect to the problem's parameters, as it is stored (see mixed precision). */
  grads: P;
}

/**
 * What the inner step needs of a problem, as plain functions: its gradient on a batch (the
 * problem's objective differentiated by its oracle, through mixed precision's storage when the
 * problem is 16-bit) and its update rule.
 */
export interface StepDefinition<P extends Tree = Tree, B = unknown> {
  /** `grad_w F(w, theta; batch)`, differentiable in `w` and `theta` (for replays). */
  gradient: (w: P, theta: readonly Tree[], batch: B) => BatchGradient<P>;
  /** The optimizer. */
  optimizer: GradientTransformation<Tree>;
  /** A multiplier on the updates: `u_k * schedule(k)`. */
  schedule?: Schedule;
  /** Applied to each micro-batch's gradient before averaging, with tf ops. */
  gradCallback?: (grads: P) => P;
  /** Applied to the parameters after each update (e.g. clamping), with tf ops. */
  paramCallback?: (params: P) => P;
}

/** The result of one {@link innerStep}. */
export interface StepOutcome<P extends Tree = Tree> {
  /** Parameters after the update. */
  params: P;
  /** Optimizer state after the update. */
  state: Tree;
  /** The mean loss over the micro-batches. */
  loss: tf.Scalar;
  /** The mean gradient the optimizer used (after `gradCallback`), when `keepGradient` was asked. */
  grads?: P;
}

/** Options of {@link innerStep}. */
export interface InnerStepOptions {
  /** Also return the mean gradient (mixed precision checks it for Inf/NaN). */
  keepGradient?: boolean;
  /**
   * Free each gradient as soon as it is used, before the parameters are updated (the replays do:
   * it lowers the peak memory of a step recorded by an outer gradient); otherwise the step's scope
   * frees them at its end.
   */
  freeEarly?: boolean;
}

/**
 * THE inner step of a problem, as a pure function: update `k` from `(w, s)` on the micro-batches
 * `batches` with the uppers' parameters `theta`,
 *
 *   `g = (1/n) sum_i gradCallback(grad_w F(w, theta; b_i))`,  `(u, s') = optimizer.update(g, s, w, k)`,
 *   `w' = paramCallback(w + schedule(k) u)`.
 *
 * The engine's eager loop runs it, and every replay of a recorded inner loop (unrolled, ES, a
 * deferred problem's catch-up, a checkpointed reverse sweep) differentiates it, so what is
 * differentiated is what ran. Written with tf ops throughout; with `freeEarly` the gradients are
 * freed as soon as the optimizer has used them (a recording tape keeps what its backward pass
 * needs), which lowers the peak memory of a recorded step.
 */
export function innerStep<P extends Tree, B>(def: StepDefinition<P, B>, w: P, s: Tree, batches: readonly B[], theta: readonly Tree[], k: number,
  options: InnerStepOptions = {}): StepOutcome<P> {
  if (batches.length === 0) throw new Error('innerStep: an update needs at least one micro-batch');
  return tidyTree(() => {
    let sum: P | null = null;
    let loss: tf.Scalar | null = null;
    for (const b of batches) {
      const r = def.gradient(w, theta, b);
      const g = def.gradCallback ? def.gradCallback(r.grads) : r.grads;
      if (options.freeEarly && g !== r.grads) disposeExcept([r.grads], [g, w, s, theta]);
      if (sum === null) sum = g;
      else {
        const next: P = treeAdd(sum, g);
        if (options.freeEarly) disposeExcept([sum, g], [w, s, theta]);
        sum = next;
      }
      loss = loss === null ? r.loss : (tf.add(loss, r.loss) as tf.Scalar);
    }
    const n = batches.length;
    const mean = n === 1 ? (sum as P) : treeScale(sum as P, 1 / n);
    const [u, next] = def.optimizer.update(mean, s, w, k);
    // The gradients go once the optimizer has used them (before the parameters are updated).
    if (options.freeEarly && !options.keepGradient) disposeExcept([mean, sum as P], [u, next, w, s, theta]);
    const scaled = def.schedule ? treeScale(u, def.schedule(k)) : u;
    let params = applyUpdates(w, scaled);
    if (def.paramCallback) params = def.paramCallback(params);
    const meanLoss = (n === 1 ? loss : tf.div(loss as tf.Scalar, n)) as tf.Scalar;
    return (options.keepGradient ? { params, state: next, loss: meanLoss, grads: mean } : { params, state: next, loss: meanLoss }) as unknown as Tree;
  }) as unknown as StepOutcome<P>;
}

/** Disposes the leaves of `trees` that are not leaves of `keep` (a leaf met twice is freed once: a second dispose is a no-op). */
export function disposeExcept(trees: readonly Tree[], keep: readonly Tree[]): void {
  const kept = new Set<tf.Tensor>();
  for (const t of keep) for (const x of treeFlatten(t).leaves) kept.add(x);
  for (const t of trees) for (const x of treeFlatten(t).leaves) if (!kept.has(x)) x.dispose();
}
