/**
 * Dynamic loss scaling (Micikevicius et al. 2018, as in PyTorch's GradScaler and BETTY): the loss
 * is multiplied by `scale` before differentiation so that small gradients survive 16-bit storage;
 * gradients are divided by it before the update. A step whose scaled gradients hold an Inf or NaN
 * is skipped and the scale multiplied by `backoff`; after `growthInterval` finite steps in a row
 * it is multiplied by `growthFactor`. Pure init/update functions.
 */

/** Options of dynamic loss scaling. */
export interface LossScaleOptions {
  /** Initial scale; default 2^15. */
  initial?: number;
  /** Multiplier after `growthInterval` finite steps; default 2. */
  growthFactor?: number;
  /** Finite steps in a row before growing; default 2000. */
  growthInterval?: number;
  /** Multiplier after a non-finite step; default 0.5. */
  backoff?: number;
  /** The scale never goes below this; default 1. */
  minScale?: number;
}

/** The scaler's state. */
export interface LossScaleState {
  /** The current scale. */
  scale: number;
  /** Finite steps since the last change. */
  goodSteps: number;
  /** Steps skipped so far. */
  skipped: number;
}

/** Options with defaults filled in, validated (errors name the option, value and range). */
export function resolveLossScale(o: LossScaleOptions = {}): Required<LossScaleOptions> {
  const r = { initial: 2 ** 15, growthFactor: 2, growthInterval: 2000, backoff: 0.5, minScale: 1, ...o };
  const check = (k: keyof LossScaleOptions, ok: boolean, range: string) => {
    if (!ok) throw new Error(`lossScale.${k} must be ${range}, got ${String(r[k])}`);
  };
  check('initial', r.initial > 0 && Number.isFinite(r.initial), 'a finite number > 0');
  check('growthFactor', r.growthFactor >= 1 && Number.isFinite(r.growthFactor), 'a finite number >= 1');
  check('growthInterval', Number.isInteger(r.growthInterval) && r.growthInterval >= 1, 'an integer >= 1');
  check('backoff', r.backoff > 0 && r.backoff < 1, 'in (0, 1)');
  check('minScale', r.minScale > 0 && r.minScale <= r.initial, `in (0, initial = ${r.initial}]`);
  return r;
}

/** The initial state. */
export function lossScaleInit(o: Required<LossScaleOptions>): LossScaleState {
  return { scale: o.initial, goodSteps: 0, skipped: 0 };
}

/** The state after a step whose scaled gradients were `finite` (or not: the step is skipped). */
export function lossScaleUpdate(s: LossScaleState, finite: boolean, o: Required<LossScaleOptions>): LossScaleState {
  if (!finite) return { scale: Math.max(o.minScale, s.scale * o.backoff), goodSteps: 0, skipped: s.skipped + 1 };
  const good = s.goodSteps + 1;
  return good >= o.growthInterval ? { scale: s.scale * o.growthFactor, goodSteps: 0, skipped: s.skipped } : { scale: s.scale, goodSteps: good, skipped: s.skipped };
}
