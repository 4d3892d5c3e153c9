/**
 * `hypergrad/hpo`: the HPO vocabulary (configurations, search spaces, trials, the ask/tell
 * contract), the optimizers (random search, Hyperband, ASHA, BOHB, TPE, gradient-based) and the
 * replay that rebuilds any of them from its history.
 * @module
 */
export type {
  Config, EvalResult, RuntimeField, EvalContext, Objective, Trial, AskTellOptimizer, Param, FloatParam, IntParam, CategoricalParam,
  SearchSpace, FidelityRange, Benchmark,
} from './types.js';
export { validateSearchSpace, sampleConfig, configKey } from './searchSpace.js';
export { replayOptimizer, ReplayMismatchError, type OptimizerEvent, type AskEvent, type TellEvent, type ReplayedOptimizer, type ReplicaAsk } from './replay.js';
export { randomSearch, type RandomSearchOptions } from './randomSearch.js';
export {
  hyperband, hyperbandWith, hyperbandBrackets, type HyperbandOptions, type HyperbandBracket, type HyperbandRound, type ConfigSampler,
} from './hyperband.js';
export { asha, ashaRungs, type AshaOptions } from './asha.js';
export { bohb, type BohbOptions } from './bohb.js';
export { tpe, type TpeOptions } from './tpe.js';
export { gradientHpo, type GradientHpo, type GradientHpoOptions } from './gradientHpo.js';
export { OPTIMIZERS, type OptimizerName, makeOptimizer } from './registry.js';
export { mannWhitneyLess, type MannWhitney } from './stats.js';
