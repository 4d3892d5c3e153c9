import type { AskTellOptimizer, SearchSpace, Trial } from './types.js';
import { seededRandom } from '../util/random.js';
import { checkSeed } from '../util/validate.js';
import { type InitialConfigsOption, initialConfigQueue } from './initialConfigs.js';
import { sampleConfig, validateSearchSpace } from './searchSpace.js';

/** Options of {@link randomSearch}. */
export interface RandomSearchOptions extends InitialConfigsOption {
  /** The search space. */
  searchSpace: SearchSpace;
  /** The fidelity every trial is evaluated at (e.g. the full budget); default none. */
  fidelity?: number;
  /** Seed, an integer in [0, 2^32); default 0. */
  seed?: number;
}

/** Random search (Bergstra & Bengio 2012): independent uniform samples, at one fidelity (after any `initialConfigs`). */
export function randomSearch({ searchSpace, fidelity, seed = 0, initialConfigs }: RandomSearchOptions): AskTellOptimizer {
  validateSearchSpace(searchSpace);
  const rand = seededRandom(checkSeed('randomSearch', 'seed', seed));
  const initial = initialConfigQueue('randomSearch', searchSpace, initialConfigs);
  return {
    ask: (): Trial => ({ config: initial() ?? sampleConfig(searchSpace, rand), ...(fidelity !== undefined ? { fidelity } : {}) }),
    tell: () => {},
  };
}
