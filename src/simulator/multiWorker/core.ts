import { mulberry32 } from '../../util/random.js';
import { configKey } from '../simulate.js';
import type { CachedState, Config, EvalResult, SimulationRecord } from '../types.js';

/**
 * The multi-worker simulator's shared state: plain JSON, so it can live in memory or in a file.
 * The rules are those of `simulate`: a worker's result is released (returned to the worker that
 * evaluated it) only once every worker has a pending evaluation and its clock is the smallest
 * (lowest index on ties). So a freed worker must submit its next evaluation before anything else is
 * released, and results arrive in exactly the single-process order.
 */
export interface SharedState {
  /** Number of workers. */
  nWorkers: number;
  /** Results to release before finishing. */
  nEvals: number;
  /** Stop before releasing a result that arrives later (seconds). */
  maxTotalEvalTime: number | null;
  /** Continual fidelity's maximal fidelity, or null. */
  continualMaxFidelity: number | null;
  /** Workers that have submitted at least once (their index is their order of first submission). */
  joined: number;
  /** Per-worker simulated clocks. */
  clocks: number[];
  /** Per-worker pending evaluation (its record), or null while the worker is free. */
  pending: (SimulationRecord | null)[];
  /** Results released so far. */
  released: number;
  /** Set once nEvals results are released (or maxTotalEvalTime is reached). */
  finished: boolean;
  /** Why it finished. */
  stoppedBy: 'nEvals' | 'maxTotalEvalTime' | null;
  /** State of the seed generator (mulberry32). */
  rng: number;
  /** Continual-fidelity cache: config key -> resumable states. */
  cache: Record<string, CachedState[]>;
}

/** A fresh state. */
export function initialState(o: { nWorkers: number; nEvals: number; maxTotalEvalTime?: number; continualMaxFidelity?: number; seed?: number }): SharedState {
  if (!(Number.isInteger(o.nWorkers) && o.nWorkers >= 1)) throw new Error(`multi-worker simulator: nWorkers must be an integer >= 1, got ${o.nWorkers}`);
  if (!(Number.isInteger(o.nEvals) && o.nEvals >= 1)) throw new Error(`multi-worker simulator: nEvals must be an integer >= 1, got ${o.nEvals}`);
  return {
    nWorkers: o.nWorkers, nEvals: o.nEvals, maxTotalEvalTime: o.maxTotalEvalTime ?? null, continualMaxFidelity: o.continualMaxFidelity ?? null,
    joined: 0, clocks: new Array(o.nWorkers).fill(0), pending: new Array(o.nWorkers).fill(null), released: 0, finished: false, stoppedBy: null,
    rng: Math.floor(o.seed ?? 0) >>> 0, cache: {},
  };
}

/** The next seed (the same generator, in the same order, as `simulate`). */
function nextSeed(s: SharedState): number {
  const [u, next] = mulberry32(s.rng);
  s.rng = next;
  return Math.floor(u * 2 ** 30);
}

/** Assigns `worker` an index at its first submission, and charges its sampling time. Returns the index and the evaluation's seed and credit. */
export function beginSubmission(s: SharedState, worker: number | null, sampling: number, config: Config, fidelity: number | undefined):
  { worker: number; seed: number; credit: number } {
  if (s.finished) throw new SimulationFinished();
  let w = worker;
  if (w === null) {
    if (s.joined >= s.nWorkers) throw new Error(`multi-worker simulator: more than nWorkers = ${s.nWorkers} workers submitted`);
    w = s.joined++;
  }
  if (s.pending[w] !== null) throw new Error(`multi-worker simulator: worker ${w} submitted while its previous evaluation is pending`);
  s.clocks[w] = (s.clocks[w] as number) + sampling;
  let seed = nextSeed(s);
  let credit = 0;
  if (s.continualMaxFidelity !== null) {
    if (typeof fidelity !== 'number') throw new Error('multi-worker simulator: continualMaxFidelity needs a numeric fidelity on every evaluation');
    const states = (s.cache[configKey(config)] ??= []);
    const i = states.findIndex((c) => c.arrival <= (s.clocks[w] as number) && c.fidelity < fidelity);
    if (i >= 0) {
      const [c] = states.splice(i, 1);
      seed = c?.seed as number;
      credit = c?.runtime as number;
    }
  }
  return { worker: w, seed, credit };
}

/** Records `worker`'s evaluation result as pending; returns the record. */
export function finishSubmission(s: SharedState, worker: number, config: Config, fidelity: number | undefined, seed: number, credit: number, result: EvalResult): SimulationRecord {
  const runtime = Math.max(0, result.runtime - credit);
  s.clocks[worker] = (s.clocks[worker] as number) + runtime;
  if (s.continualMaxFidelity !== null && (fidelity as number) < s.continualMaxFidelity) {
    (s.cache[configKey(config)] ??= []).push({ fidelity: fidelity as number, runtime: result.runtime, arrival: s.clocks[worker] as number, seed });
  }
  const values: Record<string, number> = {};
  for (const k in result) if (k !== 'runtime') values[k] = result[k] as number;
  const record: SimulationRecord = { cumtime: s.clocks[worker] as number, workerIndex: worker, config, seed, runtime, values, ...(fidelity !== undefined ? { fidelity } : {}) };
  s.pending[worker] = record;
  return record;
}

/**
 * Releases the next result if the rules allow: every worker pending, and the smallest clock (lowest
 * index on ties). Returns the released record, or null when some worker must submit first.
 */
export function releaseNext(s: SharedState): SimulationRecord | null {
  if (s.finished || s.joined < s.nWorkers || s.pending.some((p) => p === null)) return null;
  let w = 0;
  for (let v = 1; v < s.nWorkers; v++) if ((s.clocks[v] as number) < (s.clocks[w] as number)) w = v;
  const record = s.pending[w] as SimulationRecord;
  if (s.maxTotalEvalTime !== null && record.cumtime > s.maxTotalEvalTime) {
    s.finished = true;
    s.stoppedBy = 'maxTotalEvalTime';
    return null;
  }
  s.pending[w] = null;
  s.released++;
  if (s.released >= s.nEvals) {
    s.finished = true;
    s.stoppedBy = 'nEvals';
  }
  return record;
}

/** Thrown to a worker that submits, or waits, after the simulation has finished: stop evaluating. */
export class SimulationFinished extends Error {
  constructor() {
    super('the simulation has finished (nEvals results released or maxTotalEvalTime reached); stop evaluating');
    this.name = 'SimulationFinished';
  }
}
