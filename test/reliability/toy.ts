import * as tf from '@tensorflow/tfjs-core';
import { Engine, type HypergradientOptions, ImplicitProblem, IterativeProblem, type ProblemConfig, type StepContext, sgd } from '../../src/index.js';

/** Options of {@link toyBilevel}. */
export interface ToyOptions {
  /** The inner problem's configuration (unrollSteps 3 unless given). */
  innerConfig?: ProblemConfig;
  /** The inner problem's batches; default one batch `x = [1, 2, 3]`. */
  data?: tf.Tensor[] | (() => tf.Tensor);
  /** An IterativeProblem inside (default implicit). */
  iterative?: boolean;
  /** The outer learning rate; default 0.01. */
  outerLr?: number;
  /** The inner learning rate; default 0.1. */
  innerLr?: number;
  /** Engine iterations; default 6. */
  iterations?: number;
  /** The inner problem's gradient callback. */
  gradCallback?: (g: tf.Tensor) => tf.Tensor;
  /** The engine's `config.readEvery` (default the backend's). */
  readEvery?: number;
}

/**
 * A small bilevel program with a known Hessian: inner `L(w; a) = |w - a x|^2` (H = 2 I, so
 * `lambda_max = 2`), outer `|w* - 2|^2` over the scalar `a`. The caller disposes `engine` and `x`.
 */
export function toyBilevel(o: ToyOptions = {}) {
  const x = tf.tensor1d([1, 2, 3]);
  const [w0, a0] = [tf.zeros([3]), tf.scalar(1)]; // the problems copy them
  const innerOptions = {
    name: 'inner', module: { params: w0 }, optimizer: sgd({ lr: o.innerLr ?? 0.1 }), data: o.data ?? [x],
    config: { unrollSteps: 3, ...(o.innerConfig ?? {}) }, ...(o.gradCallback ? { gradCallback: o.gradCallback } : {}),
    trainingStep: (b: tf.Tensor, ctx: StepContext<tf.Tensor>) => tf.sum(tf.square(tf.sub(ctx.params, tf.mul(b, ctx.get<tf.Tensor>('outer'))))),
  };
  const inner = o.iterative ? new IterativeProblem<tf.Tensor, tf.Tensor>(innerOptions) : new ImplicitProblem<tf.Tensor, tf.Tensor>(innerOptions);
  const outer = new ImplicitProblem<tf.Tensor, number>({
    name: 'outer', module: { params: a0 as tf.Tensor }, optimizer: sgd({ lr: o.outerLr ?? 0.01 }), data: [0],
    trainingStep: (_b, ctx) => tf.sum(tf.square(tf.sub(ctx.get<tf.Tensor>('inner'), 2))),
  });
  tf.dispose([w0, a0]);
  const engine = new Engine({ problems: [outer, inner], dependencies: { u2l: { outer: ['inner'] }, l2u: { inner: ['outer'] } }, config: { iterations: o.iterations ?? 6, ...(o.readEvery !== undefined ? { readEvery: o.readEvery } : {}) } });
  return { engine, inner, outer, x, dispose: () => { engine.dispose(); x.dispose(); } };
}

/** A method for {@link toyBilevel}'s inner problem. */
export type ToyMethod = HypergradientOptions;
