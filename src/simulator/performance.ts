import type { SimulationRecord } from './types.js';

/** The incumbent (best value so far) after each arrival. */
export interface PerformanceCurve {
  /** Simulated arrival times, non-decreasing. */
  times: number[];
  /** The best value seen up to each time. */
  values: number[];
}

/**
 * The incumbent over simulated time: for each record in arrival order, its `cumtime` and the best
 * value of `objective` so far (`mode` 'min' or 'max'). Optionally only records at `fidelity`.
 */
export function performanceOverTime(
  records: readonly SimulationRecord[],
  { objective = 'loss', mode = 'min', fidelity }: { objective?: string; mode?: 'min' | 'max'; fidelity?: number } = {},
): PerformanceCurve {
  const times: number[] = [];
  const values: number[] = [];
  let best = mode === 'min' ? Infinity : -Infinity;
  for (const r of records) {
    if (fidelity !== undefined && r.fidelity !== fidelity) continue;
    const v = r.values[objective];
    if (v === undefined) throw new Error(`performanceOverTime: a record has no objective '${objective}'; it has ${Object.keys(r.values).join(', ')}`);
    best = mode === 'min' ? Math.min(best, v) : Math.max(best, v);
    times.push(r.cumtime);
    values.push(best);
  }
  return { times, values };
}
