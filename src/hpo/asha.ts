import type { AskTellOptimizer, Config, EvalResult, Trial } from './types.js';
import { seededRandom } from '../util/random.js';
import { checkOneOf, checkSeed } from '../util/validate.js';
import { AshaRung } from './ashaRung.js';
import { checkResources, resultValue } from './checks.js';
import type { HyperbandOptions } from './hyperband.js';
import { sampleConfig, validateSearchSpace } from './searchSpace.js';

/** Options of {@link asha}: Hyperband's (`minResource` is the grace period), plus the variant. */
export interface AshaOptions extends HyperbandOptions {
  /**
   * `promotion` (default): paused trials are promoted later whenever they rank in the top 1/eta of
   * their rung (resumed through continual fidelity). `stopping`: a trial continues to the next rung
   * only if it ranks in the top 1/eta when its result arrives, else it stops for good.
   */
  variant?: 'promotion' | 'stopping';
}

type AshaTrial = Trial & { id: number; rung: number };

/** The rung resources `r eta^k` up to R. */
export function ashaRungs(minResource: number, maxResource: number, eta = 3): number[] {
  checkResources('asha', minResource, maxResource, eta);
  const out: number[] = [];
  for (let r = minResource; r <= maxResource * (1 + 1e-9); r *= eta) out.push(Number.isInteger(minResource) ? Math.round(r) : r);
  return out;
}

/**
 * ASHA (Li et al. 2020), asynchronous successive halving: a trial is promoted from rung k when it
 * ranks in the top `floor(n_k / eta)` of the `n_k` values recorded there (each trial recorded
 * once per rung); with fewer than eta values, only the best is promotable. Ties rank the earlier
 * result first. `ask` returns a promotion from the highest rung that has one, else a new
 * configuration at the lowest rung.
 */
export function asha({ searchSpace, minResource, maxResource, eta = 3, variant = 'promotion', objective = 'loss', seed = 0 }: AshaOptions): AskTellOptimizer {
  validateSearchSpace(searchSpace);
  checkOneOf('asha', 'variant', variant, ['promotion', 'stopping'] as const);
  const rungs = ashaRungs(minResource, maxResource, eta);
  const rand = seededRandom(checkSeed('asha', 'seed', seed));
  const configs: Config[] = [];
  const recorded = rungs.map(() => new AshaRung(eta));
  const continuations: { id: number; rung: number }[] = [];
  let nextContinuation = 0;
  const trial = (id: number, rung: number): AshaTrial => ({ config: configs[id] as Config, fidelity: rungs[rung] as number, id, rung });
  return {
    ask: () => {
      if (variant === 'stopping') {
        const c = continuations[nextContinuation];
        if (c !== undefined) {
          nextContinuation++;
          return trial(c.id, c.rung);
        }
      } else {
        for (let k = rungs.length - 2; k >= 0; k--) {
          const candidate = (recorded[k] as AshaRung).promotable();
          if (candidate !== undefined) {
            candidate.promoted = true;
            return trial(candidate.id, k + 1);
          }
        }
      }
      configs.push(sampleConfig(searchSpace, rand));
      return trial(configs.length - 1, 0);
    },
    tell: (t, result: EvalResult) => {
      const { id, rung } = t as AshaTrial;
      const v = resultValue('asha', result, objective);
      const r = recorded[rung] as AshaRung;
      if (r.has(id)) return; // each trial is recorded once per rung
      const entry = r.add(id, v);
      if (variant === 'stopping' && rung + 1 < rungs.length && entry.inTop) {
        entry.promoted = true;
        continuations.push({ id, rung: rung + 1 });
      }
    },
  };
}
