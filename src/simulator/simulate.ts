import { renameSync, writeFileSync } from 'node:fs';
import type { AskTellOptimizer, EvalResult, Trial } from '../hpo/types.js';
import { checkFunction } from '../util/validate.js';
import { type RecordsFile, createRecordsFile, continueRecordsFile } from './records.js';
import { type ResumeSource, recordedResult, recordedSampling, resumeSource } from './resume.js';
import { beginSubmission, checkWorkers, finishSubmission, initialState, nextToMove, releaseNext } from './simulationState.js';
import type { RunOptions, SimulationRecord } from './types.js';

/** Options of {@link simulate}. */
export interface SimulateOptions extends RunOptions {
  /** The ask/tell optimizer (fresh: a resumed run rebuilds its state by replay). */
  optimizer: AskTellOptimizer;
  /** A clock for sampling time, in seconds; default `performance.now() / 1000`. */
  now?: () => number;
  /**
   * Resume a cut-off run from its records (e.g. `readRecords(resultsFile)` after a crash), exactly:
   * the run is replayed from the start under the same rules, each recorded evaluation's result
   * taken from its record rather than evaluated, so the optimizer (fresh, built with the same
   * options) is re-asked and re-told in the same order and rebuilds its state (see
   * `replayOptimizer`). Evaluations in flight at the cut are evaluated again with the same seeds.
   * The records that follow equal those of the uninterrupted run whenever that run is
   * reproducible (a deterministic objective, and sampling time not charged or charged by a
   * deterministic `now`). A record that does not match the replay (another optimizer, seed or
   * option) throws `ReplayMismatchError`. With `resultsFile`, the file is first rewritten
   * (atomically) with exactly these records, dropping a cut-off line.
   */
  resumeFrom?: readonly SimulationRecord[];
  /** Called with each record as it arrives (after `resultsFile`), e.g. to write it to a study storage; awaited. */
  onRecord?: (record: SimulationRecord) => void | Promise<void>;
  /** Replace an existing non-empty `resultsFile` (default false: refused, so two runs never mix in one file). */
  overwrite?: boolean;
}

/** What {@link simulate} returns. */
export interface SimulationResult {
  /** The results, in arrival order. */
  records: SimulationRecord[];
  /** Why it stopped. */
  stoppedBy: 'nEvals' | 'maxTotalEvalTime';
}

/** True for a thenable: awaiting a plain value costs a microtask, more than a simulation step. */
const isPromise = <T>(x: T | Promise<T>): x is Promise<T> => typeof (x as { then?: unknown })?.then === 'function';

/** Opens the results file: a new run's (refusing to mix), or a resumed run's, rewritten with its records. */
function openResults(path: string, resume: readonly SimulationRecord[] | undefined, overwrite: boolean): RecordsFile {
  if (resume === undefined) return createRecordsFile(path, { overwrite });
  const tmp = `${path}.resume-${process.pid}`;
  writeFileSync(tmp, resume.map((r) => `${JSON.stringify(r)}\n`).join(''));
  renameSync(tmp, path);
  return continueRecordsFile(path).file;
}

/**
 * Runs an ask/tell optimizer against a benchmark as if `nWorkers` workers evaluated in parallel,
 * without waiting (mfhpo-simulator's single-process mode, Watanabe 2023): a driver over the
 * arrival rules of `SimulationState`. Each worker keeps a simulated clock; the worker with the
 * smallest clock (lowest index on ties) moves next: a free one asks (the measured sampling time is
 * charged to its clock) and evaluates, its result arriving at its clock plus the runtime; one with
 * a pending result has it told. So the optimizer sees results in the order they would arrive. A
 * self-evaluating trial (`Trial.evaluate`) is evaluated by itself instead of the objective.
 *
 * It stops after `nEvals` results or before the first result arriving after `maxTotalEvalTime`,
 * whichever comes first (`stoppedBy` says which).
 * @example
 * ```ts
 * const { records } = await simulate({ objective: mfBranin().objective, optimizer: myRandomSearch, nWorkers: 4, nEvals: 100 });
 * ```
 */
export async function simulate(options: SimulateOptions): Promise<SimulationResult> {
  const { objective, optimizer, chargeSamplingTime = true } = options;
  checkFunction('simulate', 'objective', objective, 'a function (config, {fidelity, seed}) => {runtime, ...}');
  if (typeof optimizer?.ask !== 'function' || typeof optimizer.tell !== 'function') throw new Error('simulate: optimizer must have ask() and tell(trial, result)');
  checkWorkers('simulate', options.nWorkers);
  const replay: ResumeSource | null = options.resumeFrom === undefined ? null : resumeSource(options.resumeFrom, options.nWorkers, 'simulate');
  if (replay?.run !== undefined && options.run !== undefined && replay.run.id !== options.run.id) {
    throw new Error(`simulate: resumeFrom holds records of run '${replay.run.id}', not of this run '${options.run.id}'`);
  }
  const run = options.run ?? replay?.run;
  const state = initialState({ ...options, ...(run !== undefined ? { run } : {}) }, 'simulate');
  const now = options.now ?? (() => performance.now() / 1000);
  const file = options.resultsFile === undefined ? null : openResults(options.resultsFile, options.resumeFrom, options.overwrite ?? false);
  const trials: (Trial | null)[] = new Array(state.nWorkers).fill(null);
  const told: (EvalResult | null)[] = new Array(state.nWorkers).fill(null);
  const replayed: (SimulationRecord | null)[] = new Array(state.nWorkers).fill(null);
  const records: SimulationRecord[] = [];
  try {
    for (;;) {
      const { worker, pending } = nextToMove(state);
      if (!pending) {
        // The free worker asks and evaluates.
        const t0 = now();
        const asked = optimizer.ask();
        const trial = isPromise(asked) ? await asked : asked;
        const sampling = now() - t0;
        const self = typeof trial.evaluate === 'function';
        const recorded = replay?.next(worker);
        const charged = recorded !== undefined ? recordedSampling(recorded, state.clocks[worker] as number) : chargeSamplingTime && !self ? sampling : 0;
        const sub = beginSubmission(state, worker, charged, trial.config, trial.fidelity, !self);
        let result: EvalResult | undefined;
        if (recorded === undefined || self) {
          try {
            const r = self ? (trial.evaluate as NonNullable<Trial['evaluate']>)({ fidelity: trial.fidelity, seed: sub.seed }) : objective(trial.config, { fidelity: trial.fidelity, seed: sub.seed });
            result = isPromise(r) ? await r : r;
          } catch (e) {
            throw new Error(`simulate: the objective failed on worker ${worker} for config ${JSON.stringify(trial.config)}: ${(e as Error).message}; ${records.length} results were recorded before`);
          }
        }
        if (recorded !== undefined) result = recordedResult(recorded, trial, sub.trial, sub.seed, 'simulate', self ? result : undefined);
        const record = finishSubmission(state, worker, trial.config, trial.fidelity, result as EvalResult, worker, recorded?.cumtime);
        trials[worker] = trial;
        told[worker] = sub.credit === 0 ? (result as EvalResult) : { ...(result as EvalResult), runtime: record.runtime };
        replayed[worker] = recorded ?? null;
        continue;
      }
      const released = releaseNext(state);
      if (released === null) break; // stopped at maxTotalEvalTime
      const original = replayed[worker];
      records.push(original ?? released);
      if (original === null) {
        file?.append(released);
        if (options.onRecord !== undefined) await options.onRecord(released);
      }
      const t = optimizer.tell(trials[worker] as Trial, told[worker] as EvalResult);
      if (isPromise(t)) await t;
      if (state.finished) break;
    }
  } finally {
    file?.close();
  }
  return { records, stoppedBy: state.stoppedBy as SimulationResult['stoppedBy'] };
}
