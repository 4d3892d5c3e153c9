import * as tf from '@tensorflow/tfjs-core';
import { type Tree, flattenAligned, tidyTree, treeFlatten, treeMap, treeUnflatten } from './tree.js';

/** `a + b`, leafwise. */
export function treeAdd<T extends Tree>(a: T, b: Tree): T {
  return treeMap((x, y) => tf.add(x, y), a, b);
}

/** `a - b`, leafwise. */
export function treeSub<T extends Tree>(a: T, b: Tree): T {
  return treeMap((x, y) => tf.sub(x, y), a, b);
}

/** `s * a`, leafwise, for a number or a scalar tensor `s`. */
export function treeScale<T extends Tree>(a: T, s: number | tf.Scalar): T {
  return treeMap((x) => tf.mul(x, s), a);
}

/** `a + s * b`, leafwise (axpy). */
export function treeAddScaled<T extends Tree>(a: T, s: number | tf.Scalar, b: Tree): T {
  return treeMap((x, y) => tf.add(x, tf.mul(y, s)), a, b);
}

/** Zeros of the shapes of a tree's leaves. */
export function treeZerosLike<T extends Tree>(a: T): T {
  return treeMap((x) => tf.zerosLike(x), a);
}

/** Ones of the shapes of a tree's leaves. */
export function treeOnesLike<T extends Tree>(a: T): T {
  return treeMap((x) => tf.onesLike(x), a);
}

/**
 * The inner product `<a, b> = sum_i sum(a_i * b_i)` over all leaves, as a scalar tensor. The
 * leaves' sums are added in leaf order by one AddN (a chain of Adds from 0 gives the same float32
 * result, with one kernel per leaf more).
 * @throws when the trees' structures or shapes differ.
 */
export function treeDot(a: Tree, b: Tree): tf.Scalar {
  const { leaves } = flattenAligned('treeDot', [a, b]);
  const [la, lb] = leaves as [tf.Tensor[], tf.Tensor[]];
  return tf.tidy(() => {
    const sums = la.map((x, j) => tf.sum(tf.mul(x, lb[j] as tf.Tensor)));
    return (sums.length === 0 ? tf.scalar(0) : sums.length === 1 ? sums[0] : tf.addN(sums)) as tf.Scalar;
  });
}

/** The Euclidean norm `sqrt(<a, a>)` over all leaves, as a scalar tensor. */
export function treeNorm(a: Tree): tf.Scalar {
  return tf.tidy(() => tf.sqrt(treeDot(a, a)));
}

/** The number of scalar entries of all leaves together. */
export function treeSize(a: Tree): number {
  return treeFlatten(a).leaves.reduce((s, x) => s + x.size, 0);
}

/**
 * Concatenates every leaf, flattened, into one vector (depth-first, record keys sorted).
 * @example
 * ```ts
 * const v = treeToVector({ w: tf.ones([2, 2]), b: tf.zeros([2]) }); // shape [6]: b then w
 * ```
 */
export function treeToVector(a: Tree): tf.Tensor1D {
  const { leaves } = treeFlatten(a);
  return tf.tidy(() => tf.concat(leaves.map((x) => tf.reshape(x, [x.size])), 0) as tf.Tensor1D);
}

/**
 * Splits a vector into a tree shaped like `like` (the inverse of {@link treeToVector}).
 * @throws when the vector's length differs from the number of entries of `like`.
 */
export function treeFromVector<T extends Tree>(vector: tf.Tensor, like: T): T {
  const { leaves, def } = treeFlatten(like);
  const total = leaves.reduce((s, x) => s + x.size, 0);
  if (vector.rank !== 1 || vector.size !== total) {
    throw new Error(
      `treeFromVector: vector has shape [${vector.shape}], expected [${total}] (the entries of 'like')`,
    );
  }
  return tidyTree(() => {
    const parts = tf.split(vector, leaves.map((x) => x.size), 0);
    return treeUnflatten<T>(def, parts.map((p, j) => tf.reshape(p, (leaves[j] as tf.Tensor).shape)));
  });
}
