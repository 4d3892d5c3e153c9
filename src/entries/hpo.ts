/**
 * `hypergrad/hpo`: hyperparameter optimizers as ask/tell objects over a search space (random
 * search, Hyperband, ASHA, TPE, BOHB, and gradient-based HPO through the multilevel engine), and
 * comparisons of them through the simulator (`compareOptimizers`, incumbent bands over seeds,
 * Mann-Whitney tests).
 * @example
 * ```ts
 * import { tpe, type SearchSpace } from 'hypergrad/hpo';
 * const space: SearchSpace = { lr: { type: 'float', low: 1e-4, high: 1, log: true } };
 * const opt = tpe({ searchSpace: space, seed: 0 });
 * const trial = await opt.ask();
 * await opt.tell(trial, { loss: (Number(trial.config.lr) - 0.01) ** 2, runtime: 1 });
 * ```
 * @packageDocumentation
 * @module hypergrad/hpo
 */
export {
  type Config, type EvalResult, type RuntimeField, type EvalContext, type Objective, type Trial, type AskTellOptimizer, type SimulationRecord,
} from '../simulator/types.js';
export {
  type SearchSpace, type Param, type FloatParam, type IntParam, type CategoricalParam, validateSearchSpace, sampleConfig,
} from '../hpo/searchSpace.js';
export { randomSearch, type RandomSearchOptions } from '../hpo/randomSearch.js';
export { hyperband, hyperbandBrackets, type HyperbandOptions, type HyperbandBracket, type HyperbandRound } from '../hpo/hyperband.js';
export { asha, type AshaOptions } from '../hpo/asha.js';
export { tpe, type TpeOptions } from '../hpo/tpe.js';
export { bohb, type BohbOptions } from '../hpo/bohb.js';
export { gradientHpo, type GradientHpoOptions } from '../hpo/gradientHpo.js';
export {
  OPTIMIZERS, type OptimizerName, makeOptimizer, incumbentAt, incumbentBand, compareOptimizers, finalIncumbent, type IncumbentBand,
  type CompareOptions,
} from '../hpo/compare.js';
export { mannWhitneyLess, type MannWhitney } from '../hpo/stats.js';
