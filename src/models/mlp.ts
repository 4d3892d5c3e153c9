import * as tf from '@tensorflow/tfjs-core';
import { sparseSoftmaxCrossEntropy } from '../losses/losses.js';
import { normalTensor } from '../util/random.js';

/**
 * A one-hidden-layer MLP for MNIST digits (784-h-10, ReLU), shared by the `mnist-mlp` benchmark,
 * gradient-based HPO and the data-parallel problem: one definition of the model, its
 * initialisation and its validation metrics.
 * @module
 */

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

/**
 * He-initialised MLP parameters (784-h-10; He et al. 2015): `W1 ~ N(0, 2/784)`, `W2 ~ N(0, 2/h)`,
 * zero biases, the weights drawn from `rand` (W1 first, then W2).
 */
export function initMlp(hidden: number, rand: () => number): Mlp {
  return {
    w1: tf.tidy(() => tf.mul(normalTensor([784, hidden], rand), Math.sqrt(2 / 784))) as tf.Tensor2D, b1: tf.zeros([hidden]),
    w2: tf.tidy(() => tf.mul(normalTensor([hidden, 10], rand), Math.sqrt(2 / hidden))) as tf.Tensor2D, b2: tf.zeros([10]),
  };
}

/** Validation metrics of an MLP. */
export interface MlpValidation {
  /** Validation error (fraction misclassified). */
  error: number;
  /** Validation cross-entropy (1e6 when it is not finite). */
  loss: number;
}

/** `[examples misclassified, mean cross-entropy]` of the MLP on `(x, y)`, on the device. */
function validationCounts(p: Mlp, x: tf.Tensor2D, y: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const z = mlpLogits(p, x);
    return tf.stack([tf.sum(tf.cast(tf.notEqual(tf.argMax(z, 1), y), 'float32')), sparseSoftmaxCrossEntropy(y, z)]) as tf.Tensor1D;
  });
}

function asValidation(v: ArrayLike<number>, y: tf.Tensor1D): MlpValidation {
  const [wrong, loss] = [v[0] as number, v[1] as number];
  return { error: wrong / (y.shape[0] as number), loss: Number.isFinite(loss) ? loss : 1e6 };
}

/** Validation error (fraction misclassified) and cross-entropy of the MLP on `(x, y)` (one synchronous read). */
export function mlpValidation(p: Mlp, x: tf.Tensor2D, y: tf.Tensor1D): MlpValidation {
  const t = validationCounts(p, x, y);
  const v = t.dataSync();
  t.dispose();
  return asValidation(v, y);
}

/** {@link mlpValidation} read asynchronously (`await data()`: runs on webgpu). */
export async function readMlpValidation(p: Mlp, x: tf.Tensor2D, y: tf.Tensor1D): Promise<MlpValidation> {
  const t = validationCounts(p, x, y);
  try {
    return asValidation(await t.data(), y);
  } finally {
    t.dispose();
  }
}
