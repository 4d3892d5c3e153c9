import type { Config, EvalResult } from '../hpo/types.js';
import { mulberry32 } from '../util/random.js';
import { argumentError, checkInteger, checkNumber, checkSeed } from '../util/validate.js';
import { ReplayMismatchError } from '../hpo/replay.js';
import { type ClockHeap, clockChanged, clockHeap, clockIncreased, earliestWorker } from './clockHeap.js';
import { configKey } from '../hpo/searchSpace.js';
import { type CachedState, MAX_WORKERS, type RunIdentity, type SimulationRecord, type StoppingRule } from './types.js';

/**
 * The arrival rules of the simulator, defined once, as a state machine over plain JSON (so the
 * state can live in memory, for `simulate` and `asyncSimulator`, or in a file shared by processes).
 * Every worker keeps a simulated clock. **The worker with the smallest `(clock, index)` moves
 * next**: if it has a pending result, that result arrives (is released to its worker and told);
 * if it is free, it must submit its next evaluation before anything else arrives (its result can
 * arrive no earlier than its clock). A submission charges the sampling time, draws the
 * evaluation's seed and, with continual fidelity, resumes a cached lower-fidelity state of the same
 * configuration whose result has already arrived (charging only the runtime difference). This is
 * mfhpo-simulator's rule (Watanabe 2023): results arrive in the order a real run would see them.
 */
export interface SimulationState {
  /** Number of workers. */
  nWorkers: number;
  /** Results to release before finishing, or null (unbounded: `maxTotalEvalTime` stops the run). */
  nEvals: number | null;
  /** Stop before releasing a result that arrives later (seconds), or null. */
  maxTotalEvalTime: number | null;
  /** Continual fidelity's maximal fidelity, or null. */
  continualMaxFidelity: number | null;
  /** Workers that have submitted at least once (their index is their order of first submission). */
  joined: number;
  /** Per-worker simulated clocks. */
  clocks: number[];
  /** The workers ordered by `(clock, index)`. */
  heap: ClockHeap;
  /** Per-worker pending result (its record), or null while the worker is free or evaluating. */
  pending: (SimulationRecord | null)[];
  /** Per-worker evaluation begun but not finished, or null. */
  inFlight: (InFlight | null)[];
  /** Per-worker submission reserved for the worker that takes over a crashed worker's slot, or null. */
  reserved: ({ trial: number; seed: number } | null)[];
  /** Trials begun so far (the next trial's number). */
  asked: number;
  /** Results released so far. */
  released: number;
  /** Set once the stopping rule is met. */
  finished: boolean;
  /** Why it finished. */
  stoppedBy: 'nEvals' | 'maxTotalEvalTime' | null;
  /** State of the seed generator (mulberry32). */
  rng: number;
  /** Continual-fidelity cache: config key -> resumable states. */
  cache: Record<string, CachedState[]>;
  /** The identity stamped on every record, or null. */
  run: RunIdentity | null;
}

/** An evaluation begun by {@link beginSubmission} and not yet finished. */
export interface InFlight {
  /** Its trial number. */
  trial: number;
  /** Its seed. */
  seed: number;
  /** Runtime credited by continual fidelity (0 when nothing was resumed). */
  credit: number;
  /** Sampling time charged. */
  sampling: number;
  /** The cached state it resumed, with its config key (put back if the worker crashes). */
  resumed: { key: string; state: CachedState } | null;
  /** Whether continual fidelity applies (false for self-evaluating trials). */
  continual: boolean;
  /** The seed drawn for it (before a resumed state's seed replaced it). */
  drawnSeed: number;
}

/** Checks a number of workers: an integer in [1, {@link MAX_WORKERS}]. */
export function checkWorkers(who: string, n: unknown): number {
  checkInteger(who, 'nWorkers', n, { min: 1 });
  return checkInteger(who, 'nWorkers', n, { min: 1, max: MAX_WORKERS });
}

/** Checks a stopping rule: `nEvals` an integer >= 1 and/or `maxTotalEvalTime` > 0; at least one. */
export function checkStoppingRule(who: string, o: StoppingRule): { nEvals: number | null; maxTotalEvalTime: number | null } {
  if (o.nEvals === undefined && o.maxTotalEvalTime === undefined) {
    throw new Error(`${who}: give nEvals (results) or maxTotalEvalTime (simulated seconds), or both: the run stops at whichever comes first`);
  }
  if (o.nEvals !== undefined) checkInteger(who, 'nEvals', o.nEvals, { min: 1 });
  if (o.maxTotalEvalTime !== undefined && !(o.maxTotalEvalTime > 0)) {
    throw argumentError(who, 'maxTotalEvalTime', '> 0 seconds', o.maxTotalEvalTime);
  }
  return { nEvals: o.nEvals ?? null, maxTotalEvalTime: o.maxTotalEvalTime ?? null };
}

/** A fresh state (arguments checked; errors start with `who`). */
export function initialState(
  o: StoppingRule & { nWorkers: number; continualMaxFidelity?: number; seed?: number; run?: RunIdentity },
  who = 'multi-worker simulator',
): SimulationState {
  const nWorkers = checkWorkers(who, o.nWorkers);
  const { nEvals, maxTotalEvalTime } = checkStoppingRule(who, o);
  if (o.continualMaxFidelity !== undefined) checkNumber(who, 'continualMaxFidelity', o.continualMaxFidelity);
  const seed = checkSeed(who, 'seed', o.seed ?? 0);
  return {
    nWorkers, nEvals, maxTotalEvalTime, continualMaxFidelity: o.continualMaxFidelity ?? null,
    joined: 0, clocks: new Array(nWorkers).fill(0), heap: clockHeap(nWorkers), pending: new Array(nWorkers).fill(null),
    inFlight: new Array(nWorkers).fill(null), reserved: new Array(nWorkers).fill(null), asked: 0, released: 0, finished: false, stoppedBy: null,
    rng: seed >>> 0, cache: {}, run: o.run ?? null,
  };
}

/** The next seed (mulberry32 from the run's seed, one per submission). */
function nextSeed(s: SimulationState): number {
  const [u, next] = mulberry32(s.rng);
  s.rng = next;
  return Math.floor(u * 2 ** 30);
}

function advance(s: SimulationState, w: number, dt: number): void {
  s.clocks[w] = (s.clocks[w] as number) + dt;
  clockIncreased(s.heap, s.clocks, w);
}

/** What {@link beginSubmission} assigned. */
export interface Submission {
  /** The worker (its index; assigned at its first submission). */
  worker: number;
  /** The trial's number. */
  trial: number;
  /** The evaluation's seed. */
  seed: number;
  /** Runtime credited by continual fidelity. */
  credit: number;
}

/**
 * Begins `worker`'s next evaluation (`null`: a worker submitting for the first time takes the next
 * slot): charges its sampling time, assigns the trial number and seed and, with continual fidelity
 * (unless `continual` is false, for self-evaluating trials), resumes a cached state.
 */
export function beginSubmission(s: SimulationState, worker: number | null, sampling: number, config: Config, fidelity: number | undefined, continual = true,
  workerName?: string): Submission {
  if (s.finished) throw new SimulationFinished();
  let w = worker;
  if (w === null) {
    if (s.joined >= s.nWorkers) throw new Error(`multi-worker simulator: more than nWorkers = ${s.nWorkers} workers submitted`);
    w = s.joined++;
  }
  if (s.pending[w] !== null || s.inFlight[w] !== null) {
    throw new Error(`multi-worker simulator: worker ${workerName ?? w} submitted while its previous evaluation is pending (await each evaluate before the next)`);
  }
  advance(s, w, sampling);
  const reserved = s.reserved[w];
  s.reserved[w] = null;
  const trial = reserved?.trial ?? s.asked++;
  const drawnSeed = reserved?.seed ?? nextSeed(s);
  let seed = drawnSeed;
  let credit = 0;
  let resumed: InFlight['resumed'] = null;
  if (s.continualMaxFidelity !== null && continual) {
    if (typeof fidelity !== 'number') throw new Error('simulate: continualMaxFidelity needs every trial to carry a numeric fidelity');
    const key = configKey(config);
    const states = s.cache[key];
    const i = states === undefined ? -1 : states.findIndex((c) => c.arrival <= (s.clocks[w] as number) && c.fidelity < fidelity);
    if (i >= 0) {
      const [c] = (states as CachedState[]).splice(i, 1) as [CachedState];
      seed = c.seed;
      credit = c.runtime;
      resumed = { key, state: c };
    }
  }
  s.inFlight[w] = { trial, seed, credit, sampling, resumed, continual: s.continualMaxFidelity !== null && continual, drawnSeed };
  return { worker: w, trial, seed, credit };
}

/**
 * Checks an evaluation's result and returns its values without `runtime`: an object whose
 * `runtime` is a finite number >= 0 and whose other fields are numbers (not NaN).
 */
export function checkResult(result: EvalResult, config: Config, worker: number | string): Record<string, number> {
  const where = () => `simulate: the objective's result for config ${JSON.stringify(config)} on worker ${worker}`;
  if (result === null || typeof result !== 'object') throw new Error(`${where()} must be an object with 'runtime', got ${String(result)}`);
  const rt = result.runtime;
  if (typeof rt !== 'number' || !(rt >= 0) || rt === Infinity) {
    throw new Error(`${where()} has runtime ${String(rt)}; it must be a finite number >= 0 (seconds)`);
  }
  const values: Record<string, number> = {};
  for (const k in result) {
    const v = result[k];
    if (typeof v !== 'number' || v !== v) throw new Error(`${where()} has ${k} = ${String(v)}; objective values must be numbers, not NaN`);
    if (k !== 'runtime') values[k] = v;
  }
  return values;
}

/**
 * Records `worker`'s finished evaluation as pending (its result arrives at the worker's clock plus
 * the runtime charged); returns the record. A replay passes the recorded `arrival`, which must
 * agree with the computed one (to 1e-9 relative) and then sets the clock exactly.
 */
export function finishSubmission(s: SimulationState, worker: number, config: Config, fidelity: number | undefined, result: EvalResult,
  workerName: number | string = worker, arrival?: number): SimulationRecord {
  const f = s.inFlight[worker];
  if (f === null || f === undefined) throw new Error(`multi-worker simulator: worker ${workerName} finished an evaluation it did not begin`);
  const values = checkResult(result, config, workerName);
  const runtime = Math.max(0, result.runtime - f.credit);
  advance(s, worker, runtime);
  if (arrival !== undefined) {
    const computed = s.clocks[worker] as number;
    if (!(Math.abs(computed - arrival) <= 1e-9 * Math.max(1, Math.abs(arrival)))) {
      throw new ReplayMismatchError(`simulate: trial ${f.trial} arrived at ${arrival} s in the records, at ${computed} s in the replay; the records come from another run or other options`);
    }
    s.clocks[worker] = arrival;
    clockChanged(s.heap, s.clocks, worker);
  }
  if (f.continual && s.continualMaxFidelity !== null && (fidelity as number) < s.continualMaxFidelity) {
    (s.cache[configKey(config)] ??= []).push({ fidelity: fidelity as number, runtime: result.runtime, arrival: s.clocks[worker] as number, seed: f.seed });
  }
  const record: SimulationRecord = {
    cumtime: s.clocks[worker] as number, workerIndex: worker, config, seed: f.seed, runtime, values,
    ...(fidelity !== undefined ? { fidelity } : {}), trial: f.trial,
    ...(f.sampling > 0 ? { askTime: f.sampling } : {}), ...(f.credit > 0 ? { fullRuntime: result.runtime } : {}),
    ...(s.run !== null ? { run: s.run } : {}),
  };
  s.inFlight[worker] = null;
  s.pending[worker] = record;
  return record;
}

/** The worker that moves next (smallest clock, lowest index on ties), and whether its result is pending. */
export function nextToMove(s: SimulationState): { worker: number; pending: boolean } {
  const worker = earliestWorker(s.heap);
  return { worker, pending: s.pending[worker] !== null };
}

/**
 * Releases the next result if the rules allow: the worker that moves next has one pending. Returns
 * the released record, or null when some worker must submit first (or the run just stopped at
 * `maxTotalEvalTime`: then `finished` is set).
 */
export function releaseNext(s: SimulationState): SimulationRecord | null {
  if (s.finished) return null;
  const w = earliestWorker(s.heap);
  const record = s.pending[w];
  if (record === null || record === undefined) return null;
  if (s.maxTotalEvalTime !== null && record.cumtime > s.maxTotalEvalTime) {
    s.finished = true;
    s.stoppedBy = 'maxTotalEvalTime';
    return null;
  }
  s.pending[w] = null;
  s.released++;
  if (s.nEvals !== null && s.released >= s.nEvals) {
    s.finished = true;
    s.stoppedBy = 'nEvals';
  }
  return record;
}

/**
 * Abandons a crashed worker's evaluation in flight: the cached state it resumed is put back, and
 * its trial number and seed are reserved for the worker that takes over the slot, so the
 * evaluation asked again takes the lost one's place. The worker's clock keeps the sampling time
 * already charged (results released meanwhile relied on it: arrivals stay in order).
 */
export function abandonInFlight(s: SimulationState, worker: number): void {
  const f = s.inFlight[worker];
  if (f === null || f === undefined) return;
  if (f.resumed !== null) (s.cache[f.resumed.key] ??= []).push(f.resumed.state);
  s.reserved[worker] = { trial: f.trial, seed: f.drawnSeed };
  s.inFlight[worker] = null;
}

/** Thrown to a worker that submits, or waits, after the simulation has finished: stop evaluating. */
export class SimulationFinished extends Error {
  constructor() {
    super('the simulation has finished (nEvals results released or maxTotalEvalTime reached); stop evaluating');
    this.name = 'SimulationFinished';
  }
}
