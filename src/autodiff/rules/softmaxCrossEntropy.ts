import * as tf from '@tensorflow/tfjs-core';
import { customVjp } from '../customVjp.js';
import { untracked } from '../engineInternals.js';
import { isUnitSeed } from '../tape.js';
import { offerValue } from '../valueCache.js';

/**
 * The values of the op: `log p = z - logsumexp(z)` along the last axis, and the loss, per row
 * (`l_r = -sum_k y_rk log p_rk`) or, with `scale`, the scaled total `scale * sum_r l_r`. Nine
 * kernels, computed with the tape off.
 */
function forward(labels: tf.Tensor, logits: tf.Tensor, scale: number | undefined): [tf.Tensor, tf.Tensor] {
  return untracked(() => tf.tidy(() => {
    const shifted = tf.sub(logits, tf.max(logits, -1, true));
    const logp = tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), -1, true)));
    const yLogp = tf.mul(labels, logp);
    const loss = scale === undefined ? tf.neg(tf.sum(yLogp, -1)) : tf.mul(tf.sum(yLogp), -scale);
    return [loss, logp] as [tf.Tensor, tf.Tensor];
  }));
}

/**
 * Softmax cross-entropy as one recorded op with its own derivatives, for logits `z` and label
 * weights `y` (one-hot or probabilities) of the same shape, classes along the last axis:
 * `l_r = -sum_k y_rk log softmax(z_r)_k`, returned per row (shape `z.shape[:-1]`) or, when `scale`
 * is given, as the scalar `scale * sum_r l_r` (`scale = 1/rows` is the mean).
 *
 * The op has two outputs, the loss and `log p = log softmax(z)` (kept for its backward pass, not
 * returned). With `c` the loss's cotangent (times `scale`, or per row) and `u` that of `log p`:
 * `dz = c (s p - y) + u - p sum_k u_k` with `s = sum_k y_k` (1 for one-hot labels) and
 * `dy = -c log p`. These are written with ops of the saved inputs and of the saved `log p`, which
 * the tape links back to this op: a gradient of the gradient (the Hessian `c (diag(p) - p p^T)`
 * applied to a vector) goes through the same formulas, at any order. Against the kernel-by-kernel
 * log-softmax chain, a gradient runs 15 kernels instead of about 35 and a Hessian-vector product
 * about 25 instead of about 70.
 *
 * @param labels - float32 label weights, the shape of `logits` (a constant or differentiable).
 * @param logits - float32 logits of rank >= 1.
 * @param scale - when given, the rows' losses are summed and multiplied by it.
 * @example
 * ```ts
 * softmaxCrossEntropyOp(tf.tensor2d([[0, 0, 1]]), tf.tensor2d([[1, 2, 3]])); // [0.4076]
 * ```
 */
export function softmaxCrossEntropyOp(labels: tf.Tensor, logits: tf.Tensor, scale?: number): tf.Tensor {
  const [loss, logp] = forward(labels, logits, scale);
  const [out, logpOut] = customVjp('softmaxCrossEntropy', [labels, logits], [loss, logp], ([c, u], [y, z], [, logpSaved]) => {
    const ls = logpSaved as tf.Tensor;
    const yi = y as tf.Tensor;
    // The loss's cotangent broadcast over the classes: a scalar times scale (the scale alone for
    // a gradient's unit seed), or one per row.
    const perRow = (): tf.Tensor | number => (scale === undefined
      ? tf.expandDims(c as tf.Tensor, -1)
      : isUnitSeed(c as tf.Tensor) ? scale : tf.mul(c as tf.Tensor, scale));
    return [
      () => (c === null || c === undefined ? tf.zerosLike(yi) : tf.neg(tf.mul(ls, perRow()))),
      () => {
        const p = tf.exp(ls);
        // The forward sweep's tangent rule needs exp(log p) too: shared, it runs no Exp.
        offerValue('exp', ls, p);
        let dz: tf.Tensor | null = null;
        if (c !== null && c !== undefined) dz = tf.mul(tf.sub(tf.mul(p, tf.sum(yi, -1, true)), yi), perRow());
        if (u !== null && u !== undefined) {
          const fromLogp = tf.sub(u, tf.mul(p, tf.sum(u, -1, true)));
          dz = dz === null ? fromLogp : tf.add(dz, fromLogp);
        }
        return dz ?? tf.zerosLike(z as tf.Tensor);
      },
    ];
  }, { attrs: { scale } });
  loss.dispose();
  logp.dispose();
  (logpOut as tf.Tensor).dispose();
  return out as tf.Tensor;
}
