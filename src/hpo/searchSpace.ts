import type { Config } from '../simulator/types.js';

/** A float hyperparameter in [low, high], on a linear or log scale. */
export interface FloatParam {
  /** Discriminant. */
  type: 'float';
  /** Lower bound. */
  low: number;
  /** Upper bound. */
  high: number;
  /** Sample uniformly in log space (needs low > 0). */
  log?: boolean;
}

/** An integer hyperparameter in [low, high], on a linear or log scale. */
export interface IntParam {
  /** Discriminant. */
  type: 'int';
  /** Lower bound (inclusive). */
  low: number;
  /** Upper bound (inclusive). */
  high: number;
  /** Sample uniformly in log space (needs low >= 1). */
  log?: boolean;
}

/** A categorical hyperparameter. */
export interface CategoricalParam {
  /** Discriminant. */
  type: 'categorical';
  /** The choices (at least one). */
  choices: readonly (string | number | boolean)[];
}

/** One hyperparameter's domain. */
export type Param = FloatParam | IntParam | CategoricalParam;

/** A search space: hyperparameter names to domains. */
export type SearchSpace = Record<string, Param>;

/** Checks a search space; errors name the parameter, the value and what is accepted. */
export function validateSearchSpace(space: SearchSpace): void {
  if (space === null || typeof space !== 'object' || Object.keys(space).length === 0) {
    throw new Error('searchSpace: must be a non-empty record of parameters');
  }
  for (const [name, p] of Object.entries(space)) {
    const where = `searchSpace.${name}`;
    if (p?.type === 'categorical') {
      if (!Array.isArray(p.choices) || p.choices.length === 0) throw new Error(`${where}: choices must be a non-empty array`);
      continue;
    }
    if (p?.type !== 'float' && p?.type !== 'int') {
      throw new Error(`${where}: type must be 'float', 'int' or 'categorical', got ${String((p as { type?: unknown })?.type)}`);
    }
    if (!(Number.isFinite(p.low) && Number.isFinite(p.high) && p.low <= p.high)) {
      throw new Error(`${where}: needs finite low <= high, got low ${p.low}, high ${p.high}`);
    }
    if (p.type === 'int' && !(Number.isInteger(p.low) && Number.isInteger(p.high))) {
      throw new Error(`${where}: an int parameter needs integer bounds, got low ${p.low}, high ${p.high}`);
    }
    if (p.log && !(p.low > 0)) throw new Error(`${where}: a log-scale parameter needs low > 0, got ${p.low}`);
  }
}

/** Maps a unit value u in [0, 1) to the parameter's domain. */
export function fromUnit(p: Param, u: number): number | string | boolean {
  if (p.type === 'categorical') return p.choices[Math.min(p.choices.length - 1, Math.floor(u * p.choices.length))] as string | number | boolean;
  if (p.type === 'float') return p.log ? Math.exp(Math.log(p.low) + u * (Math.log(p.high) - Math.log(p.low))) : p.low + u * (p.high - p.low);
  // Integers: uniform over the integers (linear) or over [low - 0.5, high + 0.5) in log space.
  if (!p.log) return Math.min(p.high, p.low + Math.floor(u * (p.high - p.low + 1)));
  const lo = Math.log(p.low - 0.5);
  const hi = Math.log(p.high + 0.5);
  return Math.min(p.high, Math.max(p.low, Math.round(Math.exp(lo + u * (hi - lo)))));
}

/** A configuration drawn uniformly from `space` with the generator `rand` (seeded: reproducible). */
export function sampleConfig(space: SearchSpace, rand: () => number): Config {
  const config: Config = {};
  for (const name of Object.keys(space).sort()) config[name] = fromUnit(space[name] as Param, rand());
  return config;
}
