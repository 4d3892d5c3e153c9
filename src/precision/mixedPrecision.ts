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

/**
 * A scalar that is 0 when every entry of `t` is finite and NaN otherwise: `sum_i sum(x_i * 0)`
 * (`Inf * 0` and `NaN * 0` are NaN, a finite `x * 0` is exactly 0). Two kernels per leaf where
 * {@link nonFiniteCount} takes four: the engine keeps one per update (no host read).
 */
export function nonFiniteFlag(t: Tree): tf.Scalar {
  return tf.tidy(() => {
    const leaves = treeFlatten(t).leaves.filter((x) => x.dtype === 'float32');
    const flags = leaves.map((x) => tf.sum(tf.mul(x, 0)));
    return (flags.length === 0 ? tf.scalar(0) : flags.length === 1 ? flags[0] : tf.addN(flags)) as tf.Scalar;
  });
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
