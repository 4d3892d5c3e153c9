import type { AskTellOptimizer, SearchSpace, Trial } from './types.js';
import { seededRandom } from '../util/random.js';
import { checkSeed } from '../util/validate.js';
import { sampleConfig, validateSearchSpace } from './searchSpace.js';

/** Options of {@link randomSearch}. */
export interface RandomSearchOptions {
  /** The search space. */
  searchSpace: SearchSpace;
  /** The fidelity every trial is evaluated at (e.g. the full budget); default none. */
  fidelity?: number;
  /** Seed, an integer in [0, 2^32); default 0. */
  seed?: number;
}

/** Random search (Bergstra & Bengio 2012): independent uniform samples, at one fidelity. */
export function randomSearch({ searchSpace, fidelity, seed = 0 }: RandomSearchOptions): AskTellOptimizer {
  validateSearchSpace(searchSpace);
  const rand = seededRandom(checkSeed('randomSearch', 'seed', seed));
  return {
    ask: (): Trial => ({ config: sampleConfig(searchSpace, rand), ...(fidelity !== undefined ? { fidelity } : {}) }),
    tell: () => {},
  };
}
