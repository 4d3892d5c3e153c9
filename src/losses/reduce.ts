import * as tf from '@tensorflow/tfjs-core';

/**
 * How a loss reduces its per-example values: `mean` over examples (the default), `sum`, or `none`
 * (one value per example).
 */
export type Reduction = 'mean' | 'sum' | 'none';

/** Options every loss takes. */
export interface LossOptions {
  /** How per-example losses are combined; default `'mean'`. */
  reduction?: Reduction;
  /** Per-example weights `w_i`, shape `[batch]`; the loss becomes `sum_i w_i l_i` (or its mean, `/batch`). */
  weights?: tf.Tensor;
}

/** Applies weights and the reduction to per-example losses `l` of shape `[batch]`. */
export function reduceLoss(l: tf.Tensor, options: LossOptions | undefined, who: string): tf.Tensor {
  const reduction = options?.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new Error(`${who}: options.reduction must be 'mean', 'sum' or 'none', got '${String(reduction)}'`);
  }
  let weighted = l;
  if (options?.weights !== undefined) {
    if (!tf.util.arraysEqual(options.weights.shape, l.shape)) {
      throw new Error(`${who}: options.weights has shape [${options.weights.shape}], expected [${l.shape}] (one per example)`);
    }
    weighted = tf.mul(l, options.weights);
  }
  if (reduction === 'none') return weighted;
  return reduction === 'sum' ? tf.sum(weighted) : tf.mean(weighted);
}

/** Checks that `a` and `b` have equal shapes; the error names both arguments. */
export function assertSameShape(who: string, aName: string, a: tf.Tensor, bName: string, b: tf.Tensor): void {
  if (!tf.util.arraysEqual(a.shape, b.shape)) {
    throw new Error(`${who}: ${aName} has shape [${a.shape}] but ${bName} has shape [${b.shape}]; they must match`);
  }
}
