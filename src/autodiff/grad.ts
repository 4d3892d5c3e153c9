import * as tf from '@tensorflow/tfjs-core';
import { type Tree, treeFlatten, treeUnflatten } from '../tree/tree.js';
import { gradients } from './tape.js';

/** A scalar-valued function of a parameter tree (and any further arguments, held constant). */
export type ScalarFn<P extends Tree, A extends unknown[] = []> = (params: P, ...args: A) => tf.Tensor;

function asScalar(y: tf.Tensor, who: string): tf.Tensor {
  if (!(y instanceof tf.Tensor)) throw new TypeError(`${who}: f must return a tf.Tensor, got ${typeof y}`);
  if (y.size !== 1) throw new Error(`${who}: f must return a scalar, got a tensor of shape [${y.shape}]`);
  return y.rank === 0 ? y : tf.reshape(y, []);
}

/** What {@link valueAndGrad}'s function returns. */
export interface ValueAndGrad<P extends Tree> {
  /** `f(params, ...args)`, a scalar. */
  value: tf.Scalar;
  /** `df/dparams`, shaped like `params`. */
  grads: P;
}

/**
 * Transforms `f` into a function that returns `f(params, ...args)` and its gradient with respect to
 * `params` (a tree of the same structure): `{value: f(p), grads: df/dp}`. Leaves `f` does not
 * depend on get zeros. Nests: `f` may itself call {@link grad} or {@link hvp}.
 *
 * @example
 * ```ts
 * const loss = (p: {w: tf.Tensor}) => tf.sum(tf.square(p.w));
 * const { value, grads } = valueAndGrad(loss)({ w: tf.tensor([1, 2]) }); // 5, {w: [2, 4]}
 * ```
 */
export function valueAndGrad<P extends Tree, A extends unknown[] = []>(
  f: ScalarFn<P, A>,
): (params: P, ...args: A) => ValueAndGrad<P> {
  return (params: P, ...args: A) => {
    const { leaves, def } = treeFlatten(params, 'params');
    const { value, grads } = gradients(() => asScalar(f(treeUnflatten<P>(def, leaves), ...args), 'valueAndGrad'), leaves);
    return { value: value as tf.Scalar, grads: treeUnflatten<P>(def, grads) };
  };
}

/**
 * Transforms `f` into its gradient with respect to the first argument: `grad(f)(p) = df/dp`, a tree
 * shaped like `p`. See {@link valueAndGrad}.
 * @example
 * ```ts
 * const g = grad((x: tf.Tensor) => tf.sum(tf.sin(x)))(tf.tensor([0, 1])); // cos(x)
 * ```
 */
export function grad<P extends Tree, A extends unknown[] = []>(f: ScalarFn<P, A>): (params: P, ...args: A) => P {
  const vg = valueAndGrad(f);
  return (params: P, ...args: A) => {
    const { value, grads } = vg(params, ...args);
    value.dispose();
    return grads;
  };
}
