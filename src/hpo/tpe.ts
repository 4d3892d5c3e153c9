import type { AskTellOptimizer, Config, EvalResult, SearchSpace, Trial } from './types.js';
import { seededRandom } from '../util/random.js';
import { checkInteger, checkPositiveInteger, checkSeed } from '../util/validate.js';
import { resultValue } from './checks.js';
import { type InitialConfigsOption, initialConfigQueue } from './initialConfigs.js';
import { proposeByDensityRatio } from './parzen.js';
import { sampleConfig, validateSearchSpace } from './searchSpace.js';

/** Options of {@link tpe}. */
export interface TpeOptions extends InitialConfigsOption {
  /** The search space. */
  searchSpace: SearchSpace;
  /** The fidelity every trial runs at; default none. */
  fidelity?: number;
  /** Random trials before the model is used; default 10 (Optuna's). */
  startupTrials?: number;
  /** Candidates drawn per proposal; default 24 (Optuna's). */
  candidates?: number;
  /** The result key to minimise; default 'loss'. */
  objective?: string;
  /** Seed, an integer in [0, 2^32); default 0. */
  seed?: number;
  /**
   * Constant liar (Optuna's `constant_liar`): trials asked and not yet told count as observations
   * with the worst value, so parallel workers asking before results arrive do not all propose the
   * same region. Default false (the single-process result is unchanged); shared studies turn it on.
   */
  constantLiar?: boolean;
}

/** TPE's number of "good" trials among n: `min(ceil(0.1 n), 25)` (Optuna's default gamma). */
export function tpeGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/** An observation with the value TPE ranks by. */
export interface Valued {
  /** The objective value (lower is better). */
  value: number;
}

/** The two groups of {@link tpeSplit}. */
export interface TpeGroups<T> {
  /** The best `tpeGamma(n)` observations. */
  good: T[];
  /** The rest. */
  bad: T[];
}

/** Splits observations into the best `tpeGamma(n)` and the rest (ties: the earlier first). */
export function tpeSplit<T extends Valued>(observations: readonly T[]): TpeGroups<T> {
  const ranked = observations.map((o, i) => [o, i] as const).sort((a, b) => a[0].value - b[0].value || a[1] - b[1]).map(([o]) => o);
  const k = tpeGamma(observations.length);
  return { good: ranked.slice(0, k), bad: ranked.slice(k) };
}

/**
 * The Tree-structured Parzen Estimator (Bergstra et al. 2011), univariate, with Optuna's defaults:
 * random for the first 10 trials, then each parameter drawn as the best of 24 candidates from the
 * good trials' density by the ratio `l(x) / g(x)`. Any `initialConfigs` are asked first (they count
 * as start-up trials once told).
 */
export function tpe({ searchSpace, fidelity, startupTrials = 10, candidates = 24, objective = 'loss', seed = 0, initialConfigs, constantLiar = false }: TpeOptions): AskTellOptimizer {
  validateSearchSpace(searchSpace);
  checkInteger('tpe', 'startupTrials', startupTrials, { min: 0 });
  checkPositiveInteger('tpe', 'candidates', candidates);
  const rand = seededRandom(checkSeed('tpe', 'seed', seed));
  const observed: { config: Config; value: number }[] = [];
  const pending = new Set<Trial>();
  const initial = initialConfigQueue('tpe', searchSpace, initialConfigs);
  return {
    ask: () => {
      const lies = constantLiar ? [...pending].map((p) => ({ config: p.config, value: Infinity })) : [];
      const config = initial() ?? (observed.length < startupTrials
        ? sampleConfig(searchSpace, rand)
        : (() => {
            const { good, bad } = tpeSplit([...observed, ...lies]);
            return proposeByDensityRatio(searchSpace, good.map((o) => o.config), bad.map((o) => o.config), candidates, rand);
          })());
      const trial: Trial = { config, ...(fidelity !== undefined ? { fidelity } : {}) };
      if (constantLiar) pending.add(trial);
      return trial;
    },
    tell: (trial, result: EvalResult) => {
      const v = resultValue('tpe', result, objective);
      pending.delete(trial);
      observed.push({ config: trial.config, value: v });
    },
  };
}
