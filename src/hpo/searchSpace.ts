import type { Config, Param, SearchSpace } from './types.js';

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

/**
 * A key that identifies a configuration: its entries sorted by name, as JSON. Two configurations
 * with the same values get the same key whatever the order of their fields (continual fidelity
 * finds a configuration's cached states by it; a replay compares trials by it).
 */
export function configKey(config: Config): string {
  return JSON.stringify(Object.keys(config).sort().map((k) => [k, config[k]]));
}
