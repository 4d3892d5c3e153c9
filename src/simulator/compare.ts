import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeOptimizer } from '../hpo/registry.js';
import type { Benchmark } from '../hpo/types.js';
import { checkPositiveInteger } from '../util/validate.js';
import { performanceOverTime } from './performance.js';
import { readRecords } from './records.js';
import { type SimulateOptions, type SimulationResult, simulate } from './simulate.js';
import { checkStoppingRule, checkWorkers } from './simulationState.js';
import type { MAX_WORKERS, RunIdentity, SimulationRecord, StoppingRule } from './types.js';

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
export interface CompareOptions extends StoppingRule {
  /** The benchmark. */
  benchmark: Benchmark;
  /** Optimizer names (see `OPTIMIZERS`). */
  optimizers: readonly string[];
  /** Simulated workers, an integer in [1, {@link MAX_WORKERS}]. */
  nWorkers: number;
  /** Seeds 0..seeds-1. */
  seeds: number;
  /** Write each run's records to `<dir>/<optimizer>-seed<k>.jsonl`, flushed as each result arrives. */
  outDir?: string;
  /**
   * Continue the runs whose files in `outDir` were cut off (a crash, a kill): each file's records
   * are replayed (see `simulate`'s `resumeFrom`) and the run goes on where it stopped, keeping its
   * run identity; finished runs are read back, missing ones run from the start. Default false.
   */
  resume?: boolean;
  /** Replace existing files in `outDir` (default false: a file that holds records is refused unless `resume`). */
  overwrite?: boolean;
  /** The id stamped on every record of this comparison (with the optimizer, benchmark and seed); default a random UUID. */
  runId?: string;
  /** The command line to stamp on the records, if any. */
  command?: string;
  /** Runs one simulation (default `simulate`); e.g. `simulateIntoStorage` records each run as a study. */
  runSimulation?: (options: SimulateOptions, optimizer: string, seed: number) => Promise<SimulationResult>;
}

/**
 * Runs every optimizer with every seed through the simulator (continual fidelity on, sampling
 * time not charged, so every run is reproducible), stopping each at `nEvals` results or
 * `maxTotalEvalTime` simulated seconds, whichever comes first. Each optimizer is disposed after
 * its run.
 */
export async function compareOptimizers(o: CompareOptions): Promise<Map<string, SimulationRecord[][]>> {
  checkWorkers('compareOptimizers', o.nWorkers);
  checkStoppingRule('compareOptimizers', o);
  checkPositiveInteger('compareOptimizers', 'seeds', o.seeds);
  if (o.resume && o.outDir === undefined) throw new Error('compareOptimizers: resume needs outDir, where the runs to continue are');
  const runId = o.runId ?? randomUUID();
  const out = new Map<string, SimulationRecord[][]>();
  for (const name of o.optimizers) {
    const runs: SimulationRecord[][] = [];
    for (let seed = 0; seed < o.seeds; seed++) {
      const file = o.outDir === undefined ? undefined : join(o.outDir, `${name}-seed${seed}.jsonl`);
      const identity: RunIdentity = { id: runId, seed, optimizer: name, benchmark: o.benchmark.name, ...(o.command !== undefined ? { command: o.command } : {}) };
      let resumeFrom: SimulationRecord[] | undefined;
      let run = identity;
      if (o.resume && file !== undefined && existsSync(file)) {
        resumeFrom = readRecords(file);
        const found = resumeFrom[0]?.run;
        if (found !== undefined) {
          if (found.optimizer !== name || found.seed !== seed || found.benchmark !== o.benchmark.name) {
            throw new Error(`compareOptimizers: ${file} holds a run of ${found.optimizer} on ${found.benchmark} with seed ${found.seed}, not of ${name} on ${o.benchmark.name} with seed ${seed}`);
          }
          run = found;
        }
      }
      const optimizer = makeOptimizer(name, o.benchmark, seed);
      try {
        const { records } = await (o.runSimulation ?? simulate)({
          objective: o.benchmark.objective, optimizer, nWorkers: o.nWorkers, seed, run,
          continualMaxFidelity: o.benchmark.fidelity.max, chargeSamplingTime: false,
          ...(o.nEvals !== undefined ? { nEvals: o.nEvals } : {}),
          ...(o.maxTotalEvalTime !== undefined ? { maxTotalEvalTime: o.maxTotalEvalTime } : {}),
          ...(file !== undefined ? { resultsFile: file, overwrite: o.overwrite ?? false } : {}),
          ...(resumeFrom !== undefined ? { resumeFrom } : {}),
        }, name, seed);
        runs.push(records);
      } finally {
        optimizer.dispose?.();
      }
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
