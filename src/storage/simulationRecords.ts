import { simulate, type SimulateOptions, type SimulationResult } from '../simulator/simulate.js';
import type { RunIdentity, SimulationRecord } from '../simulator/types.js';
import type { JournalStorage } from './journalStorage.js';
import type { JsonValue, TrialRecord } from './journal.js';
import { studyProgress } from './replay.js';

/** The simulation record a complete trial of a simulated study holds (its attributes carry the simulated clock). */
export function recordOfTrial(t: TrialRecord): SimulationRecord | null {
  if (t.state !== 'complete' || t.values === null || t.config === null || typeof t.attrs.cumtime !== 'number') return null;
  const { runtime = 0, ...values } = t.values;
  const { trial, askTime, fullRuntime, run } = t.attrs;
  return {
    cumtime: t.attrs.cumtime, workerIndex: Number(t.attrs.workerIndex), config: t.config, seed: Number(t.attrs.seed), runtime, values,
    ...(t.fidelity !== null ? { fidelity: t.fidelity } : {}),
    ...(typeof trial === 'number' ? { trial } : {}),
    ...(typeof askTime === 'number' ? { askTime } : {}),
    ...(typeof fullRuntime === 'number' ? { fullRuntime } : {}),
    ...(run !== undefined && run !== null && typeof run === 'object' ? { run: run as unknown as RunIdentity } : {}),
  };
}

/** The attributes a simulated trial carries: the record's simulator fields (see {@link recordOfTrial}). */
function simulatorAttrs(r: SimulationRecord): Record<string, JsonValue> {
  return {
    cumtime: r.cumtime, workerIndex: r.workerIndex, seed: r.seed,
    ...(r.trial !== undefined ? { trial: r.trial } : {}),
    ...(r.askTime !== undefined ? { askTime: r.askTime } : {}),
    ...(r.fullRuntime !== undefined ? { fullRuntime: r.fullRuntime } : {}),
    ...(r.run !== undefined ? { run: { ...r.run } as unknown as JsonValue } : {}),
  };
}

/**
 * The records of a study, in journal order: a simulated study's records as `simulate` returned
 * them, or a real study's complete trials with `cumtime` the seconds since the study's first trial
 * started (by the writers' clocks), so the same curves and plots read both.
 */
export async function studyRecords(storage: JournalStorage, study: string): Promise<SimulationRecord[]> {
  const trials = (await storage.trials(study)).filter((t) => t.state === 'complete').sort((a, b) => (a.endedSeq as number) - (b.endedSeq as number));
  const t0 = Math.min(...trials.map((t) => t.startedAt ?? Infinity));
  return trials.map((t) => recordOfTrial(t) ?? {
    cumtime: ((t.endedAt ?? t0) - t0) / 1000, workerIndex: 0, config: t.config ?? {}, seed: 0, runtime: t.values?.runtime ?? 0,
    values: Object.fromEntries(Object.entries(t.values ?? {}).filter(([k]) => k !== 'runtime')),
    ...(t.fidelity !== null ? { fidelity: t.fidelity } : {}),
  });
}

/** Options of {@link simulateIntoStorage}: those of `simulate`, and where to record. */
export interface SimulateIntoStorageOptions extends SimulateOptions {
  /** The storage. */
  storage: JournalStorage;
  /** The study (created; one that holds records is refused unless `resume`). */
  study: string;
  /** Continue the study's records (a cut-off run; a finished one is returned as it is) instead of refusing a study that has some. */
  resume?: boolean;
}

/**
 * Runs `simulate` and records every result, as it arrives, as one complete trial of `study`
 * (attributes `cumtime`, `workerIndex`, `seed`), so a simulated study is read and plotted by the
 * same tools as a real one ({@link studyRecords}). A study already finished, or holding records
 * without `resume`, is refused with an error that says so (nothing is overwritten); with `resume`,
 * a cut-off run continues from the study's records (`simulate`'s `resumeFrom`) and a finished one
 * returns its records.
 */
export async function simulateIntoStorage(options: SimulateIntoStorageOptions): Promise<SimulationResult> {
  const { storage, study, resume = false, ...sim } = options;
  await storage.sync();
  const existing = storage.state.studies.get(study);
  if (existing === undefined) await storage.createStudy(study, { budget: sim.nEvals, attrs: { simulated: true, nWorkers: sim.nWorkers, seed: sim.seed ?? 0 } });
  const done = await studyRecords(storage, study);
  if (existing !== undefined) {
    if (existing.trials.length >= (sim.nEvals ?? Infinity) || (existing.budget !== null && studyProgress(storage.state, study).byState.complete >= existing.budget)) {
      if (resume) return { records: done, stoppedBy: 'nEvals' };
      throw new Error(`study '${study}' in ${storage.backend.description} is finished (${done.length} records); choose another study name to run again`);
    }
    if (!resume && done.length > 0) throw new Error(`study '${study}' in ${storage.backend.description} already holds ${done.length} records of a run; pass resume to continue it, or choose another study name`);
  }
  const userOnRecord = sim.onRecord;
  return simulate({
    ...sim,
    ...(done.length > 0 ? { resumeFrom: done } : {}),
    onRecord: async (r) => {
      await storage.recordTrial(study, {
        config: r.config, fidelity: r.fidelity ?? null, values: { ...r.values, runtime: r.runtime }, attrs: simulatorAttrs(r),
      });
      await userOnRecord?.(r);
    },
  });
}
