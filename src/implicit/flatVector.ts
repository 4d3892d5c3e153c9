import * as tf from '@tensorflow/tfjs-core';
import { type Tree, treeFlatten, treeUnflatten } from '../tree/tree.js';

/** A linear operator on trees: `x -> A x` (e.g. a Hessian-vector product). */
export type MatVec = (x: Tree) => Tree;

/** A linear operator on flat vectors: `v -> A v`, with `v` the concatenated leaves of a tree. */
export type VectorMatVec = (v: tf.Tensor1D) => tf.Tensor1D;

/**
 * The layout of a tree as one flat vector: its leaves, flattened, concatenated in
 * {@link treeFlatten}'s order (`toVector`), and the inverse split (`fromVector`). A one-leaf tree
 * is only reshaped (no copy). The solvers iterate on such vectors, so each iteration's arithmetic
 * is a handful of ops however many leaves the parameters have.
 */
export interface FlatLayout {
  /** The number of entries. */
  size: number;
  /** `t`'s leaves (shaped like the layout's tree) as one vector. */
  toVector: (t: Tree) => tf.Tensor1D;
  /** The tree shaped like the layout's, from a vector of `size` entries. */
  fromVector: (v: tf.Tensor) => Tree;
}

/**
 * The flat layout of `like` ({@link FlatLayout}).
 * @example
 * ```ts
 * const layout = flatLayout({ w: tf.ones([2, 2]), b: tf.zeros([2]) }); // size 6
 * const back = layout.fromVector(layout.toVector(tree));
 * ```
 */
export function flatLayout(like: Tree): FlatLayout {
  const { leaves, def } = treeFlatten(like);
  const shapes = leaves.map((x) => x.shape);
  const sizes = leaves.map((x) => x.size);
  const size = sizes.reduce((s, n) => s + n, 0);
  const toVector = (t: Tree): tf.Tensor1D => {
    const ls = treeFlatten(t).leaves;
    if (ls.length !== shapes.length) throw new Error(`flatLayout: the tree has ${ls.length} leaves, the layout ${shapes.length}`);
    if (ls.length === 1) return tf.reshape(ls[0] as tf.Tensor, [size]);
    return tf.tidy(() => tf.concat(ls.map((x) => tf.reshape(x, [x.size])), 0) as tf.Tensor1D);
  };
  const fromVector = (v: tf.Tensor): Tree => {
    if (v.size !== size) throw new Error(`flatLayout: the vector has ${v.size} entries, the layout ${size}`);
    if (shapes.length === 1) return treeUnflatten(def, [tf.reshape(v, shapes[0] as number[])]);
    const parts = tf.tidy(() => tf.split(v, sizes, 0).map((p, j) => tf.reshape(p, shapes[j] as number[])));
    return treeUnflatten(def, parts);
  };
  return { size, toVector, fromVector };
}

/** `v -> toVector(matvec(fromVector(v)))`: a tree operator on the layout's flat vectors. */
export function flatMatVec(matvec: MatVec, layout: FlatLayout): VectorMatVec {
  return (v) => tf.tidy(() => layout.toVector(matvec(layout.fromVector(v))));
}

/** The inner product `a^T b` of two vectors, as a scalar tensor (one reduction). */
export function vdot(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.mul(a, b)));
}
