// The ASHA of d13e660 (before incremental rungs), kept verbatim in logic as the reference the
// incremental rungs are checked against: it sorts each rung at every ask (O(n log n) per ask).
import type { AskTellOptimizer, Config, EvalResult, Trial } from '../../../src/hpo/types.js';
import { ashaRungs, type AshaOptions } from '../../../src/hpo/asha.js';
import { sampleConfig } from '../../../src/hpo/searchSpace.js';
import { seededRandom } from '../../../src/util/random.js';

interface Entry { id: number; value: number; order: number }
type AshaTrial = Trial & { id: number; rung: number };

export function ashaSorted({ searchSpace, minResource, maxResource, eta = 3, variant = 'promotion', objective = 'loss', seed = 0 }: AshaOptions): AskTellOptimizer {
  const rungs = ashaRungs(minResource, maxResource, eta);
  const rand = seededRandom(seed);
  const configs: Config[] = [];
  const recorded: Entry[][] = rungs.map(() => []);
  const promoted: Set<number>[] = rungs.map(() => new Set());
  const continuations: { id: number; rung: number }[] = [];
  let order = 0;
  const top = (k: number): Entry[] => {
    const entries = [...(recorded[k] as Entry[])].sort((a, b) => a.value - b.value || a.order - b.order);
    return entries.slice(0, Math.max(1, Math.floor(entries.length / eta)));
  };
  const trial = (id: number, rung: number): AshaTrial => ({ config: configs[id] as Config, fidelity: rungs[rung] as number, id, rung });
  return {
    ask: () => {
      if (variant === 'stopping') {
        const c = continuations.shift();
        if (c !== undefined) return trial(c.id, c.rung);
      } else {
        for (let k = rungs.length - 2; k >= 0; k--) {
          const candidate = top(k).find((e) => !(promoted[k] as Set<number>).has(e.id));
          if (candidate !== undefined) {
            (promoted[k] as Set<number>).add(candidate.id);
            return trial(candidate.id, k + 1);
          }
        }
      }
      configs.push(sampleConfig(searchSpace, rand));
      return trial(configs.length - 1, 0);
    },
    tell: (t, result: EvalResult) => {
      const { id, rung } = t as AshaTrial;
      const v = result[objective] as number;
      const entries = recorded[rung] as Entry[];
      if (entries.some((e) => e.id === id)) return;
      entries.push({ id, value: v, order: order++ });
      if (variant === 'stopping' && rung + 1 < rungs.length && top(rung).some((e) => e.id === id)) {
        (promoted[rung] as Set<number>).add(id);
        continuations.push({ id, rung: rung + 1 });
      }
    },
  };
}
