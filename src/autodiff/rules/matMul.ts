import * as tf from '@tensorflow/tfjs-core';
import { nativeMatMulInfo } from '../../backend/nativeMatMul.js';
import { customVjp } from '../customVjp.js';
import { isTapeOn, untracked } from '../engineInternals.js';
import { deferredValue, noteDeferred } from '../tape.js';
import { cachedValue, isCached } from '../valueCache.js';
import type { Rule } from '../registry.js';
import { one, reduceTo, savedAt } from './ruleUtil.js';

/** Swaps the last two axes (an explicit Transpose, so the matMul that follows runs untransposed). */
export function transposeLast(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_d, i) => i);
  const n = perm.length;
  [perm[n - 2], perm[n - 1]] = [perm[n - 1] as number, perm[n - 2] as number];
  return tf.transpose(x, perm);
}

/** The entries of the last two axes of `x` (what a transpose moves, per batch entry). */
function matrixSize(x: tf.Tensor): number {
  return (x.shape[x.rank - 1] as number) * (x.shape[x.rank - 2] as number);
}

/** The BatchMatMul kernel {@link flagsAreFree} last answered for, and its answer. */
let flagsFor: { kernel: tf.KernelConfig | undefined; free: boolean } | null = null;

/**
 * True when the backend's matMul takes transpose flags at no cost: wasm with hypergrad's native
 * matMul, where BLAS transposes while it packs its operands (a flagged `h^T dz` of [128,256] by
 * [128,10] runs in 11 us, the same with explicit Transposes in 22 us). tfjs's own wasm kernel runs
 * flagged products 10-50x slower, and the cpu backend's gains nothing: explicit transposes there.
 * Looked up again whenever the registered kernel changes (native matMul turned on or off).
 */
export function flagsAreFree(): boolean {
  const backend = tf.getBackend();
  const kernel = tf.getKernel('BatchMatMul', backend);
  if (flagsFor === null || flagsFor.kernel !== kernel) {
    flagsFor = { kernel, free: backend === 'wasm' && nativeMatMulInfo().on };
  }
  return flagsFor.free;
}

/**
 * `a^T g`: a flagged matMul where {@link flagsAreFree}; else with plain matMuls, as
 * `matMul(a^T, g)`, or as `(g^T a)^T` when that transposes fewer entries (a batch `a` of n x p
 * against a gradient g of n x q: n p against n q + p q), no transpose flag.
 */
export function plainTransposedTimes(a: tf.Tensor, g: tf.Tensor): tf.Tensor {
  if (flagsAreFree()) return tf.matMul(a, g, true, false);
  const [p, q] = [a.shape[a.rank - 1] as number, g.shape[g.rank - 1] as number];
  if (a.rank === 2 && g.rank === 2 && !hasTranspose(a) && matrixSize(a) > matrixSize(g) + p * q) {
    return transposeLast(tf.matMul(operandTranspose(g), a));
  }
  return tf.matMul(operandTranspose(a), g);
}

/**
 * `a1^T g1 + a2^T g2` (the tangent of `a^T g`): flagged matMuls where {@link flagsAreFree}; else
 * with plain matMuls, where both products would be taken as `(g^T a)^T`, as
 * `(g1^T a1 + g2^T a2)^T`, one transpose of the sum instead of one per term.
 */
export function plainTransposedTimesSum(a1: tf.Tensor, g1: tf.Tensor, a2: tf.Tensor, g2: tf.Tensor): tf.Tensor {
  if (flagsAreFree()) return tf.add(tf.matMul(a1, g1, true, false), tf.matMul(a2, g2, true, false));
  const viaRows = (a: tf.Tensor, g: tf.Tensor) => a.rank === 2 && g.rank === 2 && !hasTranspose(a) &&
    matrixSize(a) > matrixSize(g) + (a.shape[1] as number) * (g.shape[1] as number);
  if (viaRows(a1, g1) && viaRows(a2, g2)) {
    return transposeLast(tf.add(tf.matMul(operandTranspose(g1), a1), tf.matMul(operandTranspose(g2), a2)));
  }
  return tf.add(plainTransposedTimes(a1, g1), plainTransposedTimes(a2, g2));
}

/**
 * `g b^T`: a flagged matMul where {@link flagsAreFree}; else with plain matMuls, transposing `b`
 * or else `g` and the result (fewer entries moved).
 */
export function plainTimesTransposed(g: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (flagsAreFree()) return tf.matMul(g, b, false, true);
  const [m, p] = [g.shape[g.rank - 2] as number, b.shape[b.rank - 2] as number];
  if (g.rank === 2 && b.rank === 2 && !hasTranspose(b) && matrixSize(b) > matrixSize(g) + m * p) {
    return transposeLast(tf.matMul(b, operandTranspose(g)));
  }
  return tf.matMul(g, operandTranspose(b));
}

/**
 * The transpose of an operand, shared through the value cache: a Hessian-vector product
 * transposes each weight once, and a batch is transposed once for all its passes.
 */
function operandTranspose(x: tf.Tensor): tf.Tensor {
  return cachedValue('transpose', x, transposeLast);
}

/** True when `x`'s transpose is cached already (so using it moves no entries). */
function hasTranspose(x: tf.Tensor): boolean {
  return isCached('transpose', x);
}

/** The shape of a product with rows `x.shape[i]`, columns `y.shape[j]` and broadcast batch axes. */
function productShape(x: tf.Tensor, y: tf.Tensor, i: number, j: number): number[] {
  const batch = tf.broadcast_util.assertAndGetBroadcastShape(x.shape.slice(0, -2), y.shape.slice(0, -2));
  return [...batch, x.shape[i] as number, y.shape[j] as number];
}

/**
 * `compute(x, y)` as one recorded op with the given lazy cotangents (a `customVjp` that saves its
 * inputs only): its value is computed with the tape off, and nothing is recorded when no tape is on.
 * `shape` is the value's: a Hessian-vector product's inner gradient records a placeholder of it in
 * place of a product whose value is never read (`deferredValue`).
 */
function recordedProduct(
  name: string,
  x: tf.Tensor,
  y: tf.Tensor,
  shape: number[],
  compute: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor,
  cotangents: (c: tf.Tensor, x: tf.Tensor, y: tf.Tensor) => [() => tf.Tensor, () => tf.Tensor],
): tf.Tensor {
  const placeholder = isTapeOn() ? deferredValue(shape) : null;
  const value = placeholder ?? untracked(() => tf.tidy(() => compute(x, y)));
  if (!isTapeOn()) return value;
  const [out] = customVjp(name, [x, y], [value], ([c], [xi, yi]) => cotangents(c as tf.Tensor, xi as tf.Tensor, yi as tf.Tensor), { saveOutputs: false });
  value.dispose();
  if (placeholder !== null) noteDeferred(out as tf.Tensor);
  return out as tf.Tensor;
}

/**
 * `a^T g` (transposing the last two axes of `a`) as one recorded op whose backward pass keeps `a`,
 * not `a^T`: `d a = g c^T`, `d g = a c` for cotangent `c`, each a plain matMul. A gradient taken
 * through `x w` computes `x^T dy`; recorded as two kernels, a Hessian-vector product would hold
 * `x^T`, a second copy of the batch, until its backward pass, and transpose it back there.
 */
export function transposedTimes(a: tf.Tensor, g: tf.Tensor): tf.Tensor {
  return recordedProduct('transposedTimes', a, g, productShape(a, g, a.rank - 1, g.rank - 1), plainTransposedTimes, (c, ai, gi) => [
    () => reduceTo(timesTransposed(gi, c), ai.shape),
    () => reduceTo(tf.matMul(ai, c), gi.shape),
  ]);
}

/**
 * `g b^T` (transposing the last two axes of `b`) as one recorded op whose backward pass keeps `b`,
 * not `b^T`: `d g = c b`, `d b = c^T g` for cotangent `c` (see {@link transposedTimes}).
 */
export function timesTransposed(g: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return recordedProduct('timesTransposed', g, b, productShape(g, b, g.rank - 2, b.rank - 2), plainTimesTransposed, (c, gi, bi) => [
    () => reduceTo(tf.matMul(c, bi), gi.shape),
    () => reduceTo(transposedTimes(c, gi), bi.shape),
  ]);
}

/**
 * BatchMatMul `c = op(a) op(b)` with `op` an optional transpose of the last two axes. With
 * `c = a b`: `da = dy b^T`, `db = a^T dy`; the transposed variants follow by symmetry. Every
 * product here is a plain `matMul` of explicitly transposed operands (tfjs's wasm backend runs
 * `matMul` with transpose flags 10-50x slower), except `dy b^T` and `a^T dy`, which take flags
 * where they are free ({@link flagsAreFree}). Broadcast batch axes are summed back.
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
      da = () => timesTransposed(g, b);
      db = () => transposedTimes(a, g);
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
