import * as tf from '@tensorflow/tfjs-core';
import { hvp, mixedHvp } from '../autodiff/hvp.js';
import { gradients } from '../autodiff/tape.js';
import { type Tree, treeFlatten, treeUnflatten } from '../tree/tree.js';
import type { StepContext } from './problem.js';

/** A problem's loss on a batch and the named metrics its training step returned. */
export interface Evaluation {
  /** The scalar loss. */
  loss: tf.Scalar;
  /** Other values the step returned. */
  metrics: Record<string, tf.Tensor | number>;
}

/**
 * A problem's total objective `F(w, theta; batch)` as a function of explicit values: its
 * parameters `w`, its uppers' parameters `theta` (in the graph's order) and a batch; its lower
 * problems' optima enter as responses of these values.
 */
export type ProblemObjective<B = unknown> = (w: Tree, theta: readonly Tree[], batch: B) => Evaluation;

/** What {@link GradientOracle.gradient} returns. */
export interface OracleGradient {
  /** The loss `F` (unscaled). */
  loss: tf.Scalar;
  /** `grad_w (scale F)`. */
  grads: Tree;
}

/**
 * The derivatives of one problem's objective `F(w, theta; batch)` that the inner step and the
 * hypergradient methods ask for, by value. Where they are computed is the oracle's business: in
 * this thread by autodiff (`localOracle`), or on data-parallel replicas (`src/parallel`
 * implements one), so data parallelism is chosen once, by the oracle a problem gets.
 */
export interface GradientOracle<B = unknown> {
  /**
   * Whether the results are tf ops of the inputs (so a replay or an outer gradient can
   * differentiate them); replicas return constants.
   */
  readonly differentiable: boolean;
  /**
   * The loss and `grad_w (scale F)` on `batch`. With `metrics`, the training step's metrics are
   * kept into it (numbers, or kept scalar tensors the caller frees; read with the update's loss).
   */
  gradient(w: Tree, theta: readonly Tree[], batch: B, scale?: number, metrics?: Record<string, number | tf.Tensor>): OracleGradient;
  /** `d^2F/dw^2 u`. */
  hessianVector(w: Tree, theta: readonly Tree[], batch: B, u: Tree): Tree;
  /** `(d^2F/dtheta dw) x`, one tree per upper. */
  mixedVector(w: Tree, theta: readonly Tree[], batch: B, x: Tree): Tree[];
}

/**
 * What `ProblemOptions.parallel` takes: a backend computing a problem's derivatives elsewhere
 * (`DataParallel` is one). It supplies the problem's oracle and, when the problem gives none, its
 * training step in this thread (used for evaluation: validation, the hypergradients of problems
 * above it).
 */
export interface ParallelBackend {
  /** The loss on global batch `key` in this thread. */
  trainingStep(key: number, ctx: StepContext): tf.Scalar;
  /** The oracle of a problem whose uppers are `upperNames` (its `theta`, in that order). */
  oracle(problem: string, upperNames: readonly string[]): GradientOracle<number>;
}

/** The oracle of `objective` in this thread, by hypergrad's autodiff. */
export function localOracle<B>(objective: ProblemObjective<B>): GradientOracle<B> {
  return {
    differentiable: true,
    gradient(w, theta, batch, scale = 1, metrics) {
      const { leaves, def } = treeFlatten(w);
      const { value, grads } = gradients(() => {
        const r = objective(treeUnflatten(def, leaves), theta, batch);
        if (metrics !== undefined) for (const [k, v] of Object.entries(r.metrics)) keepMetric(metrics, k, v);
        return scale === 1 ? r.loss : tf.mul(r.loss, scale);
      }, leaves);
      const loss = scale === 1 ? value : tf.div(value, scale);
      if (scale !== 1) value.dispose();
      return { loss: loss as tf.Scalar, grads: treeUnflatten(def, grads) };
    },
    hessianVector: (w, theta, batch, u) => hvp((x: Tree) => objective(x, theta, batch).loss, w, u),
    mixedVector: (w, theta, batch, x) => mixedHvp((th: Tree[], ww: Tree) => objective(ww, th, batch).loss, theta as Tree[], w, x),
  };
}

/**
 * Stores metric `k` in `metrics`: a number as it is, a tensor as a kept clone (read later with the
 * update's loss, not here: no host read inside the step). A later micro-batch's value replaces it.
 */
function keepMetric(metrics: Record<string, number | tf.Tensor>, k: string, v: number | tf.Tensor): void {
  const prev = metrics[k];
  if (prev !== undefined && typeof prev !== 'number') prev.dispose();
  metrics[k] = typeof v === 'number' ? v : tf.keep(tf.clone(v));
}
