import * as tf from '@tensorflow/tfjs-core';
import { type Tree, type TreeDef, flattenAligned, treeFlatten, treeUnflatten } from '../tree/tree.js';
import { gradientDepth } from './engineInternals.js';
import { forwardJvp } from './forward/forwardSweep.js';
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
 * like the primals. Outside any gradient it records `f` once and pushes `v` through the recorded
 * kernels' tangent rules (`dy = sum_i (d y / d x_i) t_i` per kernel, about one forward pass's
 * work); inside an enclosing gradient, or where a kernel has no tangent rule (see
 * `tangentKernels()`), or for outputs that are not float32, it takes the double-VJP trick:
 * `J v = d/du <J^T u, v>` (linear in `u`, so taken at `u = 0`), about two backward passes and two
 * forward passes, correct at any nesting depth.
 *
 * @example
 * ```ts
 * const [out, jv] = jvp((x: tf.Tensor) => tf.exp(x), tf.tensor([0, 1]), tf.tensor([1, 1])); // jv = exp(x)
 * ```
 */
export function jvp<P extends Tree, O extends Tree>(f: (primals: P) => O, primals: P, tangents: P): [O, O] {
  const { leaves, def } = checkTangents(primals, tangents);
  const out = f(primals);
  const outFlat = treeFlatten(out, 'output');
  if (gradientDepth() === 0 && outFlat.leaves.every((o) => o.dtype === 'float32')) {
    const tan = treeFlatten(tangents, 'tangents').leaves;
    const jv = forwardJvp(() => treeFlatten(f(treeUnflatten<P>(def, leaves))).leaves, leaves, tan);
    if (jv !== null) return [out, treeUnflatten<O>(outFlat.def, jv)];
  }
  return [out, doubleVjpTangents(f, leaves, def, tangents, outFlat)];
}

/**
 * {@link jvp} by the double-VJP trick only (the reference its forward mode is tested against):
 * `J v = d/du <J^T u, v>` at `u = 0`.
 */
export function jvpByDoubleVjp<P extends Tree, O extends Tree>(f: (primals: P) => O, primals: P, tangents: P): [O, O] {
  const { leaves, def } = checkTangents(primals, tangents);
  const out = f(primals);
  return [out, doubleVjpTangents(f, leaves, def, tangents, treeFlatten(out, 'output'))];
}

function checkTangents<P extends Tree>(primals: P, tangents: P): { leaves: tf.Tensor[]; def: TreeDef } {
  const { leaves, def } = treeFlatten(primals, 'primals');
  const tan = treeFlatten(tangents, 'tangents');
  if (tan.leaves.length !== leaves.length || tan.leaves.some((t, i) => !tf.util.arraysEqual(t.shape, (leaves[i] as tf.Tensor).shape))) {
    throw new Error('jvp: tangents must have the structure and leaf shapes of primals');
  }
  return { leaves, def };
}

function doubleVjpTangents<P extends Tree, O extends Tree>(
  f: (primals: P) => O, leaves: tf.Tensor[], def: TreeDef, tangents: P, outFlat: { leaves: tf.Tensor[]; def: TreeDef },
): O {
  const jv = tf.tidy(() => {
    const us = outFlat.leaves.map((o) => tf.zeros(o.shape));
    const { grads } = gradients(() => {
      const u = treeUnflatten<O>(outFlat.def, us);
      const inner = gradients(() => treeDot(f(treeUnflatten<P>(def, leaves)), u), leaves).grads;
      return treeDot(treeUnflatten<P>(def, inner), tangents);
    }, us);
    return grads;
  });
  return treeUnflatten<O>(outFlat.def, jv);
}
