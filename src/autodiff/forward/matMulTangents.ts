import * as tf from '@tensorflow/tfjs-core';
import { flagsAreFree, plainTimesTransposed, plainTransposedTimes, plainTransposedTimesSum, transposeLast } from '../rules/matMul.js';
import { type TangentArgs, type TangentRule, count, sumTerms } from './tangentRule.js';

/** The tangent of input `key`, or null. */
const tan = (a: TangentArgs, key: string) => a.tangents[key] ?? null;

/**
 * A bilinear op `y = P(a, b)`: `dy = P(t_a, b) + P(a, t_b)` (Leibniz), reading `b` for the first
 * term and `a` for the second: a product per tangent (and `perTerm - 1` transposes, where the
 * product transposes an operand), and an Add when both are present.
 */
function bilinear(kernelName: string, [ka, kb]: [string, string], perTerm: number, product: (x: tf.Tensor, y: tf.Tensor, a: TangentArgs) => tf.Tensor): TangentRule {
  return {
    kernelName,
    reads: (p) => [...(p[ka] ? [kb] : []), ...(p[kb] ? [ka] : [])],
    cost: (p) => (perTerm + 1) * count(p) - 1,
    jvp: (a) => {
      const [ta, tb] = [tan(a, ka), tan(a, kb)];
      return [() => sumTerms([
        ta === null ? null : product(ta, a.value(kb), a),
        tb === null ? null : product(a.value(ka), tb, a),
      ]) as tf.Tensor];
    },
  };
}

/** The transpose flags a `BatchMatMul` was recorded with. */
const flags = (a: TangentArgs) => [a.attrs.transposeA === true, a.attrs.transposeB === true] as const;

/**
 * The tangent rules of products: tfjs's `BatchMatMul` (`c = op(a) op(b)`, `op` an optional
 * transpose of the last two axes, batch axes broadcast) and hypergrad's recorded products of its
 * backward passes, `a^T g` (`transposedTimes`) and `g b^T` (`timesTransposed`), whose tangents are
 * the same products of one tangent and one value, run as the backward pass runs them (explicit
 * transposes shared through the value cache, no transpose flag: counted as half a transpose per
 * term, as about half of them are cache hits).
 */
export const matMulTangentRules: TangentRule[] = [
  // Flagged operands are transposed explicitly unless flags are free (native matMul): tfjs's wasm
  // backend runs flagged matMuls 10-50x slower.
  bilinear('BatchMatMul', ['a', 'b'], 1, (x, y, a) => {
    const [ta, tb] = flags(a);
    if (flagsAreFree()) return tf.matMul(x, y, ta, tb);
    return tf.matMul(ta ? transposeLast(x) : x, tb ? transposeLast(y) : y);
  }),
  {
    ...bilinear('hypergrad.transposedTimes', ['0', '1'], 1.5, (x, y) => plainTransposedTimes(x, y)),
    // Both tangents: `t_a^T g + a^T t_g` summed before its one transpose (plainTransposedTimesSum).
    jvp: (a) => {
      const [ta, tg] = [a.tangents['0'] ?? null, a.tangents['1'] ?? null];
      if (ta === null || tg === null) return [() => (ta === null ? plainTransposedTimes(a.value('0'), tg as tf.Tensor) : plainTransposedTimes(ta, a.value('1')))];
      return [() => plainTransposedTimesSum(ta, a.value('1'), a.value('0'), tg)];
    },
  },
  bilinear('hypergrad.timesTransposed', ['0', '1'], 1.5, (x, y) => plainTimesTransposed(x, y)),
];
