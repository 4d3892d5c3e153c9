import { appendFileSync } from 'node:fs';
import type { Config, EvalResult } from '../../hpo/types.js';
import { SimulationFinished, beginSubmission, finishSubmission, initialState, releaseNext } from '../simulationState.js';
import type { RunOptions, SimulationRecord } from '../types.js';

/** Options of {@link asyncSimulator} and the file-backed simulator (the objective is evaluated at submission). */
export type MultiWorkerOptions = RunOptions;

/** A worker's handle: evaluate a configuration; resolves when its result would arrive. */
export interface SimulatedWorker {
  /**
   * Evaluates `config` at `fidelity`; resolves with the result in simulated order (possibly after
   * other workers' results), or rejects with `SimulationFinished` once the run is over.
   */
  evaluate(config: Config, fidelity?: number): Promise<EvalResult>;
}

/** An in-process multi-worker simulation. */
export interface AsyncSimulation {
  /** A new worker handle (call once per parallel worker). */
  worker(): SimulatedWorker;
  /** Every released record, once the run finishes. */
  records: Promise<SimulationRecord[]>;
}

/**
 * The multi-worker mode for optimizers that run their own parallel async workers in this process:
 * each worker gets a handle from `worker()` and calls `evaluate`, which returns only when the
 * simulated order allows (the same order as `simulate`). `records` resolves with every released
 * result once the run finishes.
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
  const waiting = new Map<number, { resolve: (r: EvalResult) => void; reject: (e: unknown) => void; result: EvalResult }>();
  const records: SimulationRecord[] = [];
  let finish!: (r: SimulationRecord[]) => void;
  const done = new Promise<SimulationRecord[]>((r) => (finish = r));
  const drain = () => {
    for (let r = releaseNext(state); r !== null; r = releaseNext(state)) {
      records.push(r);
      if (options.resultsFile !== undefined) appendFileSync(options.resultsFile, `${JSON.stringify(r)}\n`);
      const w = waiting.get(r.workerIndex);
      waiting.delete(r.workerIndex);
      w?.resolve(w.result);
    }
    if (state.finished) {
      for (const w of waiting.values()) w.reject(new SimulationFinished());
      waiting.clear();
      finish(records);
    }
  };
  return {
    records: done,
    worker: () => {
      let index: number | null = null;
      let freedAt = performance.now();
      return {
        evaluate: async (config, fidelity) => {
          const sampling = options.chargeSamplingTime ? (performance.now() - freedAt) / 1000 : 0;
          const { worker, seed } = beginSubmission(state, index, sampling, config, fidelity);
          index = worker;
          const result = await options.objective(config, { fidelity, seed });
          const record = finishSubmission(state, worker, config, fidelity, result);
          const r = await new Promise<EvalResult>((resolve, reject) => {
            waiting.set(worker, { resolve, reject, result: { ...result, runtime: record.runtime } });
            drain();
          });
          freedAt = performance.now();
          return r;
        },
      };
    },
  };
}
