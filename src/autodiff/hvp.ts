import * as tf from '@tensorflow/tfjs-core';
import { type Tree, flattenAligned, tidyTree, treeFlatten, treeUnflatten } from '../tree/tree.js';
import { gradients, vjpOf } from './tape.js';

/**
 * The Hessian-vector product `H v = d/dx <grad f(x), v>` of a scalar function of a tree, by
 * reverse-over-reverse differentiation (about 3 gradient evaluations' work). `v` has the structure
 * of `params`. Throws, naming the kernel, when the computation passes through a kernel without a
 * second-order-verified rule.
 *
 * @example
 * ```ts
 * const f = (x: tf.Tensor) => tf.sum(tf.pow(x, 3));
 * hvp(f, tf.tensor([1, 2]), tf.tensor([1, 0])); // diag(6x) v = [6, 0]
 * ```
 */
export function hvp<P extends Tree>(f: (params: P) => tf.Tensor, params: P, v: P): P {
  const { leaves: [xs, vs], def } = flattenAligned('hvp (params, v)', [params, v]);
  const x = xs as tf.Tensor[];
  return tidyTree(() => {
    const { grads } = vjpOf(
      () => gradients(() => f(treeUnflatten<P>(def, x)), x, undefined, { onlyDifferentiated: true }).grads,
      x, vs as tf.Tensor[], { values: false },
    );
    return treeUnflatten<P>(def, grads);
  });
}

/**
 * The mixed second derivative applied to a vector: `d/dx <grad_y f(x, y), v> = (d^2 f / dx dy) v`,
 * shaped like `x`, with `v` shaped like `y`. This is the cross term of implicit hypergradients
 * (`-d^2 g/dx dy [H_yy^-1 grad_y F]`, Lorraine et al. 2020; Blondel et al. 2022).
 *
 * @example
 * ```ts
 * const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.square(x), y));
 * mixedHvp(f, tf.tensor([1, 2]), tf.tensor([3, 4]), tf.tensor([1, 1])); // 2x * v = [2, 4]
 * ```
 */
export function mixedHvp<X extends Tree, Y extends Tree>(f: (x: X, y: Y) => tf.Tensor, x: X, y: Y, v: Y): X {
  const xf = treeFlatten(x, 'x');
  const { leaves: [ys, vl], def: ydef } = flattenAligned('mixedHvp (y, v)', [y, v]);
  const yl = ys as tf.Tensor[];
  return tidyTree(() => {
    const { grads } = vjpOf(() => {
      const xt = treeUnflatten<X>(xf.def, xf.leaves);
      return gradients(() => f(xt, treeUnflatten<Y>(ydef, yl)), yl, undefined, { onlyDifferentiated: true }).grads;
    }, xf.leaves, vl as tf.Tensor[], { values: false });
    return treeUnflatten<X>(xf.def, grads);
  });
}
