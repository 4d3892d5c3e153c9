import * as tf from '@tensorflow/tfjs-core';
import { valueAndGrad } from '../../autodiff/grad.js';
import { type Digits, mnistSplits } from '../../data/mnist.js';
import { sparseSoftmaxCrossEntropy } from '../../losses/losses.js';
import { sgd } from '../../optim/optimizers.js';
import { applyUpdates } from '../../optim/transforms.js';
import type { Benchmark, Config, EvalResult } from '../../hpo/types.js';
import { type Mlp, initMlp, mlpLogits, mlpValidation } from '../../models/mlp.js';
import { type Tree, tidyTree, treeDispose } from '../../tree/tree.js';
import { seededRandom, shuffleInPlace } from '../../util/random.js';
import { checkInteger, checkNumber } from '../../util/validate.js';

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
      const epochs = checkInteger('mnist-mlp', 'fidelity (epochs)', fidelity ?? maxEpochs, { min: 1, max: maxEpochs });
      const num = (k: string, min: number, max: number) => checkNumber('mnist-mlp', `config.${k}`, config[k], { min, max });
      const hp = { lr: num('learning_rate', 1e-3, 1), weightDecay: num('weight_decay', 1e-6, 1e-1), hidden: Math.round(num('hidden_units', 16, 128)), batchSize: Math.round(num('batch_size', 32, 256)) };
      splits ??= mnistSplits([trainSize, validSize], dataSeed);
      const [train, valid] = splits as [Digits, Digits];
      const r = trainMnistMlp(train, valid, hp, epochs, seed);
      return { loss: r.error, validCrossEntropy: r.loss, runtime: r.seconds };
    },
  };
}
