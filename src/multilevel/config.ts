import { type Precision, checkPrecision } from '../precision/formats.js';
import { type LossScaleOptions, resolveLossScale } from '../precision/lossScale.js';
import { checkInteger, checkNumber } from '../util/validate.js';
import { validateHypergradient } from './hypergradients/index.js';
import type { HypergradientOptions } from './hypergradients/types.js';

/** Per-problem configuration (BETTY's `Config`). */
export interface ProblemConfig {
  /** How hypergradients pass through this problem's solution; default cg (10) or unrolled. */
  hypergradient?: HypergradientOptions;
  /**
   * Optimizer updates between steps of the problems that use this one's optimum; default 1. To
   * keep the parents from stepping at all (freezing them), list them in `EngineConfig.frozen`
   * instead of setting a huge value here.
   */
  unrollSteps?: number;
  /**
   * Micro-batches per optimizer update; default 1. Each update's gradient is the mean over its
   * micro-batches of `gradCallback(gradient)`: the callback applies to each micro-batch.
   */
  gradientAccumulation?: number;
  /** Updates before this problem first lets its parents step; default 0. */
  warmupSteps?: number;
  /** Restore parameters and optimizer state to the start of the inner loop after parents step. */
  rollBack?: boolean;
  /**
   * Number format of the working copy of the parameters (and of what `ctx.round` rounds): in
   * `fp16` and `bf16` the optimizer keeps float32 master parameters, the training step sees them
   * rounded to the format (straight-through gradient, `roundTo`), and gradients are stored in
   * the format (so that overflow shows as Inf) before being unscaled. Default `fp32`.
   */
  precision?: Precision;
  /**
   * Dynamic loss scaling ({@link LossScaleOptions}); default on for `fp16` (initial scale 2^15),
   * off (`false`) otherwise. An update whose scaled gradients are not finite is skipped.
   */
  lossScale?: LossScaleOptions | false;
  /**
   * The largest share of a run's attempted updates that mixed precision may skip (non-finite loss
   * or gradient) before `Engine.run` (or `stepOnly`) fails, naming the problem, the loss scale and
   * the cause; in [0, 1], default 0.5. A run whose every update is skipped trained nothing; 1
   * turns the check off.
   */
  maxSkippedShare?: number;
}

/** A problem's configuration with defaults filled in. */
export interface ResolvedProblemConfig extends Required<Omit<ProblemConfig, 'hypergradient' | 'lossScale'>> {
  /** How hypergradients pass through this problem's solution. */
  hypergradient: HypergradientOptions;
  /** Dynamic loss scaling, or null (none). */
  lossScale: Required<LossScaleOptions> | null;
}

/**
 * `config` with its defaults, validated: errors name the problem, the field, the value and the
 * accepted range. `defaultMethod` is the problem kind's method (cg for implicit, unrolled for
 * iterative problems).
 */
export function resolveConfig(name: string, config: ProblemConfig | undefined, defaultMethod: HypergradientOptions): ResolvedProblemConfig {
  const c = config ?? {};
  const who = `problem '${name}'`;
  const count = (field: 'unrollSteps' | 'gradientAccumulation' | 'warmupSteps', min: number) =>
    c[field] === undefined ? min : checkInteger(who, `config.${field}`, c[field], { min });
  const hypergradient = c.hypergradient ?? defaultMethod;
  validateHypergradient(name, hypergradient);
  const precision = checkPrecision(`${who}: config.precision`, c.precision ?? 'fp32');
  const ls = c.lossScale ?? (precision === 'fp16' ? {} : false);
  let lossScale: Required<LossScaleOptions> | null = null;
  if (ls !== false) {
    try {
      lossScale = resolveLossScale(ls);
    } catch (e) {
      throw new Error(`${who}: config.${(e as Error).message}`);
    }
  }
  return {
    hypergradient,
    unrollSteps: count('unrollSteps', 1),
    gradientAccumulation: count('gradientAccumulation', 1),
    warmupSteps: count('warmupSteps', 0),
    rollBack: c.rollBack ?? false,
    precision,
    lossScale,
    maxSkippedShare: c.maxSkippedShare === undefined ? 0.5 : checkNumber(who, 'config.maxSkippedShare', c.maxSkippedShare, { min: 0, max: 1 }),
  };
}
