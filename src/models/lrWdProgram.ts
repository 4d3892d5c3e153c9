import * as tf from '@tensorflow/tfjs-core';
import { sparseSoftmaxCrossEntropy } from '../losses/losses.js';
import { Engine } from '../multilevel/engine.js';
import type { HypergradientOptions } from '../multilevel/hypergradients/types.js';
import { ImplicitProblem } from '../multilevel/problem.js';
import { adam, sgd } from '../optim/optimizers.js';
import { type Mlp, initMlp, mlpLogits } from './mlp.js';

/**
 * The bilevel program that tunes an MNIST MLP's learning rate and weight decay by hypergradient,
 * shared by gradient-based HPO (`gradientHpo`) and the `lr-wd-tuning` problem.
 * @module
 */

/** A minibatch of digits. */
export interface Batch {
  /** Pixels `[b, 784]`. */
  x: tf.Tensor2D;
  /** Labels `[b]`. */
  y: tf.Tensor1D;
}

/** The bilevel program tuning an MLP's learning rate and weight decay (see {@link lrWdProgram}). */
export interface LrWdProgram {
  /** The engine (one outer step per `segmentSteps` inner steps). */
  engine: Engine;
  /** The MLP, trained by SGD (unit rate, momentum 0.9) on `exp(log lr) * (CE + exp(log wd)/2 |W|^2)`. */
  inner: ImplicitProblem<Mlp, Batch>;
  /** `[log lr, log wd]`, trained by Adam on the validation cross-entropy. */
  outer: ImplicitProblem<tf.Tensor1D, Batch>;
}

/**
 * Builds the program: the learning rate enters as a factor on the inner loss under a unit-rate SGD
 * (exactly SGD at that rate), so a hypergradient through the recorded steps (`unrolled`, the
 * default) reaches it; implicit methods see only the weight decay (the rate does not move the optimum).
 */
export function lrWdProgram(o: { hidden: number; segmentSteps: number; outerLr: number; initialLr: number; initialWeightDecay: number;
  rand: () => number; trainBatches: () => Batch; validBatches: () => Batch; method?: HypergradientOptions }): LrWdProgram {
  const mlp0 = initMlp(o.hidden, o.rand);
  const h0 = tf.tensor1d([Math.log(o.initialLr), Math.log(o.initialWeightDecay)]);
  const inner = new ImplicitProblem<Mlp, Batch>({
    name: 'inner', module: { params: mlp0 }, optimizer: sgd({ lr: 1, momentum: 0.9 }), data: o.trainBatches,
    config: { hypergradient: o.method ?? { method: 'unrolled' }, unrollSteps: o.segmentSteps },
    trainingStep: (b, ctx) => {
      const [logLr, logWd] = tf.unstack(ctx.get<tf.Tensor1D>('outer')) as [tf.Scalar, tf.Scalar];
      const p = ctx.params;
      const l2 = tf.addN([tf.sum(tf.square(p.w1)), tf.sum(tf.square(p.w2))]);
      return tf.mul(tf.exp(logLr), tf.add(sparseSoftmaxCrossEntropy(b.y, mlpLogits(p, b.x)), tf.mul(0.5, tf.mul(tf.exp(logWd), l2))));
    },
  });
  const outer = new ImplicitProblem<tf.Tensor1D, Batch>({
    name: 'outer', module: { params: h0 }, optimizer: adam({ lr: o.outerLr }),
    data: o.validBatches,
    paramCallback: (h) => tf.clipByValue(h, Math.log(1e-6), Math.log(1)) as tf.Tensor1D,
    trainingStep: (b, ctx) => sparseSoftmaxCrossEntropy(b.y, mlpLogits(ctx.get<Mlp>('inner'), b.x)),
  });
  tf.dispose([...Object.values(mlp0), h0]); // the problems hold their own copies
  const engine = new Engine({ problems: [outer, inner], dependencies: { u2l: { outer: ['inner'] }, l2u: { inner: ['outer'] } }, config: { iterations: o.segmentSteps } });
  return { engine, inner, outer };
}

/** A function drawing random minibatches of `size` from `(x, y)` (n rows) with `rand`. */
export function randomBatches(x: tf.Tensor2D, y: tf.Tensor1D, n: number, size: number, rand: () => number): () => Batch {
  return () => tf.tidy(() => {
    const idx = tf.tensor1d(Array.from({ length: size }, () => Math.floor(rand() * n)), 'int32');
    return { x: tf.keep(tf.gather(x, idx)) as tf.Tensor2D, y: tf.keep(tf.gather(y, idx)) as tf.Tensor1D };
  });
}
