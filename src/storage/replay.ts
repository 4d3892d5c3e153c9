import type { JournalEntry, JournalOp, StudyRecord, TrialRecord, TrialState } from './journal.js';

/** Every study and trial of a storage, as replaying its journal leaves them. */
export interface JournalState {
  /** Studies by name. */
  studies: Map<string, StudyRecord>;
  /** Trials by id. */
  trials: Map<number, TrialRecord>;
  /** Position of the last applied operation (-1 before any). */
  last: number;
}

/** What applying one operation did: applied (and the trial it created or touched), or refused and why. */
export type Outcome = Applied | Refused;

/** An operation that took effect. */
export interface Applied {
  /** It took effect. */
  applied: true;
  /** The trial it created or touched. */
  trial?: number;
}

/** An operation that lost a conflict or named nothing. */
export interface Refused {
  /** It had no effect. */
  applied: false;
  /** Why. */
  reason: string;
}

/** A state with no study. */
export function emptyState(): JournalState {
  return { studies: new Map(), trials: new Map(), last: -1 };
}

const refused = (reason: string): Outcome => ({ applied: false, reason });

function newTrial(seq: number, study: StudyRecord, fields: Partial<TrialRecord> & Pick<TrialRecord, 'state'>): TrialRecord {
  const t: TrialRecord = {
    id: seq, study: study.name, number: study.trials.length, config: null, fidelity: null, slot: null, worker: null, values: null,
    intermediate: {}, attrs: {}, retryOf: null, retries: 0, failReason: null, createdSeq: seq, startedSeq: null, endedSeq: null,
    startedAt: null, endedAt: null, ...fields,
  };
  study.trials.push(seq);
  return t;
}

/**
 * Applies one journal operation to `state` (in place) and says whether it took effect. The rules
 * make the first operation in journal order win every conflict, so any process that replays the
 * same journal reaches the same state:
 * - `createStudy` of an existing name is refused;
 * - `createTrial` with `slot` is refused once the study's budget of slots is used;
 * - `claim` applies only to a waiting trial (the first claim wins, later ones are refused);
 * - `report`, `finish` and `fail` apply only to a running trial (a late result of a trial already
 *   failed by an expired lease is refused); `fail` with `retry` creates the retry at this position;
 * - `params` applies once per trial (a `finish` or `fail` may carry the configuration of a trial
 *   created without one).
 */
export function applyOp(state: JournalState, { seq, op }: JournalEntry): Outcome {
  if (!(seq > state.last)) throw new Error(`journal replay: entry ${seq} is not after ${state.last}; entries must be applied in increasing order`);
  state.last = seq;
  return apply(state, seq, op);
}

function apply(state: JournalState, seq: number, op: JournalOp): Outcome {
  if (op.op === 'createStudy') {
    if (state.studies.has(op.study)) return refused(`study '${op.study}' exists`);
    state.studies.set(op.study, { name: op.study, createdSeq: seq, objective: op.objective, budget: op.budget, attrs: { ...op.attrs }, trials: [], slots: 0 });
    return { applied: true };
  }
  if (op.op === 'createTrial' || op.op === 'studyAttr') {
    const study = state.studies.get(op.study);
    if (study === undefined) return refused(`no study '${op.study}'`);
    if (op.op === 'studyAttr') {
      study.attrs[op.key] = op.value;
      return { applied: true };
    }
    if (op.slot && study.budget !== null && study.slots >= study.budget) return refused(`study '${op.study}' has used its ${study.budget} slots`);
    const started = op.state !== 'waiting';
    const complete = op.state === 'complete';
    const t = newTrial(seq, study, {
      state: op.state, config: op.config, fidelity: op.fidelity, slot: op.slot ? study.slots++ : null, attrs: { ...op.attrs },
      worker: started ? op.worker : null, startedSeq: started ? seq : null, startedAt: started ? op.at : null,
      values: complete ? { ...(op.values ?? {}) } : null, endedSeq: complete ? seq : null, endedAt: complete ? op.at : null,
    });
    state.trials.set(seq, t);
    return { applied: true, trial: seq };
  }
  const t = state.trials.get(op.trial);
  if (t === undefined) return refused(`no trial ${op.trial}`);
  switch (op.op) {
    case 'claim':
      if (t.state !== 'waiting') return refused(`trial ${t.id} is ${t.state}`);
      Object.assign(t, { state: 'running', worker: op.worker, startedSeq: seq, startedAt: op.at });
      return { applied: true, trial: t.id };
    case 'params':
      if (t.config !== null) return refused(`trial ${t.id} has its configuration`);
      t.config = op.config;
      t.fidelity = op.fidelity;
      return { applied: true, trial: t.id };
    case 'trialAttr':
      t.attrs[op.key] = op.value;
      return { applied: true, trial: t.id };
    default:
      break;
  }
  if (t.state !== 'running') return refused(`trial ${t.id} is ${t.state}, not running`);
  if (op.op === 'report') {
    t.intermediate[String(op.step)] = op.value;
    return { applied: true, trial: t.id };
  }
  Object.assign(t, { endedSeq: seq, endedAt: op.at });
  if (op.params !== null && op.params !== undefined && t.config === null) Object.assign(t, { config: op.params.config, fidelity: op.params.fidelity });
  if (op.op === 'finish') {
    Object.assign(t, { state: op.state, values: { ...op.values } });
    return { applied: true, trial: t.id };
  }
  Object.assign(t, { state: 'failed', failReason: op.reason });
  if (op.retry) {
    const study = state.studies.get(t.study) as StudyRecord;
    state.trials.set(seq, newTrial(seq, study, {
      state: 'waiting', config: t.config, fidelity: t.fidelity, slot: t.slot, intermediate: { ...t.intermediate },
      attrs: { ...t.attrs }, retryOf: t.id, retries: t.retries + 1,
    }));
  }
  return { applied: true, trial: t.id };
}

/** Replays a whole journal from the empty state (the entries in increasing order). */
export function replay(entries: Iterable<JournalEntry>): JournalState {
  const s = emptyState();
  for (const e of entries) applyOp(s, e);
  return s;
}

/** Counts of a study's trials by state, and whether every slot of its budget reached a final state. */
export interface StudyProgress {
  /** Trials by state. */
  byState: Record<TrialState, number>;
  /** Optimizer slots taken. */
  slots: number;
  /** The budget, or null. */
  budget: number | null;
  /** Slots whose last trial is final (complete, pruned, or failed without a retry). */
  doneSlots: number;
  /** True once the budget's slots are all taken and no trial waits or runs. */
  finished: boolean;
}



/** The progress of a study in `state`. */
export function studyProgress(state: JournalState, name: string): StudyProgress {
  const study = state.studies.get(name);
  if (study === undefined) throw new Error(`studyProgress: no study '${name}'`);
  const byState: Record<TrialState, number> = { waiting: 0, running: 0, complete: 0, pruned: 0, failed: 0 };
  const open = new Set<number>();
  for (const id of study.trials) {
    const t = state.trials.get(id) as TrialRecord;
    byState[t.state]++;
    if (t.slot !== null && (t.state === 'waiting' || t.state === 'running')) open.add(t.slot);
  }
  const doneSlots = study.slots - open.size;
  return { byState, slots: study.slots, budget: study.budget, doneSlots, finished: study.budget !== null && study.slots >= study.budget && byState.waiting + byState.running === 0 };
}
