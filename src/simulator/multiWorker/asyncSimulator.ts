import type { Config, EvalResult } from '../../hpo/types.js';
import { checkPositive } from '../../util/validate.js';
import { type RecordsFile, createRecordsFile } from '../records.js';
import { SimulationFinished, beginSubmission, finishSubmission, initialState, nextToMove, releaseNext } from '../simulationState.js';
import type { RunOptions, SimulationRecord } from '../types.js';

/** Options of {@link asyncSimulator} and the file-backed simulator (the objective is evaluated at submission). */
export interface MultiWorkerOptions extends RunOptions {
  /**
   * How long the run waits for the worker that must move next (the free one with the smallest
   * clock) to submit, in milliseconds, before every waiting worker fails with an error naming it;
   * default 60,000. A worker busy evaluating is never timed out: only one that stopped submitting.
   */
  stallTimeoutMs?: number;
}

/** A worker's handle: evaluate a configuration; resolves when its result would arrive. */
export interface SimulatedWorker {
  /**
   * Evaluates `config` at `fidelity`; resolves with the result in simulated order (possibly after
   * other workers' results), or rejects with `SimulationFinished` once the run is over.
   */
  evaluate(config: Config, fidelity?: number): Promise<EvalResult>;
}

/** A worker of {@link asyncSimulator}. */
export interface AsyncSimulatedWorker extends SimulatedWorker {
  /** Its name (given to `worker(name)`, or `worker k` in order of creation). */
  readonly name: string;
  /** This worker stops before the run is over: the others fail at once with an error naming it (they cannot go on without it). */
  leave(): void;
}

/** An in-process multi-worker simulation. */
export interface AsyncSimulation {
  /** A new worker handle (call once per parallel worker), named for errors. */
  worker(name?: string): AsyncSimulatedWorker;
  /** Every released record, once the run finishes; rejects if it fails (an objective threw, a worker left or stalled). */
  records: Promise<SimulationRecord[]>;
}

/**
 * The multi-worker mode for optimizers that run their own parallel async workers in this process:
 * each worker gets a handle from `worker()` and calls `evaluate`, which returns only when the
 * simulated order allows (the same order as `simulate`). `records` resolves with every released
 * result once the run finishes.
 *
 * It never waits forever: if the objective throws in one worker, if a worker `leave()`s, or if the
 * worker that must move next does not submit within `stallTimeoutMs` (its loop stopped without
 * leaving), every waiting `evaluate` and `records` reject with an error naming that worker.
 * @example
 * ```ts
 * const sim = asyncSimulator({ objective, nWorkers: 4, nEvals: 100 });
 * await Promise.all([0, 1, 2, 3].map(async () => {
 *   const w = sim.worker();
 *   try { for (;;) { const c = opt.ask(); opt.tell(c, await w.evaluate(c.config, c.fidelity)); } }
 *   catch (e) { if (!(e instanceof SimulationFinished)) throw e; }
 * }));
 * ```
 */
export function asyncSimulator(options: MultiWorkerOptions): AsyncSimulation {
  const state = initialState(options);
  const stallMs = checkPositive('asyncSimulator', 'stallTimeoutMs', options.stallTimeoutMs ?? 60_000);
  const file: RecordsFile | null = options.resultsFile === undefined ? null : createRecordsFile(options.resultsFile);
  const waiting = new Map<number, { resolve: (r: EvalResult) => void; reject: (e: unknown) => void; result: EvalResult }>();
  const names: string[] = [];
  const slotName = (w: number) => (names[w] !== undefined ? `'${names[w]}'` : `slot ${w} (no worker has submitted to it yet)`);
  const records: SimulationRecord[] = [];
  let failure: Error | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let settle!: { resolve: (r: SimulationRecord[]) => void; reject: (e: unknown) => void };
  const done = new Promise<SimulationRecord[]>((resolve, reject) => (settle = { resolve, reject }));
  done.catch(() => {}); // a failure is also thrown to the waiting workers

  const fail = (e: Error) => {
    if (failure !== null || state.finished) return;
    failure = e;
    if (timer !== null) clearTimeout(timer);
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
    file?.close();
    settle.reject(e);
  };
  /** Arms the stall timer while some worker waits on a free one that must move next. */
  const watch = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (state.finished || failure !== null || waiting.size === 0) return;
    const { worker: m } = nextToMove(state);
    if (state.inFlight[m] !== null) return; // evaluating: slow, not stalled
    timer = setTimeout(() => fail(new Error(
      `asyncSimulator: worker ${slotName(m)} must submit next (its clock is the smallest) and has not for ${stallMs} ms; ` +
        'its loop stopped? A worker that stops must call leave(); the run cannot go on without it',
    )), stallMs);
  };
  const drain = () => {
    for (let r = releaseNext(state); r !== null; r = releaseNext(state)) {
      records.push(r);
      file?.append(r);
      const w = waiting.get(r.workerIndex);
      waiting.delete(r.workerIndex);
      w?.resolve(w.result);
    }
    if (state.finished) {
      if (timer !== null) clearTimeout(timer);
      for (const w of waiting.values()) w.reject(new SimulationFinished());
      waiting.clear();
      file?.close();
      settle.resolve(records);
      return;
    }
    watch();
  };
  let created = 0;
  return {
    records: done,
    worker: (given) => {
      const name = given ?? `worker ${created}`;
      created++;
      let index: number | null = null;
      let freedAt = performance.now();
      return {
        name,
        leave: () => {
          if (!state.finished) fail(new Error(`asyncSimulator: worker '${name}' left before the run finished (${state.released} of ${state.nEvals ?? 'unbounded'} results); the others cannot go on without it`));
        },
        evaluate: async (config, fidelity) => {
          if (failure !== null) throw failure;
          const sampling = options.chargeSamplingTime ? (performance.now() - freedAt) / 1000 : 0;
          const { worker, seed } = beginSubmission(state, index, sampling, config, fidelity, true, `'${name}'`);
          if (index === null) names[worker] = name;
          index = worker;
          watch();
          let result: EvalResult;
          try {
            result = await options.objective(config, { fidelity, seed });
            if (failure !== null) throw failure;
            const record = finishSubmission(state, worker, config, fidelity, result, `'${name}'`);
            result = { ...result, runtime: record.runtime };
          } catch (e) {
            const failed = failure as Error | null; // set by another worker meanwhile
            const err = failed !== null && e === failed ? failed : new Error(`asyncSimulator: the objective failed on worker '${name}' for config ${JSON.stringify(config)}: ${(e as Error).message}`);
            fail(err);
            throw err;
          }
          const r = await new Promise<EvalResult>((resolve, reject) => {
            waiting.set(worker, { resolve, reject, result });
            drain();
          });
          freedAt = performance.now();
          return r;
        },
      };
    },
  };
}
