import type { FineTuneConfig } from './fineTune.js';
import { ZOO_SEARCH_SPACE } from './zooSpec.js';

const logRange = (k: string) => {
  const p = ZOO_SEARCH_SPACE[k] as { low: number; high: number };
  return Math.log(p.high / p.low);
};
const LR = logRange('learning_rate');
const WD = logRange('weight_decay');
const MOMENTUM = 0.95;
const BATCH = Math.log2(128 / 16);

/**
 * The tabulated entry a configuration is evaluated as: among the entries of the same zoo model,
 * the nearest in the unit-scaled hyperparameters (log learning rate, momentum, log weight decay,
 * log batch size, each divided by its range; a different frozen choice counts 1), the first on
 * ties; an entry of any model if none has the same. A tabular benchmark's usual nearest-neighbour
 * lookup, so that optimizers that sample the continuous space can run on it.
 */
export function nearestEntry(entries: readonly FineTuneConfig[], c: FineTuneConfig): number {
  let best = -1;
  let bestD = Infinity;
  const sameModel = entries.some((e) => e.model === c.model);
  entries.forEach((e, i) => {
    if (sameModel && e.model !== c.model) return;
    const d = (Math.log(e.lr / c.lr) / LR) ** 2 + ((e.momentum - c.momentum) / MOMENTUM) ** 2 + (Math.log(e.weightDecay / c.weightDecay) / WD) ** 2
      + (Math.log2(e.batchSize / c.batchSize) / BATCH) ** 2 + (e.frozen === c.frozen ? 0 : 1) + (e.model === c.model ? 0 : 4);
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  });
  if (best < 0) throw new Error('zoo: the table has no entries');
  return best;
}
