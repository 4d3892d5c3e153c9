import * as tf from '@tensorflow/tfjs-core';
import { type Tree, treeMap } from '../tree/tree.js';
import { untracked } from './engineInternals.js';

/**
 * Returns a copy of `x` that every gradient treats as a constant (`d stopGradient(x) / dx = 0`),
 * like JAX's `lax.stop_gradient`; tfjs has none. The copy is tfjs's `clone`: it shares the data on
 * the cpu backend, and copies it on wasm (whose Identity kernel copies).
 *
 * @example
 * ```ts
 * grad((x: tf.Tensor) => tf.sum(tf.mul(x, stopGradient(x))))(tf.tensor([3])); // [3], not [6]
 * ```
 */
export function stopGradient<T extends Tree>(x: T): T {
  return untracked(() => treeMap((leaf) => tf.clone(leaf), x));
}
