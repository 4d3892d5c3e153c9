import * as tf from '@tensorflow/tfjs-core';
import { stopGradient } from '../autodiff/stopGradient.js';

/**
 * `log sum_i exp(x_i)` along `axis`, computed stably as `m + log sum exp(x - m)` with
 * `m = max(x)` held constant (the result does not depend on `m`, so neither does its derivative).
 * Twice differentiable with hypergrad's rules, unlike a customGrad formulation.
 */
export function logSumExp(x: tf.Tensor, axis = -1, keepDims = false): tf.Tensor {
  return tf.tidy(() => {
    const m = stopGradient(tf.max(x, axis, true));
    const lse = tf.add(m, tf.log(tf.sum(tf.exp(tf.sub(x, m)), axis, true)));
    return keepDims ? lse : tf.squeeze(lse, [tf.util.parseAxisParam(axis, x.shape)[0] as number]);
  });
}

/**
 * `log softmax(x) = x - logSumExp(x)` along `axis`. tfjs's `tf.logSoftmax` is a customGrad op,
 * whose second derivative tfjs gets wrong; this one is built from kernels with verified rules.
 * @example
 * ```ts
 * logSoftmax(tf.tensor2d([[1, 2, 3]])); // [[-2.41, -1.41, -0.41]]
 * ```
 */
export function logSoftmax(x: tf.Tensor, axis = -1): tf.Tensor {
  return tf.tidy(() => tf.sub(x, logSumExp(x, axis, true)));
}
