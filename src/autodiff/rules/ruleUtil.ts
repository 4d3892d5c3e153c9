import * as tf from '@tensorflow/tfjs-core';
import { untracked } from '../engineInternals.js';

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
  const summed = tf.sum(dx, axes, !leadingOnly);
  return tf.util.arraysEqual(summed.shape, shape as number[]) ? summed : tf.reshape(summed, shape as number[]);
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
