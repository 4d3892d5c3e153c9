import * as tf from '@tensorflow/tfjs-core';
import { customVjp } from '../customVjp.js';
import { isTapeOn, untracked } from '../engineInternals.js';
import { deferredValue, noteDeferred } from '../tape.js';

/**
 * Sums a broadcast gradient back to the shape of the input it came from:
 * `reshape(sum(dx, axes broadcast over), shape)`.
 */
export function reduceTo(dx: tf.Tensor, shape: readonly number[]): tf.Tensor {
  if (tf.util.arraysEqual(dx.shape, shape as number[])) return dx;
  const lead = dx.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < dx.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && dx.shape[i] !== 1)) axes.push(i);
  }
  if (axes.length === 0) return tf.reshape(dx, shape as number[]);
  // Summing the leading axes away without keepDims often gives the shape itself: no Reshape.
  const leadingOnly = axes.every((a) => a < lead);
  const summed = sumAxes(dx, axes, !leadingOnly);
  return tf.util.arraysEqual(summed.shape, shape as number[]) ? summed : tf.reshape(summed, shape as number[]);
}

/** Entries below which a Sum kernel costs no more than a product with ones (two kernels). */
const ONES_PRODUCT_MIN = 4096;

/** The leading-axes count `k` when `axes` are `0..k-1` with `0 < k < rank`, else 0. */
function leadingCount(shape: readonly number[], axes: number | number[] | undefined): number {
  const norm = tf.util.parseAxisParam(axes ?? shape.map((_d, i) => i), shape as number[]);
  return norm.length > 0 && norm.length < shape.length && norm.every((a, i) => a === i) ? norm.length : 0;
}

/**
 * The sum of `x` over its first `k` axes: for at least 4096 entries, the product
 * `ones([1, rows]) reshape(x, [rows, rest])` (reshaped), else a Sum kernel. tfjs's wasm and cpu
 * backends sum over leading axes by transposing first: a bias's gradient, the Sum of a [128, 256]
 * cotangent over its rows, takes 80 us on wasm against 5 us for the product with native matMul.
 */
function leadingSum(x: tf.Tensor, k: number, keepDims: boolean): tf.Tensor {
  const axes = x.shape.slice(0, k).map((_d, i) => i);
  if (x.size < ONES_PRODUCT_MIN) return tf.sum(x, axes, keepDims);
  const rest = x.shape.slice(k);
  const rows = x.shape.slice(0, k).reduce((m, d) => m * d, 1);
  const flat = x.rank === 2 ? x : tf.reshape(x, [rows, x.size / rows]);
  const product = tf.matMul(tf.ones([1, rows]), flat);
  const out = keepDims ? [...axes.map(() => 1), ...rest] : rest;
  return tf.util.arraysEqual(product.shape, out) ? product : tf.reshape(product, out);
}

/**
 * `tf.sum(x, axes, keepDims)`. Over leading axes (`0..k-1`, `k < rank`) of a float32 `x`, as one
 * recorded op, `hypergrad.sumLeading`, whose value is computed with the tape off (a product with
 * ones for large `x`: see {@link leadingSum}) and whose cotangent is the Sum's, `c` broadcast back
 * to `x`'s shape (differentiable again). A Hessian-vector product's inner gradient records a
 * placeholder in place of a bias gradient's value, which it never reads (`deferredValue`).
 */
export function sumAxes(x: tf.Tensor, axes: number | number[] | undefined, keepDims = false): tf.Tensor {
  const k = x.dtype === 'float32' ? leadingCount(x.shape, axes) : 0;
  if (k === 0) return tf.sum(x, axes, keepDims);
  if (!isTapeOn()) return leadingSum(x, k, keepDims);
  const shape = x.shape;
  const outShape = keepDims ? [...shape.slice(0, k).map(() => 1), ...shape.slice(k)] : shape.slice(k);
  const placeholder = deferredValue(outShape);
  const value = placeholder ?? untracked(() => tf.tidy(() => leadingSum(x, k, keepDims)));
  // Leading axes reduced: the cotangent broadcasts to x's shape as it is (trailing axes align).
  const [out] = customVjp('sumLeading', [x], [value], ([c]) => [() => tf.add(constant(() => tf.zeros(shape)), c as tf.Tensor)],
    { saveInputs: false, saveOutputs: false, attrs: { leading: k, keepDims } });
  value.dispose();
  if (placeholder !== null) noteDeferred(out as tf.Tensor);
  return out as tf.Tensor;
}

/** `shape` with the reduced `axes` kept as size 1 (what `keepDims` would give). */
export function keepDimsShape(shape: readonly number[], axes: number | number[] | undefined): number[] {
  const norm = axes === undefined ? shape.map((_d, i) => i) : tf.util.parseAxisParam(axes, shape as number[]);
  return shape.map((d, i) => (norm.includes(i) ? 1 : d));
}

/**
 * A tensor computed with the tape off: a constant to every gradient (for masks and indices, whose
 * derivative is zero almost everywhere).
 */
export function constant<T extends tf.Tensor>(fn: () => T): T {
  return untracked(() => tf.tidy(fn));
}

/** `dy` as one tensor (single-output kernels). */
export function one(dy: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(dy) ? (dy[0] as tf.Tensor) : dy;
}

/** `dy` as a list (multi-output kernels). */
export function many(dy: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(dy) ? dy : [dy];
}

/** The saved tensor at `i`, with an error naming the kernel when the engine saved fewer. */
export function savedAt(saved: tf.Tensor[], i: number, kernel: string): tf.Tensor {
  const t = saved[i];
  if (t === undefined) throw new Error(`hypergrad: rule for '${kernel}' expected saved input ${i}`);
  return t;
}
