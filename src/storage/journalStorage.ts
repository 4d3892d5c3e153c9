import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../hpo/types.js';
import { checkAtLeast, checkInteger, checkOneOf } from '../util/validate.js';
import type { JournalBackend } from './backend.js';
import type { JournalEntry, JournalOp, JsonValue, OpBody, StudyRecord, TrialParams, TrialRecord } from './journal.js';
import { type JournalState, type Outcome, applyOp, emptyState } from './replay.js';

/** Options of {@link JournalStorage.createStudy}. */
export interface CreateStudyOptions {
  /** The result key to minimise; default 'loss'. */
  objective?: string;
  /** Optimizer slots (trials asked) before the study is finished; default none. */
  budget?: number | null;
  /** Attributes (e.g. optimizer, seed, benchmark). */
  attrs?: Record<string, JsonValue>;
  /** Return the existing study instead of failing when the name is taken; default false. */
  loadIfExists?: boolean;
}

/** A trial to add: its configuration, fidelity and attributes. */
export interface TrialSpec {
  /** The configuration (for an optimizer slot, it may be written later with `setParams`). */
  config?: Config | null;
  /** The fidelity. */
  fidelity?: number | null;
  /** Attributes. */
  attrs?: Record<string, JsonValue>;
}

/** Called for every operation the replica applies, in journal order, with what it did. */
export type ApplyListener = (entry: JournalEntry, outcome: Outcome, state: JournalState) => void;

let instances = 0;

/**
 * Studies and trials over a journal (Optuna's `Storage` operations, on a {@link JournalBackend}):
 * every write appends one operation; this object keeps a replica, the state replayed from the
 * journal ({@link applyOp}), brought up to date by `sync` (reading only the entries after the last
 * one applied). A write resolves once the replica has applied it, with its outcome: a claim, a
 * result or an attribute that lost a conflict says so (the first operation in journal order wins).
 * @example
 * ```ts
 * const storage = await openStorage('postgresql://user@127.0.0.1/hpo');
 * await storage.createStudy('mlp', { budget: 100, loadIfExists: true });
 * const t = await storage.claim('mlp');
 * ```
 */
export class JournalStorage {
  /** This writer's id (host, pid and instance), stamped on its operations. */
  readonly worker: string;
  private readonly replica: JournalState = emptyState();
  private readonly mine = new Map<string, Outcome | null>();
  private readonly listeners: ApplyListener[] = [];
  private counter = 0;
  /** Makes operation ids unique across instances, processes and runs (worker names and pids repeat). */
  private readonly nonce = randomUUID().slice(0, 8);

  /** Where the journal lives. */
  readonly backend: JournalBackend;

  /** Wraps `backend`; `worker` names this writer (default `host:pid:instance`). */
  constructor(backend: JournalBackend, { worker }: { worker?: string } = {}) {
    this.backend = backend;
    this.worker = worker ?? `${hostname()}:${process.pid}:${instances++}`;
  }

  /** The replica (read it, do not change it): every study and trial as of the last `sync`. */
  get state(): JournalState {
    return this.replica;
  }

  /** Calls `listener` for every operation applied from now on (after those already applied). */
  subscribe(listener: ApplyListener): () => void {
    this.listeners.push(listener);
    return () => this.listeners.splice(this.listeners.indexOf(listener), 1);
  }

  /** Applies entries after the replica's last (entries it has already applied are skipped). */
  private absorb(entries: readonly JournalEntry[]): void {
    for (const e of entries) {
      if (e.seq <= this.replica.last) continue;
      const outcome = applyOp(this.replica, e);
      if (this.mine.has(e.op.id)) this.mine.set(e.op.id, outcome);
      for (const l of this.listeners) l(e, outcome, this.replica);
    }
  }

  /** Reads and applies the journal's new entries. */
  async sync(): Promise<void> {
    this.absorb(await this.backend.read(this.replica.last));
  }

  private stamp(body: OpBody): JournalOp {
    return { ...body, id: `${this.worker}#${this.nonce}#${this.counter++}`, worker: this.worker, at: Date.now() } as JournalOp;
  }

  /** Appends operations, syncs past them, and returns their outcomes. */
  private async write(bodies: readonly OpBody[]): Promise<Outcome[]> {
    const ops = bodies.map((b) => this.stamp(b));
    for (const op of ops) this.mine.set(op.id, null);
    await this.backend.append(ops);
    return this.outcomesOf(ops);
  }

  private async outcomesOf(ops: readonly JournalOp[]): Promise<Outcome[]> {
    while (ops.some((op) => this.mine.get(op.id) === null)) await this.sync();
    return ops.map((op) => {
      const o = this.mine.get(op.id) as Outcome;
      this.mine.delete(op.id);
      return o;
    });
  }

  private async write1(body: OpBody): Promise<Outcome> {
    return (await this.write([body]))[0] as Outcome;
  }

  /** A study of the replica, or an error naming the storage. */
  study(name: string): StudyRecord {
    const s = this.replica.studies.get(name);
    if (s === undefined) throw new Error(`storage ${this.backend.description}: no study '${name}'; create it first (createStudy)`);
    return s;
  }

  /** A trial of the replica. */
  trial(id: number): TrialRecord {
    const t = this.replica.trials.get(id);
    if (t === undefined) throw new Error(`storage ${this.backend.description}: no trial ${id}`);
    return t;
  }

  /** Creates a study (or, with `loadIfExists`, returns the existing one); a taken name is an error naming it. */
  async createStudy(name: string, options: CreateStudyOptions = {}): Promise<StudyRecord> {
    const { objective = 'loss', budget = null, attrs = {}, loadIfExists = false } = options;
    if (typeof name !== 'string' || name === '') throw new Error(`createStudy: name must be a non-empty string, got ${JSON.stringify(name)}`);
    if (budget !== null) checkInteger('createStudy', 'budget', budget, { min: 1 });
    const outcome = await this.write1({ op: 'createStudy', study: name, objective, budget, attrs });
    if (!outcome.applied && !loadIfExists) throw new Error(`createStudy: study '${name}' already exists in ${this.backend.description}; choose another name or pass loadIfExists`);
    return this.study(name);
  }

  /** Lists the studies (after a sync). */
  async studies(): Promise<StudyRecord[]> {
    await this.sync();
    return [...this.replica.studies.values()];
  }

  /** The trials of a study, in creation order (after a sync). */
  async trials(study: string): Promise<TrialRecord[]> {
    await this.sync();
    return this.study(study).trials.map((id) => this.trial(id));
  }

  private trialOf(outcome: Outcome, what: string): TrialRecord {
    if (!outcome.applied) throw new Error(`${what}: ${outcome.reason}`);
    return this.trial(outcome.trial as number);
  }

  /** Enqueues a waiting trial (Optuna's `enqueue_trial`) for any worker to claim. */
  async enqueueTrial(study: string, spec: TrialSpec): Promise<TrialRecord> {
    const o = await this.write1({ op: 'createTrial', study, state: 'waiting', config: spec.config ?? null, fidelity: spec.fidelity ?? null, slot: false, attrs: spec.attrs ?? {}, values: null });
    return this.trialOf(o, 'enqueueTrial');
  }

  /**
   * Takes the study's next optimizer slot as a running trial owned by this writer; null once the
   * budget's slots are used (the check is the journal's, so concurrent writers never exceed it).
   */
  async askSlot(study: string, spec: TrialSpec = {}): Promise<TrialRecord | null> {
    const o = await this.write1({ op: 'createTrial', study, state: 'running', config: spec.config ?? null, fidelity: spec.fidelity ?? null, slot: true, attrs: spec.attrs ?? {}, values: null });
    return o.applied ? this.trial(o.trial as number) : null;
  }

  /** Adds a running trial outside the optimizer's slots (e.g. a user's own configuration). */
  async createRunningTrial(study: string, spec: TrialSpec): Promise<TrialRecord> {
    const o = await this.write1({ op: 'createTrial', study, state: 'running', config: spec.config ?? null, fidelity: spec.fidelity ?? null, slot: false, attrs: spec.attrs ?? {}, values: null });
    return this.trialOf(o, 'createRunningTrial');
  }

  /** Records a finished evaluation as one complete trial (one operation, so a crash never leaves half of it). */
  async recordTrial(study: string, spec: TrialSpec & { values: Record<string, number> }): Promise<TrialRecord> {
    const o = await this.write1({ op: 'createTrial', study, state: 'complete', config: spec.config ?? null, fidelity: spec.fidelity ?? null, slot: false, attrs: spec.attrs ?? {}, values: spec.values });
    return this.trialOf(o, 'recordTrial');
  }

  /** Claims a waiting trial of `study` (the oldest first), or null when none waits. */
  async claim(study: string): Promise<TrialRecord | null> {
    for (;;) {
      await this.sync();
      const firstWaiting = () => this.study(study).trials.find((id) => this.trial(id).state === 'waiting') ?? null;
      const made: JournalOp[] = [];
      const claimed = await this.backend.claim(study, this.replica.last, (entries) => {
        this.absorb(entries);
        return firstWaiting();
      }, (trial) => {
        const op = this.stamp({ op: 'claim', study, trial }) as JournalOp & { op: 'claim' };
        this.mine.set(op.id, null);
        made.push(op);
        return op;
      });
      for (const op of made) if (op.id !== claimed?.op.id) this.mine.delete(op.id);
      if (claimed === null) return null;
      const [outcome] = await this.outcomesOf([claimed.op]);
      if (outcome?.applied) return this.trial(claimed.trial);
      // The queue named a trial that is no longer waiting (a refused retry): try the next one.
    }
  }

  /** Writes the configuration of a trial created without one; false when it has one already. */
  async setParams(trial: number, config: Config, fidelity: number | null = null): Promise<boolean> {
    return (await this.write1({ op: 'params', trial, config, fidelity })).applied;
  }

  /** Reports an intermediate value of a running trial; false when the trial is no longer running. */
  async report(trial: number, step: number, value: number): Promise<boolean> {
    checkAtLeast('report', 'step', step, 0);
    return (await this.write1({ op: 'report', trial, step, value })).applied;
  }

  /**
   * Finishes a running trial with its values; false when it is no longer running (its lease
   * expired and it was failed, so the result is not recorded). `params` records the configuration
   * of a trial created without one (an optimizer slot), saving a separate `setParams`.
   */
  async finish(trial: number, values: Record<string, number>, state: 'complete' | 'pruned' = 'complete', params: TrialParams | null = null): Promise<boolean> {
    checkOneOf('finish', 'state', state, ['complete', 'pruned']);
    for (const [k, v] of Object.entries(values)) {
      if (typeof v !== 'number' || Number.isNaN(v)) throw new Error(`finish: values.${k} must be a number, not NaN, got ${String(v)}`);
    }
    return (await this.write1({ op: 'finish', trial, state, values, params })).applied;
  }

  /**
   * Fails a running trial; with `retry`, enqueues a copy. False when it is no longer running.
   * `params` records the configuration of a trial created without one.
   */
  async fail(trial: number, reason: string, { retry = false, params = null }: { retry?: boolean; params?: TrialParams | null } = {}): Promise<boolean> {
    const study = this.trial(trial).study;
    return (await this.write1({ op: 'fail', study, trial, reason, retry, params })).applied;
  }

  /** Sets an attribute of a trial. */
  async setTrialAttr(trial: number, key: string, value: JsonValue): Promise<void> {
    await this.write1({ op: 'trialAttr', trial, key, value });
  }

  /** Sets an attribute of a study. */
  async setStudyAttr(study: string, key: string, value: JsonValue): Promise<void> {
    await this.write1({ op: 'studyAttr', study, key, value });
  }

  /** Renews the lease of a running trial this writer owns; false when it expired (the trial was failed). */
  heartbeat(trial: number): Promise<boolean> {
    return this.backend.beat(trial);
  }

  /**
   * Fails the running trials of `study` whose lease was not renewed for `graceMs` (exactly one
   * process takes each), re-enqueueing those with fewer than `maxRetries` retries behind them
   * (their intermediate values kept). Returns the failed trial ids.
   */
  async expireStale(study: string, { graceMs, maxRetries = 0 }: { graceMs: number; maxRetries?: number }): Promise<number[]> {
    checkAtLeast('expireStale', 'graceMs', graceMs, 0);
    checkInteger('expireStale', 'maxRetries', maxRetries, { min: 0 });
    await this.sync();
    const ops: JournalOp[] = [];
    const taken = await this.backend.expire(study, graceMs, (trials) => {
      for (const trial of trials) {
        const retries = this.replica.trials.get(trial)?.retries ?? 0;
        const op = this.stamp({ op: 'fail', study, trial, reason: `lease expired (no heartbeat for ${graceMs} ms)`, retry: retries < maxRetries, params: null });
        this.mine.set(op.id, null);
        ops.push(op);
      }
      return ops;
    });
    await this.outcomesOf(ops);
    return taken;
  }

  /** Resolves once the journal may have new entries (or after `timeoutMs`), then syncs. */
  async waitForChange(timeoutMs: number): Promise<void> {
    await this.backend.wait(this.replica.last, timeoutMs);
    await this.sync();
  }

  /** Closes the backend. */
  close(): Promise<void> {
    return this.backend.close();
  }
}
