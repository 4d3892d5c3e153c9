import * as tf from '@tensorflow/tfjs-core';
import { stopGradient } from '../autodiff/stopGradient.js';
import { type Tree, treeMap } from '../tree/tree.js';
import { type Precision, checkPrecision, roundArray } from './formats.js';

/**
 * `x` rounded to `format` (round to nearest even, IEEE overflow and subnormals; see
 * {@link roundArray}), with a straight-through gradient: `d round(x) / dx = I` at every order.
 * Computed as `x + stopGradient(round(x) - x)`, which is exactly `round(x)` in float32 (the
 * difference of two nearby floats is exact, and so is adding it back). A no-op for `fp32`.
 * The rounding itself runs on the host (one read of `x`'s data). An unknown `format` is an error
 * naming the accepted ones.
 *
 * @example
 * ```ts
 * roundTo(tf.tensor([1 + 2 ** -11, 70000]), 'fp16'); // [1, Infinity]
 * ```
 */
export function roundTo<T extends tf.Tensor>(x: T, format: Precision): T {
  if (checkPrecision('roundTo: format', format) === 'fp32') return x;
  if (x.dtype !== 'float32') throw new Error(`roundTo: x must be float32, got ${x.dtype}`);
  return tf.tidy(() => tf.add(x, stopGradient(tf.sub(roundedValues(x, format), x)))) as T;
}

/**
 * A new tensor holding `x`'s values rounded to `format` (not differentiable: a constant to any
 * gradient), read and rounded on the host in one pass.
 */
export function roundedValues(x: tf.Tensor, format: Precision): tf.Tensor {
  return tf.tensor(roundArray(x.dataSync(), format), x.shape, 'float32');
}

/** {@link roundTo} on every leaf of a tree. */
export function roundTree<T extends Tree>(t: T, format: Precision): T {
  return checkPrecision('roundTree: format', format) === 'fp32' ? t : treeMap((x) => roundTo(x, format), t);
}
