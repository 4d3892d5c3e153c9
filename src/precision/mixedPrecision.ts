import * as tf from '@tensorflow/tfjs-core';
import { isTapeOn } from '../autodiff/engineInternals.js';
import { type Tree, treeFlatten, treeMap } from '../tree/tree.js';
import type { Precision } from './formats.js';
import { type LossScaleOptions, type LossScaleState, lossScaleInit, lossScaleUpdate } from './lossScale.js';
import { roundTo, roundedValues } from './round.js';

/** A problem's mixed-precision setting: the storage format and dynamic loss scaling (or none). */
export interface MixedPrecisionPolicy {
  /** Format of the working parameters and of the stored gradients. */
  precision: Precision;
  /** Dynamic loss scaling, or null. */
  lossScale: Required<LossScaleOptions> | null;
}

/** A gradient on one batch: the loss and the gradient of the loss times `scale`. */
export interface ScaledGradient<T extends Tree> {
  /** The loss (unscaled). */
  loss: tf.Scalar;
  /** `grad (scale * loss)`. */
  grads: T;
}

/** Whether the policy changes anything (16-bit storage or loss scaling). */
export function isMixed(policy: MixedPrecisionPolicy): boolean {
  return policy.precision !== 'fp32' || policy.lossScale !== null;
}

/** The scaler's initial state under `policy` (null without loss scaling). */
export function initialScaler(policy: MixedPrecisionPolicy): LossScaleState | null {
  return policy.lossScale === null ? null : lossScaleInit(policy.lossScale);
}

/**
 * A gradient as a 16-bit problem stores it (Micikevicius et al. 2018): the gradient of the loss
 * times `scale`, rounded to `precision` (so that overflow shows as Inf), then divided by `scale`.
 * Differentiable: inside a recording tape the rounding is straight-through ({@link roundTo}); the
 * values are the same either way. The identity for fp32 at scale 1.
 */
export function storedGradient<T extends Tree, A extends unknown[]>(gradient: (scale: number, ...args: A) => ScaledGradient<T>, policy: MixedPrecisionPolicy,
  scale: number): (...args: A) => ScaledGradient<T> {
  if (!isMixed(policy)) return (...args) => gradient(1, ...args);
  const { precision } = policy;
  return (...args) => {
    const r = gradient(scale, ...args);
    const round = (x: tf.Tensor) => (precision === 'fp32' ? x : isTapeOn() ? roundTo(x, precision) : roundedValues(x, precision));
    return { loss: r.loss, grads: treeMap((g) => (scale === 1 ? round(g) : tf.div(round(g), scale)), r.grads) };
  };
}

/** The number of entries of a tree that are Inf or NaN, as a scalar tensor (no host read). */
export function nonFiniteCount(t: Tree): tf.Scalar {
  return tf.tidy(() => {
    const leaves = treeFlatten(t).leaves.filter((x) => x.dtype === 'float32');
    const counts = leaves.map((x) => tf.sum(tf.cast(tf.logicalNot(tf.isFinite(x)), 'float32')));
    return (counts.length === 0 ? tf.scalar(0) : counts.length === 1 ? counts[0] : tf.addN(counts)) as tf.Scalar;
  });
}

/** Leaves up to this many entries are checked by reading them where a read is cheap (see {@link nonFiniteFlag}). */
export const HOST_CHECK_MAX = 1024;

/**
 * A value that is finite when every entry of `t` is finite: `sum_i sum(x_i)` in float32, one
 * kernel per leaf (and one AddN for several). An Inf or a NaN entry makes it Inf or NaN (`Inf +
 * (-Inf)` is NaN); it is also Inf when finite entries sum past float32's range (|sum| > 3.4e38,
 * entries near 1e38 / size), a false alarm that callers either rule out with
 * {@link nonFiniteCount} where the tensors are still at hand, or name in their error. The engine
 * keeps one per update and reads them in batches (no host read per step); an exact flag would
 * take two kernels per leaf (`sum(x * 0)`).
 *
 * With `readOnHost` (for backends whose tensors live in host memory, where a synchronous read
 * waits for nothing), leaves of at most {@link HOST_CHECK_MAX} entries are read and checked
 * exactly instead (no kernel: on wasm a 20-entry read and check takes 0.6 us, a sum kernel 1.8;
 * at 2,048 entries they cost the same): the result is then a number, NaN when one of them is not
 * finite and 0 when all are and no leaf is left for a kernel.
 */
export function nonFiniteFlag(t: Tree, readOnHost = false): tf.Scalar | number {
  const device: tf.Tensor[] = [];
  for (const x of treeFlatten(t).leaves) {
    if (x.dtype !== 'float32') continue;
    if (!readOnHost || x.size > HOST_CHECK_MAX) device.push(x);
    else if (!allFinite(x.dataSync() as Float32Array)) return Number.NaN;
  }
  if (device.length === 0) return readOnHost ? 0 : tf.scalar(0);
  return tf.tidy(() => {
    const flags = device.map((x) => tf.sum(x));
    return (flags.length === 1 ? flags[0] : tf.addN(flags)) as tf.Scalar;
  });
}

/** Whether every entry is finite (`x * 0` is 0 exactly for finite `x`, NaN for Inf and NaN). */
function allFinite(v: Float32Array): boolean {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] as number) * 0;
  return s === 0;
}

/** Which part of an update is not finite: its loss, else its gradient, else null (one host read). */
export function nonFiniteParts(loss: tf.Scalar, grads: Tree): SkipCause | null {
  const [l, g] = tf.tidy(() => tf.stack([nonFiniteCount(loss), nonFiniteCount(grads)]).dataSync());
  return l !== 0 ? 'loss' : g !== 0 ? 'gradient' : null;
}

/** Why an update was skipped: its loss was not finite, or (with a finite loss) its stored gradient. */
export type SkipCause = 'loss' | 'gradient';

/** What {@link mixedPrecisionUpdate} returns. */
export interface MixedPrecisionResult<O> {
  /** The update, or null when it was skipped (its tensors are then freed). */
  outcome: O | null;
  /** The scaler's next state. */
  scaler: LossScaleState | null;
  /** Why the update was skipped (null when it was not). */
  skipped: SkipCause | null;
}

/**
 * One update under a mixed-precision policy, wrapped around the step: `run(scale)` computes the
 * update with gradients stored at the current loss scale ({@link storedGradient}); an update
 * whose loss or gradient holds an Inf or NaN is skipped (dropped, the parameters left as they
 * are) and the scale backs off; after `growthInterval` finite updates it grows
 * ({@link lossScaleUpdate}). Outside mixed precision, `run(1)` as it is.
 */
export function mixedPrecisionUpdate<O extends { loss: tf.Scalar; grads?: Tree }>(policy: MixedPrecisionPolicy, scaler: LossScaleState | null,
  run: (scale: number) => O, dispose: (o: O) => void): MixedPrecisionResult<O> {
  if (!isMixed(policy)) return { outcome: run(1), scaler, skipped: null };
  const outcome = run(scaler?.scale ?? 1);
  const skipped = nonFiniteParts(outcome.loss, outcome.grads ?? []);
  const next = policy.lossScale !== null && scaler !== null ? lossScaleUpdate(scaler, skipped === null, policy.lossScale) : scaler;
  if (skipped === null) return { outcome, scaler: next, skipped };
  dispose(outcome);
  return { outcome: null, scaler: next, skipped };
}
