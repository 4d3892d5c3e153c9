import type { Config } from './types.js';
import type { Param, SearchSpace } from './types.js';

/** The warm-start option random search, TPE and BOHB share. */
export interface InitialConfigsOption {
  /**
   * Configurations to propose first, in order, before the optimizer's own (e.g. the best
   * configurations of similar tasks, from the landscape module's `transferConfigs`). They are told
   * like any other trial, so model-based optimizers learn from them.
   */
  initialConfigs?: readonly Config[];
}

function inDomain(p: Param, v: unknown): boolean {
  if (p.type === 'categorical') return p.choices.includes(v as never);
  return typeof v === 'number' && v >= p.low && v <= p.high && (p.type === 'float' || Number.isInteger(v));
}

/**
 * The initial configurations as a queue: each call returns the next one (a copy), then undefined
 * once all are used, so an optimizer asks `initial() ?? ownProposal()`. Each is checked against the
 * space (every parameter present and in its domain, no other key).
 */
export function initialConfigQueue(who: string, space: SearchSpace, initial: readonly Config[] | undefined): () => Config | undefined {
  const queue = [...(initial ?? [])];
  queue.forEach((c, i) => {
    for (const [name, p] of Object.entries(space)) {
      if (!inDomain(p, c?.[name])) throw new Error(`${who}: initialConfigs[${i}].${name} must be in the search space's domain, got ${JSON.stringify(c?.[name])}`);
    }
    const extra = Object.keys(c).filter((k) => !(k in space));
    if (extra.length > 0) throw new Error(`${who}: initialConfigs[${i}] has ${extra.join(', ')}, not in the search space`);
  });
  let k = 0;
  return () => (k < queue.length ? { ...(queue[k++] as Config) } : undefined);
}
