import type { AskTellOptimizer, Config } from './types.js';
import { seededRandom } from '../util/random.js';
import { checkInteger, checkNumber, checkPositive, checkPositiveInteger, checkSeed } from '../util/validate.js';
import { type HyperbandOptions, hyperbandWith } from './hyperband.js';
import { type InitialConfigsOption, initialConfigQueue } from './initialConfigs.js';
import { proposeByDensityRatio } from './parzen.js';
import { sampleConfig } from './searchSpace.js';

/** Options of {@link bohb}. */
export interface BohbOptions extends HyperbandOptions, InitialConfigsOption {
  /** Fraction of configurations drawn at random; default 1/3. */
  randomFraction?: number;
  /** Percent of a budget's observations taken as good; default 15. */
  topPercent?: number;
  /** Candidates drawn per proposal; default 64. */
  candidates?: number;
  /** Bandwidth factor of the densities; default 3. */
  bandwidthFactor?: number;
  /**
   * The model sees at most this many observations of its budget, the most recent ones; default
   * 256. This bounds the cost of an ask (the densities sum one kernel per observation, for each of
   * the `candidates`), which would otherwise grow with the history; runs whose budgets hold fewer
   * observations decide exactly as without the bound. `Infinity` turns it off.
   */
  modelObservations?: number;
}

/**
 * BOHB (Falkner et al. 2018): Hyperband's brackets, with new configurations proposed by a
 * TPE-style density ratio fitted on the largest budget that has enough observations (at least
 * d + 3, d the number of hyperparameters): good = the top 15% (at least d + 1), bad = the rest,
 * best of 64 candidates drawn from the good density (bandwidths x3); a third of the
 * configurations stay random. The model is fitted on the `modelObservations` most recent
 * observations of that budget (default 256), so an ask costs the same after 1,000 or 100,000
 * results. Any `initialConfigs` fill the first brackets' first rounds.
 */
export function bohb(options: BohbOptions): AskTellOptimizer {
  const { searchSpace, randomFraction = 1 / 3, topPercent = 15, candidates = 64, bandwidthFactor = 3, modelObservations = 256 } = options;
  checkNumber('bohb', 'randomFraction', randomFraction, { min: 0, max: 1 });
  checkNumber('bohb', 'topPercent', topPercent, { min: 0, max: 100, minExclusive: true });
  checkPositiveInteger('bohb', 'candidates', candidates);
  checkPositive('bohb', 'bandwidthFactor', bandwidthFactor);
  if (modelObservations !== Infinity) checkInteger('bohb', 'modelObservations', modelObservations, { min: Object.keys(searchSpace ?? {}).length + 3 });
  const rand = seededRandom(checkSeed('bohb', 'seed', options.seed ?? 0));
  const byBudget = new Map<number, { config: Config; value: number }[]>();
  const nMin = Object.keys(searchSpace).length + 1;
  const initial = initialConfigQueue('bohb', searchSpace, options.initialConfigs);
  return hyperbandWith(options, {
    observe: (config, resource, value) => {
      const list = byBudget.get(resource) ?? [];
      list.push({ config, value });
      byBudget.set(resource, list);
    },
    sample: () => {
      const first = initial();
      if (first !== undefined) return first;
      if (rand() < randomFraction) return sampleConfig(searchSpace, rand);
      const budgets = [...byBudget.keys()].sort((a, b) => b - a);
      const budget = budgets.find((b) => (byBudget.get(b)?.length ?? 0) >= nMin + 2);
      if (budget === undefined) return sampleConfig(searchSpace, rand);
      const all = byBudget.get(budget) ?? [];
      const obs = all.slice(Math.max(0, all.length - modelObservations)).sort((a, b) => a.value - b.value);
      const nGood = Math.max(nMin, Math.floor((topPercent * obs.length) / 100));
      const nBad = Math.max(nMin, obs.length - nGood);
      const good = obs.slice(0, nGood).map((o) => o.config);
      const bad = obs.slice(obs.length - nBad).map((o) => o.config);
      return proposeByDensityRatio(searchSpace, good, bad, candidates, rand, bandwidthFactor);
    },
  });
}
