import { asha } from './asha.js';
import { bohb } from './bohb.js';
import { gradientHpo } from './gradientHpo.js';
import { hyperband } from './hyperband.js';
import { randomSearch } from './randomSearch.js';
import type { InitialConfigsOption } from './initialConfigs.js';
import { tpe } from './tpe.js';
import type { AskTellOptimizer, Benchmark } from './types.js';

/** The optimizers, by name. */
export const OPTIMIZERS = ['random', 'hyperband', 'asha', 'bohb', 'tpe', 'gradient'] as const;
/** One of {@link OPTIMIZERS}. */
export type OptimizerName = (typeof OPTIMIZERS)[number];

/**
 * Builds a named optimizer for a benchmark: multi-fidelity ones between its fidelity range's ends
 * (eta 3), single-fidelity ones at the full fidelity, `gradient` (mnist-mlp only) by hypergradient.
 * The same name, benchmark and seed always build the same optimizer, so a run's optimizer can be
 * rebuilt in any process from its records (see `replayOptimizer`). `initialConfigs` (a warm start)
 * is accepted by `random`, `tpe` and `bohb`.
 */
export function makeOptimizer(name: string, bench: Benchmark, seed: number, { initialConfigs }: InitialConfigsOption = {}): AskTellOptimizer {
  const { searchSpace, fidelity } = bench;
  if (initialConfigs !== undefined && !['random', 'tpe', 'bohb'].includes(name)) throw new Error(`makeOptimizer: initialConfigs is accepted by random, tpe and bohb, not '${name}'`);
  const objective = bench.objectives[0] ?? 'loss';
  const mf = { searchSpace, minResource: fidelity.min, maxResource: fidelity.max, seed, objective };
  switch (name) {
    case 'random': return randomSearch({ searchSpace, fidelity: fidelity.max, seed, initialConfigs });
    case 'hyperband': return hyperband(mf);
    case 'asha': return asha(mf);
    case 'bohb': return bohb({ ...mf, initialConfigs });
    case 'tpe': return tpe({ searchSpace, fidelity: fidelity.max, seed, objective, initialConfigs });
    case 'gradient':
      if (bench.name !== 'mnist-mlp') throw new Error(`optimizer 'gradient' tunes a real training problem by hypergradient; use it with --benchmark mnist-mlp, not '${bench.name}'`);
      return gradientHpo({ seed });
    default: throw new Error(`unknown optimizer '${name}'; accepted: ${OPTIMIZERS.join(', ')}`);
  }
}
