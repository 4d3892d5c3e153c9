import { ReplayMismatchError, checkSameTrial, checkSameValues } from '../hpo/replay.js';
import type { EvalResult, Trial } from '../hpo/types.js';
import { checkOneRun, checkRecord } from './records.js';
import type { RunIdentity, SimulationRecord } from './types.js';

/**
 * The records of a cut-off run, as the simulator re-drives it: the run is replayed from the
 * start under the same rules, with each recorded evaluation's result taken from its record instead
 * of evaluated, so the optimizer is re-asked and re-told exactly as before (see `replayOptimizer`'s
 * contract) and every clock and cache reaches the same state. Evaluations in flight at the cut have
 * no record: they are evaluated again, with the same seeds. Worker w's k-th submission is matched
 * with the k-th record of worker w (so files without trial numbers resume too).
 */
export interface ResumeSource {
  /** The record of `worker`'s next submission, if it arrived before the cut. */
  next(worker: number): SimulationRecord | undefined;
  /** Whether `record` is one of the resumed records (already in the file). */
  has(record: SimulationRecord): boolean;
  /** Records not matched yet. */
  remaining(): number;
  /** The records' run identity, if they carry one. */
  run: RunIdentity | undefined;
}

/** Checks the records of a cut-off run and indexes them by worker; `who` names the caller in errors. */
export function resumeSource(records: readonly SimulationRecord[], nWorkers: number, who: string): ResumeSource {
  records.forEach((r, i) => checkRecord(r, `${who}: resumeFrom[${i}]`));
  checkOneRun(records, (i) => `${who}: resumeFrom[${i}]`);
  const byWorker: SimulationRecord[][] = Array.from({ length: nWorkers }, () => []);
  for (const r of records) {
    if (!(r.workerIndex < nWorkers)) throw new Error(`${who}: resumeFrom has a record of worker ${r.workerIndex}; this run has nWorkers = ${nWorkers}`);
    (byWorker[r.workerIndex] as SimulationRecord[]).push(r);
  }
  const cursor = new Array<number>(nWorkers).fill(0);
  const set = new Set(records);
  let matched = 0;
  return {
    run: records[0]?.run,
    next: (w) => {
      const r = byWorker[w]?.[cursor[w] as number];
      if (r !== undefined) {
        cursor[w] = (cursor[w] as number) + 1;
        matched++;
      }
      return r;
    },
    has: (r) => set.has(r),
    remaining: () => records.length - matched,
  };
}

/**
 * Checks a replayed submission against its record (the same trial number if recorded, trial,
 * seed) and returns the result to use: the recorded values, with the runtime the objective
 * reported. For a self-evaluating trial, `rerun` is its re-run evaluation, whose values must match.
 */
export function recordedResult(record: SimulationRecord, trial: Trial, number: number, seed: number, who: string, rerun?: EvalResult): EvalResult {
  const id = record.trial ?? number;
  if (record.trial !== undefined && record.trial !== number) {
    throw new ReplayMismatchError(`${who}: worker ${record.workerIndex}'s submission is trial ${number} in the replay, ${record.trial} in the records; the records come from another run`);
  }
  checkSameTrial(id, record, trial, who);
  if (record.seed !== seed) {
    throw new ReplayMismatchError(`${who}: trial ${id} used seed ${record.seed}, the replay draws ${seed}; the records come from a run with another seed or other options`);
  }
  if (rerun !== undefined) checkSameValues(id, record.values, rerun, who);
  return { ...record.values, runtime: record.fullRuntime ?? record.runtime } as EvalResult;
}

/** The sampling time a replayed submission is charged: the recorded one (derived from the clocks for files without it). */
export function recordedSampling(record: SimulationRecord, clock: number): number {
  return record.askTime ?? Math.max(0, record.cumtime - record.runtime - clock);
}
