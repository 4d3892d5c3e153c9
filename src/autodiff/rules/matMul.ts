import * as tf from '@tensorflow/tfjs-core';
import type { Rule } from '../registry.js';
import { one, reduceTo, savedAt } from './ruleUtil.js';

/** Swaps the last two axes (an explicit Transpose, so the matMul that follows runs untransposed). */
export function transposeLast(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_d, i) => i);
  const n = perm.length;
  [perm[n - 2], perm[n - 1]] = [perm[n - 1] as number, perm[n - 2] as number];
  return tf.transpose(x, perm);
}

/**
 * BatchMatMul `c = op(a) op(b)` with `op` an optional transpose of the last two axes. With
 * `c = a b`: `da = dy b^T`, `db = a^T dy`; the transposed variants follow by symmetry. Every
 * product here is a plain `matMul` of explicitly transposed operands: tfjs's wasm backend runs
 * `matMul` with transpose flags 10-50x slower. Broadcast batch axes are summed back.
 */
export const batchMatMulRule: Rule = {
  kernelName: 'BatchMatMul',
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved, attrs) => {
    const a = savedAt(saved, 0, 'BatchMatMul');
    const b = savedAt(saved, 1, 'BatchMatMul');
    const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    const g = one(dy);
    const T = transposeLast;
    let da: () => tf.Tensor;
    let db: () => tf.Tensor;
    if (!transposeA && !transposeB) {
      da = () => tf.matMul(g, T(b));
      db = () => tf.matMul(T(a), g);
    } else if (!transposeA && transposeB) {
      da = () => tf.matMul(g, b);
      db = () => tf.matMul(T(g), a);
    } else if (transposeA && !transposeB) {
      da = () => tf.matMul(b, T(g));
      db = () => tf.matMul(a, g);
    } else {
      da = () => tf.matMul(T(b), T(g));
      db = () => tf.matMul(T(g), T(a));
    }
    return { a: () => reduceTo(da(), a.shape), b: () => reduceTo(db(), b.shape) };
  },
};
