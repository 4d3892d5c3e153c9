import { configKey } from '../hpo/searchSpace.js';
import type { AskTellOptimizer, EvalResult, Trial } from '../hpo/types.js';
import type { JournalStorage } from './journalStorage.js';
import type { JournalEntry, TrialRecord } from './journal.js';
import type { JournalState, Outcome } from './replay.js';

/** One event of a study's optimizer, in journal order: the ask that filled a slot, or the tell of its result. */
export type OptimizerEvent = AskEvent | TellEvent;

/** The ask that filled a slot. */
export interface AskEvent {
  /** Kind. */
  kind: 'ask';
  /** The slot. */
  slot: number;
  /** Journal position. */
  seq: number;
}

/** The result of a slot. */
export interface TellEvent {
  /** Kind. */
  kind: 'tell';
  /** The slot. */
  slot: number;
  /** Journal position. */
  seq: number;
  /** Its values. */
  values: Record<string, number>;
}

/** The attribute that marks a slot filled by a worker's own optimizer (not replayed by the others). */
export const LOCAL_SLOT_ATTR = 'localOptimizer';

/** Whether a trial is the first trial of an optimizer slot that every replica replays. */
const replayedSlot = (t: TrialRecord) => t.slot !== null && t.retryOf === null && t.attrs[LOCAL_SLOT_ATTR] !== true;

/**
 * The optimizer events of `study` in a replica's state, in journal order: the ask of each replayed
 * slot at its creation, the tell of each slot's complete trial at its end. A pure function of the
 * journal, so every process derives the same sequence.
 */
export function optimizerEvents(state: JournalState, study: string): OptimizerEvent[] {
  const s = state.studies.get(study);
  if (s === undefined) return [];
  const events: OptimizerEvent[] = [];
  const replayed = new Set<number>();
  for (const id of s.trials) {
    const t = state.trials.get(id) as TrialRecord;
    if (replayedSlot(t)) {
      replayed.add(t.slot as number);
      events.push({ kind: 'ask', slot: t.slot as number, seq: t.createdSeq });
    }
  }
  for (const id of s.trials) {
    const t = state.trials.get(id) as TrialRecord;
    if (t.state === 'complete' && t.slot !== null && replayed.has(t.slot)) events.push({ kind: 'tell', slot: t.slot, seq: t.endedSeq as number, values: t.values ?? {} });
  }
  return events.sort((a, b) => a.seq - b.seq);
}

/** The event one applied entry adds, if any (the streaming form of {@link optimizerEvents}). */
function eventOf(entry: JournalEntry, outcome: Outcome, state: JournalState, study: string): OptimizerEvent | null {
  if (!outcome.applied || outcome.trial === undefined) return null;
  const t = state.trials.get(outcome.trial);
  if (t === undefined || t.study !== study) return null;
  if (entry.op.op === 'createTrial' && t.createdSeq === entry.seq && replayedSlot(t)) return { kind: 'ask', slot: t.slot as number, seq: entry.seq };
  if (entry.op.op === 'finish' && t.state === 'complete' && t.slot !== null) {
    const first = state.trials.get(firstOfSlot(state, t));
    if (first !== undefined && replayedSlot(first)) return { kind: 'tell', slot: t.slot, seq: entry.seq, values: t.values ?? {} };
  }
  return null;
}

/** The id of the first trial of `t`'s retry chain. */
function firstOfSlot(state: JournalState, t: TrialRecord): number {
  let cur = t;
  while (cur.retryOf !== null) cur = state.trials.get(cur.retryOf) as TrialRecord;
  return cur.id;
}

/**
 * An ask/tell optimizer shared by every worker of a study, rebuilt from the journal in each
 * process: each worker holds the same deterministic optimizer (same kind, options and seed) and
 * feeds it the study's events in journal order: `ask()` where a slot was taken (by any worker),
 * `tell()` where a slot's result arrived. So every replica's optimizer is in the state a single
 * optimizer would be in, had it seen the asks and results in that order; the configuration of slot
 * n is the one its ask returned in every process (checked against the journal, which refuses a
 * non-deterministic optimizer). Decisions that must be unique (an ASHA promotion, a Hyperband rung
 * slot) are unique because each ask fills one slot, taken once in journal order.
 * @example
 * ```ts
 * const shared = new StudyOptimizer(storage, 'mlp', asha({ searchSpace, minResource: 1, maxResource: 27, seed: 7 }));
 * const t = await storage.askSlot('mlp');
 * const trial = await shared.trialOf(t.slot);
 * ```
 */
export class StudyOptimizer {
  private readonly local = new Map<number, Trial>();
  private readonly queue: OptimizerEvent[] = [];
  private running: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  private readonly unsubscribe: () => void;

  /** Replays the study's events so far and follows new ones as `storage` syncs. */
  constructor(private readonly storage: JournalStorage, private readonly study: string, private readonly optimizer: AskTellOptimizer) {
    this.queue.push(...optimizerEvents(storage.state, study));
    this.unsubscribe = storage.subscribe((entry, outcome, state) => {
      const e = eventOf(entry, outcome, state, study);
      if (e !== null) this.queue.push(e);
      const op = entry.op;
      const carriesParams = op.op === 'params' || ((op.op === 'finish' || op.op === 'fail') && op.params !== null && op.params !== undefined);
      if (carriesParams && outcome.applied) this.check(state.trials.get(op.trial) as TrialRecord);
    });
  }

  /** Feeds queued events to the optimizer, in order. */
  private drain(): Promise<void> {
    this.running = this.running.then(async () => {
      while (this.failure === null && this.queue.length > 0) {
        const e = this.queue.shift() as OptimizerEvent;
        try {
          if (e.kind === 'ask') {
            const trial = await this.optimizer.ask();
            this.local.set(e.slot, trial);
            const t = this.storage.trial(e.seq);
            if (t.config !== null) this.check(t);
          } else {
            const trial = this.local.get(e.slot);
            if (trial !== undefined) await this.optimizer.tell(trial, { runtime: 0, ...e.values } as EvalResult);
          }
        } catch (err) {
          this.failure = err as Error;
        }
      }
    });
    return this.running;
  }

  /** Refuses a slot whose configuration in the journal differs from this replica's ask. */
  private check(t: TrialRecord): void {
    if (t.slot === null || t.config === null || !replayedSlot(t)) return;
    const mine = this.local.get(t.slot);
    if (mine === undefined) return; // checked when this replica asks
    const same = configKey(mine.config) === configKey(t.config) && (mine.fidelity ?? null) === t.fidelity;
    if (!same && this.failure === null) {
      this.failure = new Error(`study '${this.study}': slot ${t.slot} is ${JSON.stringify(t.config)} at fidelity ${t.fidelity} in the journal, but this worker's optimizer asked ${JSON.stringify(mine.config)} at fidelity ${mine.fidelity ?? null}; every worker must build the same optimizer (kind, options and seed) and it must be deterministic`);
    }
  }

  /** This replica's trial for slot `slot` (its optimizer's ask at that slot's place in the journal). */
  async trialOf(slot: number): Promise<Trial> {
    await this.drain();
    if (this.failure !== null) throw this.failure;
    const t = this.local.get(slot);
    if (t === undefined) throw new Error(`study '${this.study}': slot ${slot} has not been taken in this replica's journal yet; sync first`);
    return t;
  }

  /** Catches up with the events applied so far (e.g. before reading the optimizer's state). */
  async settle(): Promise<void> {
    await this.drain();
    if (this.failure !== null) throw this.failure;
  }

  /** Stops following the journal. */
  close(): void {
    this.unsubscribe();
  }
}
