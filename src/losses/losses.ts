/**
 * Losses, twice differentiable (every op has a second-order rule). One argument order for all:
 * **the labels (targets) first, then the predictions (logits)**, `loss(labels, predictions,
 * options)`, as in `tf.losses.*` and Keras's `loss(y_true, y_pred)`, so code that mixes them with
 * tfjs reads the same way.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { softmaxCrossEntropyOp } from '../autodiff/rules/softmaxCrossEntropy.js';
import { type LossOptions, assertSameShape, reduceLoss } from './reduce.js';

/** Per-example sums over every axis but the first. */
function perExample(x: tf.Tensor): tf.Tensor {
  return x.rank <= 1 ? x : tf.sum(x, x.shape.map((_d, i) => i).slice(1));
}

/**
 * Softmax cross-entropy `l_i = -sum_k y_ik log softmax(z_i)_k` for logits `z` `[batch, classes]`
 * and label probabilities (e.g. one-hot) `y` of the same shape, through a stable log-sum-exp, so it
 * is differentiable at any order (its Hessian in `z` is `diag(p) - p p^T` per example). One recorded
 * op with its own derivatives (`softmaxCrossEntropyOp`), reduced inside it when no weights are
 * given: a Hessian-vector product through it runs a few kernels, not the log-softmax chain.
 * @example
 * ```ts
 * softmaxCrossEntropy(tf.oneHot(tf.tensor1d([2], 'int32'), 3), tf.tensor2d([[1, 2, 3]])); // 0.4076
 * ```
 */
export function softmaxCrossEntropy(labels: tf.Tensor, logits: tf.Tensor, options?: LossOptions): tf.Tensor {
  assertSameShape('softmaxCrossEntropy', 'labels', labels, 'logits', logits);
  return tf.tidy(() => {
    const y = labels.dtype === 'float32' ? labels : tf.cast(labels, 'float32');
    const reduction = options?.reduction ?? 'mean';
    if (options?.weights === undefined && (reduction === 'mean' || reduction === 'sum')) {
      // Reduced inside the op: one recorded op from logits to the scalar loss.
      const rows = logits.size / Math.max(1, logits.shape[logits.rank - 1] as number);
      return softmaxCrossEntropyOp(y, logits, reduction === 'sum' ? 1 : 1 / rows);
    }
    return reduceLoss(softmaxCrossEntropyOp(y, logits), options, 'softmaxCrossEntropy');
  });
}

/**
 * Softmax cross-entropy with integer class labels `[batch]` (`l_i = -log softmax(z_i)_{y_i}`).
 * @throws when `labels` is not an int32 vector with one label per row of `logits`.
 */
export function sparseSoftmaxCrossEntropy(labels: tf.Tensor, logits: tf.Tensor, options?: LossOptions): tf.Tensor {
  if (labels.rank !== 1 || labels.dtype !== 'int32' || logits.rank !== 2 || labels.shape[0] !== logits.shape[0]) {
    throw new Error(
      `sparseSoftmaxCrossEntropy: labels must be int32 of shape [batch] and logits [batch, classes]; got ` +
        `labels ${labels.dtype} [${labels.shape}], logits [${logits.shape}]`,
    );
  }
  return tf.tidy(() => softmaxCrossEntropy(tf.oneHot(labels, logits.shape[1] as number), logits, options));
}

/**
 * Binary cross-entropy with logits, `l = softplus(z) - y z` (stable for any `z`), summed over
 * non-batch axes; `y` in [0, 1] of the shape of `z`.
 */
export function sigmoidCrossEntropy(labels: tf.Tensor, logits: tf.Tensor, options?: LossOptions): tf.Tensor {
  assertSameShape('sigmoidCrossEntropy', 'labels', labels, 'logits', logits);
  return tf.tidy(() =>
    reduceLoss(perExample(tf.sub(tf.softplus(logits), tf.mul(tf.cast(labels, 'float32'), logits))), options, 'sigmoidCrossEntropy'),
  );
}

/**
 * Mean squared error: `l_i = mean_j (p_ij - t_ij)^2` per example, then the reduction. Targets
 * first, like every loss here (and `tf.losses.meanSquaredError(labels, predictions)`).
 * @example
 * ```ts
 * meanSquaredError(tf.tensor1d([1, 2]), tf.tensor1d([1.5, 2])); // 0.125
 * ```
 */
export function meanSquaredError(targets: tf.Tensor, predictions: tf.Tensor, options?: LossOptions): tf.Tensor {
  assertSameShape('meanSquaredError', 'targets', targets, 'predictions', predictions);
  return tf.tidy(() => {
    const sq = tf.square(tf.sub(predictions, targets));
    const perEx = sq.rank <= 1 ? sq : tf.mean(sq, sq.shape.map((_d, i) => i).slice(1));
    return reduceLoss(perEx, options, 'meanSquaredError');
  });
}
