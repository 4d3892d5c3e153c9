import * as tf from '@tensorflow/tfjs-core';

/**
 * `out[s] = sum_{i: ids[i] = s} x[i]`, `out` of shape `[numSegments, ...x.shape.slice(1)]`: the
 * aggregation step of message passing (sum of the messages arriving at each node).
 *
 * Runs tfjs's `UnsortedSegmentSum` kernel where the backend has one (cpu, webgl, tensorflow) and
 * the equivalent `ScatterNd` (which also sums duplicate indices) where it has not (wasm has no
 * `UnsortedSegmentSum`). hypergrad has second-order-verified rules for both. Every id must be in
 * `[0, numSegments)` (checked by the caller that builds them; see `weightGraph.ts`).
 * @example
 * ```ts
 * unsortedSegmentSum(tf.tensor2d([[1], [2], [3]]), tf.tensor1d([1, 0, 1], 'int32'), 2); // [[2], [4]]
 * ```
 */
export function unsortedSegmentSum(x: tf.Tensor, ids: tf.Tensor1D, numSegments: number): tf.Tensor {
  if (ids.size !== x.shape[0]) throw new Error(`unsortedSegmentSum: ${ids.size} ids for ${x.shape[0]} rows`);
  if (tf.getKernel('UnsortedSegmentSum', tf.getBackend()) !== undefined) return tf.unsortedSegmentSum(x, ids, numSegments);
  return tf.scatterND(tf.reshape(ids, [ids.size, 1]), x, [numSegments, ...x.shape.slice(1)]);
}
