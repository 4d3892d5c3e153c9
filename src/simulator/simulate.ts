import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { seededRandom } from '../util/random.js';
import type { AskTellOptimizer, CachedState, Config, EvalResult, RunOptions, SimulationRecord, Trial } from './types.js';

/** Options of {@link simulate}. */
export interface SimulateOptions extends RunOptions {
  /** The ask/tell optimizer. */
  optimizer: AskTellOptimizer;
  /** A clock for sampling time, in seconds; default `performance.now() / 1000`. */
  now?: () => number;
  /**
   * Resume a run from its records (e.g. `readRecords(resultsFile)` after a crash): the optimizer is
   * told them again in order, each worker's clock restarts where its last told result arrived, and
   * they count toward `nEvals`. Evaluations in flight at the crash are asked again. With
   * `resultsFile`, the file is first rewritten with exactly these records (dropping a cut-off line).
   */
  resumeFrom?: readonly SimulationRecord[];
  /** Called with each record as it arrives (after `resultsFile`), e.g. to write it to a study storage; awaited. */
  onRecord?: (record: SimulationRecord) => void | Promise<void>;
}

/** What {@link simulate} returns. */
export interface SimulationResult {
  /** The results, in arrival order. */
  records: SimulationRecord[];
  /** Why it stopped. */
  stoppedBy: 'nEvals' | 'maxTotalEvalTime';
}

function checkInt(name: string, x: number, min: number): void {
  if (!(Number.isInteger(x) && x >= min)) throw new Error(`simulate: ${name} must be an integer >= ${min}, got ${x}`);
}

/** A key that identifies a configuration (keys sorted). */
export function configKey(config: Config): string {
  return JSON.stringify(Object.keys(config).sort().map((k) => [k, config[k]]));
}

/** Checks an objective's result and returns its values without `runtime`. */
function valuesOf(result: EvalResult, trial: Trial, worker: number): Record<string, number> {
  const where = () => `simulate: the objective's result for config ${JSON.stringify(trial.config)} on worker ${worker}`;
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

/** True for a thenable: awaiting a plain value costs a microtask, more than a simulation step. */
const isPromise = <T>(x: T | Promise<T>): x is Promise<T> => typeof (x as { then?: unknown })?.then === 'function';

/**
 * Runs an ask/tell optimizer against a benchmark as if `nWorkers` workers evaluated in parallel,
 * without waiting (mfhpo-simulator's single-process mode, Watanabe 2023). Each worker keeps a
 * simulated clock. A free worker asks (the measured sampling time is charged to its clock) and
 * evaluates; its result arrives at its clock plus the runtime. The worker whose clock is smallest
 * (the lowest index on ties) is the next to free: its result is told, then it asks again. So the
 * optimizer sees results in the order they would arrive.
 *
 * @example
 * ```ts
 * const { records } = await simulate({ objective: mfBranin().objective, optimizer: myRandomSearch, nWorkers: 4, nEvals: 100 });
 * ```
 */
export async function simulate(options: SimulateOptions): Promise<SimulationResult> {
  const { objective, optimizer, nWorkers, nEvals, maxTotalEvalTime = Infinity, chargeSamplingTime = true, continualMaxFidelity } = options;
  checkInt('nWorkers', nWorkers, 1);
  checkInt('nEvals', nEvals, 1);
  if (typeof objective !== 'function') throw new Error('simulate: objective must be a function (config, {fidelity, seed}) => {runtime, ...}');
  if (typeof optimizer?.ask !== 'function' || typeof optimizer.tell !== 'function') throw new Error('simulate: optimizer must have ask() and tell(trial, result)');
  if (!(maxTotalEvalTime > 0)) throw new Error(`simulate: maxTotalEvalTime must be > 0 seconds, got ${maxTotalEvalTime}`);
  const now = options.now ?? (() => performance.now() / 1000);
  const rand = seededRandom(options.seed ?? 0);
  if (options.resultsFile !== undefined) mkdirSync(dirname(options.resultsFile), { recursive: true });
  const resume = options.resumeFrom ?? [];
  if (options.resultsFile !== undefined && options.resumeFrom !== undefined) {
    writeFileSync(options.resultsFile, resume.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }

  const clock = new Float64Array(nWorkers);
  const pending: (SimulationRecord | null)[] = new Array(nWorkers).fill(null);
  const pendingTrial: (Trial | null)[] = new Array(nWorkers).fill(null);
  const pendingResult: (EvalResult | null)[] = new Array(nWorkers).fill(null);
  const cache = new Map<string, CachedState[]>();
  const records: SimulationRecord[] = [];
  for (const r of resume) {
    if (!(Number.isInteger(r.workerIndex) && r.workerIndex >= 0 && r.workerIndex < nWorkers)) {
      throw new Error(`simulate: resumeFrom has a record of worker ${r.workerIndex}; this run has nWorkers = ${nWorkers}`);
    }
    clock[r.workerIndex] = Math.max(clock[r.workerIndex] as number, r.cumtime);
    records.push(r);
    const told = optimizer.tell({ config: r.config, ...(r.fidelity !== undefined ? { fidelity: r.fidelity } : {}) }, { ...r.values, runtime: r.runtime } as EvalResult);
    if (isPromise(told)) await told;
    for (let i = 0; i < 4; i++) rand();
  }
  if (records.length >= nEvals) return { records, stoppedBy: 'nEvals' };
  // The earliest free worker asks first (after a resume, workers restart in order of their clocks).
  let worker = 0;
  for (let w = 1; w < nWorkers; w++) if ((clock[w] as number) < (clock[worker] as number)) worker = w;

  for (;;) {
    // The free worker asks and evaluates.
    const t0 = now();
    const asked = optimizer.ask();
    const trial = isPromise(asked) ? await asked : asked;
    const sampling = now() - t0;
    if (chargeSamplingTime && trial.result === undefined) clock[worker] = (clock[worker] as number) + sampling;
    let seed = Math.floor(rand() * 2 ** 30);
    let credit = 0;
    let key = '';
    if (continualMaxFidelity !== undefined && trial.result === undefined) {
      if (typeof trial.fidelity !== 'number') throw new Error('simulate: continualMaxFidelity needs every trial to carry a numeric fidelity');
      key = configKey(trial.config);
      const states = cache.get(key) ?? [];
      const i = states.findIndex((s) => s.arrival <= (clock[worker] as number) && s.fidelity < (trial.fidelity as number));
      if (i >= 0) {
        const [s] = states.splice(i, 1) as [CachedState];
        seed = s.seed;
        credit = s.runtime;
      }
      cache.set(key, states);
    }
    let result: EvalResult;
    try {
      const r = trial.result ?? objective(trial.config, { fidelity: trial.fidelity, seed });
      result = isPromise(r) ? await r : r;
    } catch (e) {
      throw new Error(`simulate: the objective failed on worker ${worker} for config ${JSON.stringify(trial.config)}: ${(e as Error).message}; ${records.length} results were recorded before`);
    }
    const values = valuesOf(result, trial, worker);
    const runtime = Math.max(0, result.runtime - credit);
    clock[worker] = (clock[worker] as number) + runtime;
    if (continualMaxFidelity !== undefined && trial.result === undefined && (trial.fidelity as number) < continualMaxFidelity) {
      cache.get(key)?.push({ fidelity: trial.fidelity as number, runtime: result.runtime, arrival: clock[worker] as number, seed });
    }
    pending[worker] = {
      cumtime: clock[worker] as number, workerIndex: worker, config: trial.config, seed, runtime, values,
      ...(trial.fidelity !== undefined ? { fidelity: trial.fidelity } : {}),
    };
    pendingTrial[worker] = trial;
    pendingResult[worker] = credit === 0 ? result : { ...result, runtime };

    // The next worker to free: the smallest clock, lowest index on ties.
    worker = 0;
    for (let w = 1; w < nWorkers; w++) if ((clock[w] as number) < (clock[worker] as number)) worker = w;
    const released = pending[worker];
    if (released === null) continue; // a worker that has not started (or restarted) yet asks next
    if (released.cumtime > maxTotalEvalTime) return { records, stoppedBy: 'maxTotalEvalTime' };
    records.push(released);
    if (options.resultsFile !== undefined) appendFileSync(options.resultsFile, `${JSON.stringify(released)}\n`);
    if (options.onRecord !== undefined) await options.onRecord(released);
    const told = optimizer.tell(pendingTrial[worker] as Trial, pendingResult[worker] as EvalResult);
    if (isPromise(told)) await told;
    pending[worker] = null;
    if (records.length >= nEvals) return { records, stoppedBy: 'nEvals' };
  }
}
