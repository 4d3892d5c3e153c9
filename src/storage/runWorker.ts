import type { AskTellOptimizer, Config, EvalContext, EvalResult, Trial } from '../hpo/types.js';
import { checkInteger, checkPositive } from '../util/validate.js';
import { type Heartbeats, startHeartbeats } from './heartbeats.js';
import type { JsonValue, TrialRecord } from './journal.js';
import { JournalStorage } from './journalStorage.js';
import { openStorage } from './openStorage.js';
import { studyProgress } from './replay.js';
import { LOCAL_SLOT_ATTR, StudyOptimizer } from './studyOptimizer.js';

/** What a worker's objective receives besides the configuration: the fidelity, a seed, the trial, and a way to report. */
export interface WorkerContext extends EvalContext {
  /** The trial being evaluated (as the journal has it when it started). */
  trial: TrialRecord;
  /** Reports an intermediate value; false once the trial's lease was lost. */
  report(step: number, value: number): Promise<boolean>;
}

/** A user objective: `(config, {fidelity, seed, trial, report}) => {[objective]: number, runtime}`; any simulator objective fits. */
export type WorkerObjective = (config: Config, context: WorkerContext) => EvalResult | Promise<EvalResult>;

/** Options of {@link runWorker}. */
export interface RunWorkerOptions {
  /** The storage, or its URL (`memory:`, a file path, `postgresql://...`). */
  storage: JournalStorage | string;
  /** The study (created with `budget` if it does not exist, joined otherwise). */
  study: string;
  /** Evaluates a configuration. */
  objective: WorkerObjective;
  /**
   * Builds the study's optimizer. `shared` (default): every worker builds the same deterministic
   * optimizer (same options and seed), rebuilt from the journal (see {@link StudyOptimizer}).
   * `local`: each worker keeps its own optimizer whose `ask` computes the result itself (the
   * gradient-based optimizer: each worker continues its own runs); its trials are recorded in the
   * study but not replayed by the others.
   */
  optimizer: () => AskTellOptimizer;
  /** `shared` (default) or `local`, see `optimizer`. */
  mode?: 'shared' | 'local';
  /** Trials the study asks for (needed to create it; a joined study keeps its own). */
  budget?: number;
  /** Attributes of a study this worker creates (e.g. the optimizer's name, the benchmark, `seed`). */
  studyAttrs?: Record<string, JsonValue>;
  /** Lease renewal interval (ms); default 5,000. */
  heartbeatMs?: number;
  /** A lease not renewed for this long (ms) fails its trial; default 2 x heartbeatMs. */
  graceMs?: number;
  /** Retries of a trial whose worker died (lease expired); default 3. */
  maxRetries?: number;
  /** Stop after evaluating this many trials; default no bound. */
  maxTrials?: number;
  /** Record an objective's error as a failed trial and go on (default false: fail it, then throw). */
  catchErrors?: boolean;
  /** Stop between trials once aborted. */
  signal?: AbortSignal;
  /** Called after each trial this worker finishes. */
  onTrial?: (trial: TrialRecord, result: EvalResult | null) => void;
}

/** What {@link runWorker} did. */
export interface WorkerSummary {
  /** This worker's id in the journal. */
  worker: string;
  /** Trials it evaluated and recorded. */
  evaluated: number;
  /** Trials whose result came after their lease expired (failed and retried elsewhere; not recorded). */
  discarded: number;
  /** Trials whose objective threw. */
  failed: number;
  /** True when the study was already finished when the worker joined. */
  alreadyFinished: boolean;
  /** Why it stopped. */
  stoppedBy: 'finished' | 'maxTrials' | 'signal';
}

/** The per-trial seed: the study's seed and the slot (or trial number), so a retry evaluates with the same seed. */
export function trialSeed(studySeed: number, t: TrialRecord): number {
  return ((Math.floor(studySeed) >>> 0) * 1_000_003 + (t.slot ?? 1_000_000 + t.number)) % 2 ** 30;
}

/** Checks an objective's result: a finite `runtime` >= 0 and numeric, non-NaN values. */
function checkResult(result: EvalResult, config: Config): Record<string, number> {
  const where = `runWorker: the objective's result for ${JSON.stringify(config)}`;
  if (result === null || typeof result !== 'object') throw new Error(`${where} must be an object with 'runtime', got ${String(result)}`);
  const values: Record<string, number> = {};
  for (const [k, v] of Object.entries(result)) {
    if (typeof v !== 'number' || Number.isNaN(v)) throw new Error(`${where} has ${k} = ${String(v)}; values must be numbers, not NaN`);
    values[k] = v;
  }
  if (!(values.runtime !== undefined && values.runtime >= 0 && values.runtime < Infinity)) throw new Error(`${where} has runtime ${String(values.runtime)}; it must be a finite number >= 0 (seconds)`);
  return values;
}

/**
 * Runs one worker of a shared study until the study is finished: it expires dead workers' leases
 * (their trials are retried), claims a waiting trial or takes the optimizer's next slot, evaluates
 * it while renewing its lease, and records the result. Start it in any number of processes or
 * machines on one storage. The library form of `hypergrad hpo worker`.
 * @example
 * ```ts
 * await runWorker({
 *   storage: 'postgresql://hpo@127.0.0.1/hpo', study: 'mlp', budget: 200,
 *   optimizer: () => tpe({ searchSpace, seed: 0, constantLiar: true }),
 *   objective: (config) => ({ loss: train(config), runtime: 0 }),
 * });
 * ```
 */
export async function runWorker(options: RunWorkerOptions): Promise<WorkerSummary> {
  const { study, objective, mode = 'shared', heartbeatMs = 5000, maxRetries = 3, catchErrors = false, signal, onTrial } = options;
  checkPositive('runWorker', 'heartbeatMs', heartbeatMs);
  const graceMs = options.graceMs ?? 2 * heartbeatMs;
  checkPositive('runWorker', 'graceMs', graceMs);
  checkInteger('runWorker', 'maxRetries', maxRetries, { min: 0 });
  if (options.maxTrials !== undefined) checkInteger('runWorker', 'maxTrials', options.maxTrials, { min: 1 });
  if (mode !== 'shared' && mode !== 'local') throw new Error(`runWorker: mode must be 'shared' or 'local', got '${String(mode)}'`);
  const url = typeof options.storage === 'string' ? options.storage : undefined;
  const storage = url !== undefined ? await openStorage(url) : (options.storage as JournalStorage);
  const beats: Heartbeats = startHeartbeats(storage, heartbeatMs, url);
  let shared: StudyOptimizer | null = null;
  const summary: WorkerSummary = { worker: storage.worker, evaluated: 0, discarded: 0, failed: 0, alreadyFinished: false, stoppedBy: 'finished' };
  try {
    await storage.sync();
    if (!storage.state.studies.has(study)) {
      if (options.budget === undefined) throw new Error(`runWorker: study '${study}' does not exist in ${storage.backend.description}; pass budget to create it`);
      await storage.createStudy(study, { budget: options.budget, attrs: options.studyAttrs ?? {}, loadIfExists: true });
    }
    if (studyProgress(storage.state, study).finished) {
      summary.alreadyFinished = true;
      return summary;
    }
    const studySeed = Number(storage.study(study).attrs.seed ?? 0);
    const local = mode === 'local' ? options.optimizer() : null;
    if (local === null) shared = new StudyOptimizer(storage, study, options.optimizer());
    let lastExpire = -Infinity;
    for (;;) {
      if (signal?.aborted) return { ...summary, stoppedBy: 'signal' };
      if (options.maxTrials !== undefined && summary.evaluated + summary.failed + summary.discarded >= options.maxTrials) return { ...summary, stoppedBy: 'maxTrials' };
      // The replica is current: every write (finish, fail, ask) and every wait ends with a sync.
      if (studyProgress(storage.state, study).finished) return summary;
      if (Date.now() - lastExpire >= Math.min(heartbeatMs, graceMs / 2)) {
        lastExpire = Date.now();
        await storage.expireStale(study, { graceMs, maxRetries });
      }
      let localTrial: Trial | null = null;
      // A waiting trial shows in the replica (just synced); claiming is the backend's atomic step.
      const waiting = storage.study(study).trials.some((id) => storage.trial(id).state === 'waiting');
      let t = waiting ? await storage.claim(study) : null;
      const { budget, slots } = storage.study(study);
      if (t === null && (budget === null || slots < budget)) {
        // The replica says a slot is left; the journal refuses the ask if another worker took it first.
        if (local !== null) localTrial = await local.ask();
        t = await storage.askSlot(study, localTrial === null ? {} : { config: localTrial.config, fidelity: localTrial.fidelity ?? null, attrs: { [LOCAL_SLOT_ATTR]: true } });
      }
      if (t === null) {
        await storage.waitForChange(Math.min(heartbeatMs, 1000));
        continue;
      }
      const trial = localTrial ?? (shared !== null && t.slot !== null && t.attrs[LOCAL_SLOT_ATTR] !== true
        ? await shared.trialOf(t.slot)
        : { config: t.config as Config, ...(t.fidelity !== null ? { fidelity: t.fidelity } : {}) });
      const params = t.config === null ? { config: trial.config, fidelity: trial.fidelity ?? null } : null;
      beats.watch(t.id);
      let result: EvalResult | null = null;
      try {
        const context: WorkerContext = { fidelity: trial.fidelity, seed: trialSeed(studySeed, t), trial: t, report: (step, value) => storage.report((t as TrialRecord).id, step, value) };
        const evaluated = trial.evaluate !== undefined ? trial.evaluate({ ...(trial.fidelity !== undefined ? { fidelity: trial.fidelity } : {}), seed: context.seed }) : objective(trial.config, context);
        result = await evaluated;
        const values = checkResult(result, trial.config);
        beats.watch(null);
        if (await storage.finish(t.id, values, 'complete', params)) summary.evaluated++;
        else summary.discarded++;
        if (local !== null) await local.tell(trial, result as EvalResult);
      } catch (e) {
        beats.watch(null);
        summary.failed++;
        await storage.fail(t.id, `objective failed: ${(e as Error).message}`, { params });
        if (!catchErrors) throw new Error(`runWorker: the objective failed on trial ${t.id} (${JSON.stringify(trial.config)}): ${(e as Error).message}`);
      }
      onTrial?.(storage.trial(t.id), result);
    }
  } finally {
    shared?.close();
    await beats.close();
    if (url !== undefined) await storage.close();
  }
}
