import type { ClaimOp, JournalEntry, JournalOp } from './journal.js';

/** What a claim under the journal's lock chooses: the waiting trial to claim, from the entries read so far. */
export type ClaimPicker = (entries: readonly JournalEntry[]) => number | null;

/** A claim that was appended: its journal position and the trial it names. */
export interface AppendedClaim {
  /** Position of the claim operation. */
  seq: number;
  /** The trial claimed. */
  trial: number;
  /** The claim operation appended (of those `claimOp` made, the one in the journal). */
  op: ClaimOp;
}

/**
 * Where a journal lives: an ordered, append-only log of operations, plus the two pieces of shared
 * state that must not be decided by a replica alone: the lease of each running trial (renewed by
 * its owner, expired by whoever notices first) and the claim of a waiting trial. Backends:
 * {@link memoryBackend}, {@link fileBackend}, {@link postgresBackend}.
 */
export interface JournalBackend {
  /** Where it is, for messages (`memory`, a file path, a PostgreSQL URL without its password). */
  readonly description: string;
  /**
   * Appends operations in order and returns their positions. Idempotent by operation id where a
   * dropped connection can leave an append's fate unknown (PostgreSQL). Starts a lease for each
   * trial an operation starts running and ends the lease of each trial it finishes or fails.
   */
  append(ops: readonly JournalOp[]): Promise<number[]>;
  /** The entries after position `after`, in order. */
  read(after: number): Promise<JournalEntry[]>;
  /**
   * Claims one waiting trial of `study` exactly once: the file and in-memory journals run `pick` on
   * the entries after `after` under their lock and append `claimOp(trial)`; PostgreSQL takes the
   * oldest unlocked row of its waiting queue (`FOR UPDATE SKIP LOCKED`). Null when none waits.
   */
  claim(study: string, after: number, pick: ClaimPicker, claimOp: (trial: number) => ClaimOp): Promise<AppendedClaim | null>;
  /** Renews the lease of a running trial; false when it has none (it expired and was failed). */
  beat(trial: number): Promise<boolean>;
  /**
   * Takes, exactly once across processes, the leases of `study` not renewed for `graceMs` (by the
   * server's clock for PostgreSQL, the host's for the others) and appends `failOps(trials)` with them.
   * Returns the trials taken.
   */
  expire(study: string, graceMs: number, failOps: (trials: readonly number[]) => JournalOp[]): Promise<number[]>;
  /** The leases of `study`'s running trials and their ages (ms since the last heartbeat, by the same clock as `expire`). */
  leases(study: string): Promise<LeaseAge[]>;
  /** Resolves once entries after `after` may exist, or after `timeoutMs` (LISTEN/NOTIFY, polling, or in-process). */
  wait(after: number, timeoutMs: number): Promise<void>;
  /** Releases connections, timers and watchers. */
  close(): Promise<void>;
}

/** A running trial's lease and its age. */
export interface LeaseAge {
  /** The trial. */
  trial: number;
  /** Milliseconds since its last heartbeat. */
  ageMs: number;
}

/** A trial and its study. */
export interface TrialOfStudy {
  /** The trial. */
  trial: number;
  /** Its study. */
  study: string;
}

/** What an operation does to leases and to the waiting queue, given its journal position. */
export interface SharedEffects {
  /** The trial whose lease starts, and its study. */
  leaseStart?: TrialOfStudy;
  /** The trial whose lease ends. */
  leaseEnd?: number;
  /** A trial that becomes waiting (enqueued, or the retry a `fail` creates), and its study. */
  enqueued?: TrialOfStudy;
}

/**
 * The lease and queue effects of an operation at position `seq` (backends keep that state beside
 * the journal).
 */
export function sharedEffects(op: JournalOp, seq: number): SharedEffects {
  switch (op.op) {
    case 'createTrial':
      if (op.state === 'complete') return {};
      return op.state === 'running' ? { leaseStart: { trial: seq, study: op.study } } : { enqueued: { trial: seq, study: op.study } };
    case 'claim':
      return { leaseStart: { trial: op.trial, study: op.study } };
    case 'finish':
      return { leaseEnd: op.trial };
    case 'fail':
      return { leaseEnd: op.trial, ...(op.retry ? { enqueued: { trial: seq, study: op.study } } : {}) };
    default:
      return {};
  }
}
