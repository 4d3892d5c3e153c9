/**
 * The journal: every write to a study is one operation appended to an ordered log, and the state of
 * every study is a pure function of that log ({@link applyOp}). Trial states and operations follow
 * Optuna's storage model (Akiba et al. 2019): a trial is `waiting` (enqueued), `running` (claimed by
 * one worker), or finished as `complete`, `pruned` or `failed`.
 * @module
 */
import type { Config } from '../hpo/types.js';

/** A trial's state (Optuna's `TrialState`, lower case). */
export type TrialState = 'waiting' | 'running' | 'complete' | 'pruned' | 'failed';

/** The states a trial cannot leave. */
export const FINISHED_STATES: readonly TrialState[] = ['complete', 'pruned', 'failed'];

/** A JSON value, as attributes hold. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What every operation carries: who wrote it, when (the writer's clock, for display only), and a unique id. */
export interface OpHeader {
  /**
   * Unique id of the operation (writer id and a counter): an append retried after a dropped
   * connection is recognised and stored once.
   */
  id: string;
  /** The writing worker. */
  worker: string;
  /** The writer's wall clock, in ms since the epoch (informative: no decision reads it). */
  at: number;
}

/** Creates a study; a second creation of the same name is refused (its outcome says so). */
export interface CreateStudyOp extends OpHeader {
  /** The operation's kind. */
  op: 'createStudy';
  /** Study name. */
  study: string;
  /** The result key to minimise (default 'loss'). */
  objective: string;
  /** Trials the study asks for before it is finished (its optimizer's slots); null for no bound. */
  budget: number | null;
  /** Free attributes (e.g. the optimizer's name and seed, the benchmark). */
  attrs: Record<string, JsonValue>;
}

/**
 * Adds a trial: `waiting` (enqueued, for any worker to claim), `running` (owned by the writer), or
 * `complete` with its values (a result recorded as a whole, e.g. by the simulator).
 */
export interface CreateTrialOp extends OpHeader {
  /** The operation's kind. */
  op: 'createTrial';
  /** Study name. */
  study: string;
  /** Initial state. */
  state: 'waiting' | 'running' | 'complete';
  /** The values of a trial created `complete`; else null. */
  values: Record<string, number> | null;
  /** The configuration, when the writer knows it (an optimizer slot's configuration may follow in a `params` op). */
  config: Config | null;
  /** The fidelity, if any. */
  fidelity: number | null;
  /**
   * Takes the study's next optimizer slot (the optimizer's next `ask`): applies only while the study
   * has slots left. Without it the trial is a user-enqueued one, outside the optimizer.
   */
  slot: boolean;
  /** Attributes. */
  attrs: Record<string, JsonValue>;
}

/** Claims a waiting trial for the writer: the first claim in journal order wins. */
export interface ClaimOp extends OpHeader {
  /** The operation's kind. */
  op: 'claim';
  /** Study name. */
  study: string;
  /** Trial id. */
  trial: number;
}

/** Sets a trial's configuration and fidelity, once (the first such op wins). */
export interface ParamsOp extends OpHeader {
  /** The operation's kind. */
  op: 'params';
  /** Trial id. */
  trial: number;
  /** The configuration. */
  config: Config;
  /** The fidelity, if any. */
  fidelity: number | null;
}

/** An intermediate value of a running trial (Optuna's `report`). */
export interface ReportOp extends OpHeader {
  /** The operation's kind. */
  op: 'report';
  /** Trial id. */
  trial: number;
  /** The step (e.g. epoch). */
  step: number;
  /** The value. */
  value: number;
}

/** Finishes a running trial as complete or pruned, with its values. */
export interface FinishOp extends OpHeader {
  /** The operation's kind. */
  op: 'finish';
  /** Trial id. */
  trial: number;
  /** Final state. */
  state: 'complete' | 'pruned';
  /** Objective values (and `runtime`). */
  values: Record<string, number>;
  /** The configuration and fidelity, for a trial created without them (an optimizer slot); else null. */
  params: TrialParams | null;
}

/** A trial's configuration and fidelity, as a finishing operation may carry them. */
export interface TrialParams {
  /** The configuration. */
  config: Config;
  /** The fidelity, if any. */
  fidelity: number | null;
}

/**
 * Fails a running trial. With `retry`, the same operation enqueues a copy (same configuration,
 * fidelity, slot and intermediate values) as a new waiting trial whose id is this operation's position.
 */
export interface FailOp extends OpHeader {
  /** The operation's kind. */
  op: 'fail';
  /** Study name (of the trial and of its retry). */
  study: string;
  /** Trial id. */
  trial: number;
  /** Why (e.g. `lease expired` or the objective's error). */
  reason: string;
  /** Whether to enqueue a retry. */
  retry: boolean;
  /** The configuration and fidelity, for a trial created without them; else null. */
  params: TrialParams | null;
}

/** Sets an attribute of a trial. */
export interface TrialAttrOp extends OpHeader {
  /** The operation's kind. */
  op: 'trialAttr';
  /** Trial id. */
  trial: number;
  /** Key. */
  key: string;
  /** Value. */
  value: JsonValue;
}

/** Sets an attribute of a study. */
export interface StudyAttrOp extends OpHeader {
  /** The operation's kind. */
  op: 'studyAttr';
  /** Study name. */
  study: string;
  /** Key. */
  key: string;
  /** Value. */
  value: JsonValue;
}

/** One journal operation (a discriminated union on `op`). */
export type JournalOp = CreateStudyOp | CreateTrialOp | ClaimOp | ParamsOp | ReportOp | FinishOp | FailOp | TrialAttrOp | StudyAttrOp;

/** An operation without its header (what a caller writes; the storage stamps the header). */
export type OpBody = JournalOp extends infer O ? (O extends JournalOp ? Omit<O, keyof OpHeader> : never) : never;

/** An operation at its position in the journal (positions increase; they need not be contiguous). */
export interface JournalEntry {
  /** Position in the journal. */
  seq: number;
  /** The operation. */
  op: JournalOp;
}

/** A trial as the journal's replay leaves it. */
export interface TrialRecord {
  /** Trial id: the journal position of the operation that created it (unique in the storage). */
  id: number;
  /** Study name. */
  study: string;
  /** Its index among the study's trials (Optuna's `number`). */
  number: number;
  /** State. */
  state: TrialState;
  /** Configuration (null while an optimizer slot's configuration is not yet written). */
  config: Config | null;
  /** Fidelity, if any. */
  fidelity: number | null;
  /** The optimizer slot it fills (its ask's index in the study), or null for an enqueued trial. */
  slot: number | null;
  /** The worker that runs or ran it. */
  worker: string | null;
  /** Final values (complete or pruned trials). */
  values: Record<string, number> | null;
  /** Intermediate values by step. */
  intermediate: Record<string, number>;
  /** Attributes. */
  attrs: Record<string, JsonValue>;
  /** The trial this one retries, or null. */
  retryOf: number | null;
  /** How many failed trials precede it in its retry chain. */
  retries: number;
  /** Why it failed, if it did. */
  failReason: string | null;
  /** Journal positions of its creation, start (claim) and end. */
  createdSeq: number;
  /** Position of the claim or running creation, or null. */
  startedSeq: number | null;
  /** Position of its finishing operation, or null. */
  endedSeq: number | null;
  /** Writer clocks (ms) of its start and end, for display. */
  startedAt: number | null;
  /** Writer clock (ms) of its end, for display. */
  endedAt: number | null;
}

/** A study as the journal's replay leaves it. */
export interface StudyRecord {
  /** Name. */
  name: string;
  /** Journal position of its creation. */
  createdSeq: number;
  /** The result key to minimise. */
  objective: string;
  /** Optimizer slots it asks for, or null. */
  budget: number | null;
  /** Attributes. */
  attrs: Record<string, JsonValue>;
  /** Its trials' ids, in creation order. */
  trials: number[];
  /** Optimizer slots taken so far. */
  slots: number;
}

/** Whether a state is final. */
export function isFinished(state: TrialState): boolean {
  return state === 'complete' || state === 'pruned' || state === 'failed';
}
