import * as tf from '@tensorflow/tfjs-core';
import { type Tree, flattenAligned, treeFlatten, treeUnflatten } from '../tree/tree.js';
import { treeDot } from '../tree/treeMath.js';
import { gradients, vjpOf } from './tape.js';

/**
 * Reverse mode: returns `f(primals)` and a pullback `u -> J^T u`, where `J = df/dprimals` and `u` is
 * a cotangent shaped like the output (a tree). The pullback recomputes the forward pass on each call
 * (no residuals outlive the call, so nothing leaks), and is correct at any nesting depth.
 *
 * @example
 * ```ts
 * const [out, pullback] = vjp((x: tf.Tensor) => tf.mul(x, x), tf.tensor([1, 2]));
 * pullback(tf.tensor([1, 1])); // [2, 4]
 * ```
 */
export function vjp<P extends Tree, O extends Tree>(f: (primals: P) => O, primals: P): [O, (cotangent: O) => P] {
  const { leaves, def } = treeFlatten(primals, 'primals');
  const out = f(primals);
  const pullback = (cotangent: O): P => {
    const { leaves: [, cts] } = flattenAligned('vjp (output, cotangent)', [out, cotangent]);
    const { values, grads } = vjpOf(() => treeFlatten(f(treeUnflatten<P>(def, leaves))).leaves, leaves, cts as tf.Tensor[]);
    tf.dispose(values);
    return treeUnflatten<P>(def, grads);
  };
  return [out, pullback];
}

/**
 * Forward mode: returns `f(primals)` and the Jacobian-vector product `J v` for tangents `v` shaped
 * like the primals, by the double-VJP trick: `J v = d/du <J^T u, v>` (linear in `u`, so taken at
 * `u = 0`). Costs about two backward passes and two forward passes; needs second-order-correct
 * rules, which hypergrad's are.
 *
 * @example
 * ```ts
 * const [out, jv] = jvp((x: tf.Tensor) => tf.exp(x), tf.tensor([0, 1]), tf.tensor([1, 1])); // jv = exp(x)
 * ```
 */
export function jvp<P extends Tree, O extends Tree>(f: (primals: P) => O, primals: P, tangents: P): [O, O] {
  const { leaves, def } = treeFlatten(primals, 'primals');
  const tan = treeFlatten(tangents, 'tangents');
  if (tan.leaves.length !== leaves.length || tan.leaves.some((t, i) => !tf.util.arraysEqual(t.shape, (leaves[i] as tf.Tensor).shape))) {
    throw new Error('jvp: tangents must have the structure and leaf shapes of primals');
  }
  const out = f(primals);
  const outFlat = treeFlatten(out, 'output');
  const jv = tf.tidy(() => {
    const us = outFlat.leaves.map((o) => tf.zeros(o.shape));
    const { grads } = gradients(() => {
      const u = treeUnflatten<O>(outFlat.def, us);
      const inner = gradients(() => treeDot(f(treeUnflatten<P>(def, leaves)), u), leaves).grads;
      return treeDot(treeUnflatten<P>(def, inner), tangents);
    }, us);
    return grads;
  });
  return [out, treeUnflatten<O>(outFlat.def, jv)];
}
