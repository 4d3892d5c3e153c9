import * as tf from '@tensorflow/tfjs-core';
import {
  Engine, type HypergradientOptions, ImplicitProblem, IterativeProblem, type Precision, type ProblemOptions, normalTensor, seededRandom,
  sgd, sigmoidCrossEntropy,
} from '../../src/index.js';

type Batch = { x: tf.Tensor2D; y: tf.Tensor1D };

/**
 * BETTY's logistic-regression L2 HPO regression test, reproduced: n = 1000, d = 20, labels
 * 1[x . w0 + 0.1 eps > 0], 50/50 train/validation split; inner BCE + 1/2 w^T diag(lambda) w from
 * w = 0 with SGD lr 0.1, 100 steps per outer step; outer SGD lr 1 momentum 0.9 on lambda, clamped
 * at 1e-8.
 */
export function logisticHpo(method: HypergradientOptions, seed = 0, innerSteps = 100, precision: Precision = 'fp32') {
  const rand = seededRandom(seed);
  const n = 1000;
  const d = 20;
  const x = normalTensor([n, d], rand);
  const w0 = normalTensor([d, 1], rand);
  const eps = normalTensor([n, 1], rand);
  const y = tf.tidy(() => tf.cast(tf.greater(tf.squeeze(tf.add(tf.matMul(x, w0), tf.mul(0.1, eps)), [1]), 0), 'float32')) as tf.Tensor1D;
  const [xt, xv] = tf.split(x, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
  const [yt, yv] = tf.split(y, 2, 0) as [tf.Tensor1D, tf.Tensor1D];
  const train: Batch = { x: xt, y: yt };
  const valid: Batch = { x: xv, y: yv };
  const logits = (w: tf.Tensor, b: Batch) => tf.squeeze(tf.matMul(b.x, tf.reshape(w, [d, 1])), [1]);
  const innerOptions: ProblemOptions<tf.Tensor, Batch> = {
    name: 'inner', module: { params: tf.zeros([d]) }, optimizer: sgd({ lr: 0.1 }), data: [train],
    config: { hypergradient: method, unrollSteps: innerSteps, precision },
    trainingStep: (b, ctx) => tf.add(sigmoidCrossEntropy(b.y, logits(ctx.params, b)), tf.mul(0.5, tf.sum(tf.mul(ctx.get<tf.Tensor>('outer'), tf.square(ctx.params))))),
  };
  const inner = method.method === 'unrolled' ? new IterativeProblem(innerOptions) : new ImplicitProblem(innerOptions);
  const outer = new ImplicitProblem<tf.Tensor, Batch>({
    name: 'outer', module: { params: tf.ones([d]) }, optimizer: sgd({ lr: 1, momentum: 0.9 }), data: [valid], config: { precision },
    paramCallback: (lam) => tf.maximum(lam, 1e-8),
    trainingStep: (b, ctx) => sigmoidCrossEntropy(b.y, logits(ctx.get<tf.Tensor>('inner'), b)),
  });
  const validationLoss = () => tf.tidy(() => sigmoidCrossEntropy(valid.y, logits(inner.params, valid)).dataSync()[0] as number);
  const engine = (iterations: number) =>
    new Engine({ problems: [outer, inner], dependencies: { u2l: { outer: ['inner'] }, l2u: { inner: ['outer'] } }, config: { iterations } });
  return { inner, outer, engine, validationLoss, dispose: () => tf.dispose([x, w0, eps, y, xt, xv, yt, yv]) };
}
