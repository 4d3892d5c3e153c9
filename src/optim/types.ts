import type { Tree } from '../tree/tree.js';

/** A learning-rate schedule: the rate at update `step` (0-based). */
export type Schedule = (step: number) => number;

/** A learning rate given as a constant or as a {@link Schedule}. */
export type LearningRate = number | Schedule;

/**
 * A gradient transformation (optax's model): a pair of pure functions over trees.
 * `init(params)` makes the state; `update(grads, state, params, step)` returns the updates to add to
 * the parameters and the new state. Everything is written with tf ops, so an update is
 * differentiable and can sit inside an unrolled hypergradient. `step` is the 0-based number of
 * updates made so far (kept by the caller, so schedules and bias corrections read a plain number).
 */
export interface GradientTransformation<S extends Tree = Tree> {
  /** The initial state for `params`. */
  init(params: Tree): S;
  /** `[updates, newState]`; apply with {@link applyUpdates}. */
  update(grads: Tree, state: S, params: Tree, step: number): [Tree, S];
}

/** Reads a learning rate at `step`. */
export function rateAt(lr: LearningRate, step: number): number {
  return typeof lr === 'number' ? lr : lr(step);
}
