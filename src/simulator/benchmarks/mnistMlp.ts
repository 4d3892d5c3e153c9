import * as tf from '@tensorflow/tfjs-core';
import { valueAndGrad } from '../../autodiff/grad.js';
import { type Digits, mnistSplits } from '../../data/mnist.js';
import { sparseSoftmaxCrossEntropy } from '../../losses/losses.js';
import { sgd } from '../../optim/optimizers.js';
import { applyUpdates } from '../../optim/transforms.js';
import { type Tree, tidyTree, treeDispose } from '../../tree/tree.js';
import { normalTensor, seededRandom, shuffleInPlace } from '../../util/random.js';
import type { Config, EvalResult } from '../types.js';
import type { Benchmark } from './types.js';

/** Options of {@link mnistMlp}. */
export interface MnistMlpOptions {
  /** Training digits; default 4000. */
  trainSize?: number;
  /** Validation digits; default 2000. */
  validSize?: number;
  /** The maximal fidelity (epochs); default 20. */
  maxEpochs?: number;
  /** Seed of the data split; default 0. */
  dataSeed?: number;
}

/** The hyperparameters {@link trainMnistMlp} takes. */
export interface MlpHyperparameters {
  /** SGD learning rate. */
  lr: number;
  /** L2 weight decay. */
  weightDecay: number;
  /** Hidden units. */
  hidden: number;
  /** Minibatch size. */
  batchSize: number;
}

/** What {@link trainMnistMlp} measured. */
export interface MlpTrainingResult {
  /** Validation error (fraction misclassified). */
  error: number;
  /** Validation cross-entropy. */
  loss: number;
  /** Wall-clock training time in seconds. */
  seconds: number;
}

/** A one-hidden-layer MLP's parameters (784-h-10). */
export interface Mlp {
  /** First layer weights `[784, h]`. */
  w1: tf.Tensor2D;
  /** First layer bias `[h]`. */
  b1: tf.Tensor1D;
  /** Output weights `[h, 10]`. */
  w2: tf.Tensor2D;
  /** Output bias `[10]`. */
  b2: tf.Tensor1D;
  [key: string]: tf.Tensor;
}

/** Logits of the MLP: `relu(x W1 + b1) W2 + b2`. */
export function mlpLogits(p: Mlp, x: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, p.w1), p.b1)), p.w2), p.b2) as tf.Tensor2D;
}

/** He-initialised MLP parameters (784-h-10), drawn from `rand`. */
export function initMlp(hidden: number, rand: () => number): Mlp {
  return {
    w1: tf.tidy(() => tf.mul(normalTensor([784, hidden], rand), Math.sqrt(2 / 784))) as tf.Tensor2D, b1: tf.zeros([hidden]),
    w2: tf.tidy(() => tf.mul(normalTensor([hidden, 10], rand), Math.sqrt(2 / hidden))) as tf.Tensor2D, b2: tf.zeros([10]),
  };
}

/** Validation error (fraction misclassified) and cross-entropy of the MLP on `(x, y)`. */
export function mlpValidation(p: Mlp, x: tf.Tensor2D, y: tf.Tensor1D): Omit<MlpTrainingResult, 'seconds'> {
  return tf.tidy(() => {
    const z = mlpLogits(p, x);
    const wrong = tf.sum(tf.cast(tf.notEqual(tf.argMax(z, 1), y), 'float32')).dataSync()[0] as number;
    const loss = sparseSoftmaxCrossEntropy(y, z).dataSync()[0] as number;
    return { error: wrong / (y.shape[0] as number), loss: Number.isFinite(loss) ? loss : 1e6 };
  });
}

/**
 * Validation error of an MLP (784-h-10, ReLU) trained with SGD (momentum 0.9, L2 weight decay) for
 * `epochs` epochs on an MNIST split, with minibatches in a seeded order. Returns the error and the
 * measured training time in seconds (tensors built and freed inside).
 */
export function trainMnistMlp(train: Digits, valid: Digits, hp: MlpHyperparameters, epochs: number, seed: number): MlpTrainingResult {
  const rand = seededRandom(seed);
  let params = initMlp(hp.hidden, rand);
  const opt = sgd({ lr: hp.lr, momentum: 0.9, weightDecay: hp.weightDecay });
  let state = opt.init(params);
  const xs = tf.tensor2d(train.x, [train.n, 784]);
  const ys = tf.tensor1d(train.y, 'int32');
  const loss = (p: Mlp, x: tf.Tensor2D, y: tf.Tensor1D) => sparseSoftmaxCrossEntropy(y, mlpLogits(p, x));
  const t0 = performance.now();
  let step = 0;
  for (let e = 0; e < epochs; e++) {
    const order = shuffleInPlace(Array.from({ length: train.n }, (_v, i) => i), rand);
    for (let s = 0; s + hp.batchSize <= train.n; s += hp.batchSize) {
      const [next, nextState] = tidyTree(() => {
        const idx = tf.tensor1d(order.slice(s, s + hp.batchSize), 'int32');
        const { grads } = valueAndGrad(loss)(params, tf.gather(xs, idx) as tf.Tensor2D, tf.gather(ys, idx) as tf.Tensor1D);
        const [u, st] = opt.update(grads, state, params, step);
        return [applyUpdates(params, u), st] as [Tree, Tree];
      }) as [Mlp, Tree[]];
      treeDispose(params);
      treeDispose(state);
      params = next;
      state = nextState;
      step++;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const vx = tf.tensor2d(valid.x, [valid.n, 784]);
  const vy = tf.tensor1d(valid.y, 'int32');
  const { error, loss: validLoss } = mlpValidation(params, vx, vy);
  treeDispose(params);
  treeDispose(state);
  tf.dispose([xs, ys, vx, vy]);
  return { error, loss: validLoss, seconds };
}

/**
 * The real-training benchmark `mnist-mlp`: trains an MLP on MNIST (the `mnist` package's digits)
 * for `fidelity` epochs with the configuration's learning rate, weight decay, hidden units and batch
 * size, and reports the validation error as `loss` (plus `validCrossEntropy`); its runtime is the
 * measured training time. Needs an initialised tfjs backend.
 */
export function mnistMlp({ trainSize = 4000, validSize = 2000, maxEpochs = 20, dataSeed = 0 }: MnistMlpOptions = {}): Benchmark {
  let splits: Digits[] | null = null;
  return {
    name: 'mnist-mlp',
    searchSpace: {
      learning_rate: { type: 'float', low: 1e-3, high: 1, log: true },
      weight_decay: { type: 'float', low: 1e-6, high: 1e-1, log: true },
      hidden_units: { type: 'int', low: 16, high: 128, log: true },
      batch_size: { type: 'int', low: 32, high: 256, log: true },
    },
    fidelity: { name: 'epoch', min: 1, max: maxEpochs },
    objectives: ['loss', 'validCrossEntropy'],
    objective: (config: Config, { fidelity, seed }): EvalResult => {
      const epochs = fidelity ?? maxEpochs;
      if (!(Number.isInteger(epochs) && epochs >= 1 && epochs <= maxEpochs)) throw new Error(`mnist-mlp: fidelity (epochs) must be an integer in [1, ${maxEpochs}], got ${epochs}`);
      const num = (k: string, lo: number, hi: number) => {
        const v = config[k];
        if (typeof v !== 'number' || !(v >= lo && v <= hi)) throw new Error(`mnist-mlp: config.${k} must be a number in [${lo}, ${hi}], got ${String(v)}`);
        return v;
      };
      const hp = { lr: num('learning_rate', 1e-3, 1), weightDecay: num('weight_decay', 1e-6, 1e-1), hidden: Math.round(num('hidden_units', 16, 128)), batchSize: Math.round(num('batch_size', 32, 256)) };
      splits ??= mnistSplits([trainSize, validSize], dataSeed);
      const [train, valid] = splits as [Digits, Digits];
      const r = trainMnistMlp(train, valid, hp, epochs, seed);
      return { loss: r.error, validCrossEntropy: r.loss, runtime: r.seconds };
    },
  };
}
