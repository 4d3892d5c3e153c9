import type { Benchmark } from '../simulator/benchmarks/types.js';
import { performanceOverTime } from '../simulator/performance.js';
import { simulate } from '../simulator/simulate.js';
import type { AskTellOptimizer, SimulationRecord } from '../simulator/types.js';
import { asha } from './asha.js';
import { bohb } from './bohb.js';
import { hyperband } from './hyperband.js';
import { randomSearch } from './randomSearch.js';
import { tpe } from './tpe.js';
import { gradientHpo } from './gradientHpo.js';

/** The black-box optimizers, by name. */
export const OPTIMIZERS = ['random', 'hyperband', 'asha', 'bohb', 'tpe', 'gradient'] as const;
/** One of {@link OPTIMIZERS}. */
export type OptimizerName = (typeof OPTIMIZERS)[number];

/**
 * Builds a named optimizer for a benchmark: multi-fidelity ones between its fidelity range's ends
 * (eta 3), single-fidelity ones at the full fidelity, `gradient` (mnist-mlp only) by hypergradient.
 */
export function makeOptimizer(name: string, bench: Benchmark, seed: number): AskTellOptimizer {
  const { searchSpace, fidelity } = bench;
  const objective = bench.objectives[0] ?? 'loss';
  const mf = { searchSpace, minResource: fidelity.min, maxResource: fidelity.max, seed, objective };
  switch (name) {
    case 'random': return randomSearch({ searchSpace, fidelity: fidelity.max, seed });
    case 'hyperband': return hyperband(mf);
    case 'asha': return asha(mf);
    case 'bohb': return bohb(mf);
    case 'tpe': return tpe({ searchSpace, fidelity: fidelity.max, seed, objective });
    case 'gradient':
      if (bench.name !== 'mnist-mlp') throw new Error(`optimizer 'gradient' tunes a real training problem by hypergradient; use it with --benchmark mnist-mlp, not '${bench.name}'`);
      return gradientHpo({ seed });
    default: throw new Error(`unknown optimizer '${name}'; accepted: ${OPTIMIZERS.join(', ')}`);
  }
}

/** Median and quartiles of incumbents over seeds, on a common time grid. */
export interface IncumbentBand {
  /** Simulated times (log-spaced). */
  times: number[];
  /** Median incumbent over seeds (NaN before any seed has a result). */
  median: number[];
  /** 25th percentile. */
  lower: number[];
  /** 75th percentile. */
  upper: number[];
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

/** The incumbent of one run at simulated time `t` (best value among results arrived by t). */
export function incumbentAt(records: readonly SimulationRecord[], t: number, objective = 'loss'): number {
  let best = Number.NaN;
  for (const r of records) {
    if (r.cumtime > t) break;
    const v = r.values[objective] as number;
    if (!(best <= v)) best = v;
  }
  return best;
}

/** Median and quartiles over runs (seeds) on `points` log-spaced times (NaN until every run has a result). */
export function incumbentBand(runs: readonly (readonly SimulationRecord[])[], objective = 'loss', points = 60): IncumbentBand {
  const first = Math.min(...runs.map((r) => r[0]?.cumtime ?? Infinity));
  const last = Math.max(...runs.map((r) => r[r.length - 1]?.cumtime ?? 0));
  const lo = Math.log(Math.max(first, 1e-9));
  const hi = Math.log(Math.max(last, first * 1.0001));
  const band: IncumbentBand = { times: [], median: [], lower: [], upper: [] };
  for (let i = 0; i < points; i++) {
    // The last time is the last arrival itself: exp(log(t)) can fall an ulp short and drop it.
    const t = i === points - 1 ? Math.max(last, first * 1.0001) : Math.exp(lo + ((hi - lo) * i) / (points - 1));
    const all = runs.map((r) => incumbentAt(r, t, objective));
    // No statistics until every run has a result (a median over a changing subset is not monotone).
    const vals = all.some((v) => Number.isNaN(v)) ? [] : all.sort((a, b) => a - b);
    band.times.push(t);
    band.median.push(quantile(vals, 0.5));
    band.lower.push(quantile(vals, 0.25));
    band.upper.push(quantile(vals, 0.75));
  }
  return band;
}

/** Options of {@link compareOptimizers}. */
export interface CompareOptions {
  /** The benchmark. */
  benchmark: Benchmark;
  /** Optimizer names (see {@link OPTIMIZERS}). */
  optimizers: readonly string[];
  /** Simulated workers. */
  nWorkers: number;
  /** Results per run. */
  nEvals: number;
  /** Seeds 0..seeds-1. */
  seeds: number;
  /** Write each run's records to `<dir>/<optimizer>-seed<k>.jsonl`. */
  outDir?: string;
  /** Stop each run at this simulated time (seconds): compare at equal simulated time. */
  maxTotalEvalTime?: number;
}

/** Runs every optimizer with every seed through the simulator (continual fidelity on). */
export async function compareOptimizers(o: CompareOptions): Promise<Map<string, SimulationRecord[][]>> {
  const out = new Map<string, SimulationRecord[][]>();
  for (const name of o.optimizers) {
    const runs: SimulationRecord[][] = [];
    for (let seed = 0; seed < o.seeds; seed++) {
      const { records } = await simulate({
        objective: o.benchmark.objective, optimizer: makeOptimizer(name, o.benchmark, seed), nWorkers: o.nWorkers, nEvals: o.nEvals, seed,
        continualMaxFidelity: o.benchmark.fidelity.max, chargeSamplingTime: false,
        ...(o.maxTotalEvalTime !== undefined ? { maxTotalEvalTime: o.maxTotalEvalTime } : {}),
        ...(o.outDir !== undefined ? { resultsFile: `${o.outDir}/${name}-seed${seed}.jsonl` } : {}),
      });
      runs.push(records);
    }
    out.set(name, runs);
  }
  return out;
}

/** The final incumbent of a run. */
export function finalIncumbent(records: readonly SimulationRecord[], objective = 'loss'): number {
  const c = performanceOverTime(records, { objective });
  return c.values[c.values.length - 1] ?? Number.NaN;
}
