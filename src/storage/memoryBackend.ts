import { type AppendedClaim, type ClaimPicker, type JournalBackend, sharedEffects } from './backend.js';
import type { ClaimOp, JournalEntry, JournalOp } from './journal.js';

/**
 * A journal in this process's memory (the simulator's default): one array of entries, leases timed
 * by `now` (default `Date.now`). Every worker of the process that shares the backend object shares
 * the study; it is gone when the process ends.
 * @example
 * ```ts
 * const storage = new JournalStorage(memoryBackend());
 * ```
 */
export function memoryBackend({ now = Date.now }: { now?: () => number } = {}): JournalBackend {
  const entries: JournalEntry[] = [];
  const leases = new Map<number, { study: string; beat: number }>();
  let waiters: (() => void)[] = [];
  const push = (op: JournalOp): number => {
    const seq = entries.length;
    entries.push({ seq, op: structuredClone(op) });
    const fx = sharedEffects(op, seq);
    if (fx.leaseEnd !== undefined) leases.delete(fx.leaseEnd);
    if (fx.leaseStart !== undefined && !leases.has(fx.leaseStart.trial)) leases.set(fx.leaseStart.trial, { study: fx.leaseStart.study, beat: now() });
    return seq;
  };
  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const after = (a: number) => entries.slice(a + 1).map((e) => ({ seq: e.seq, op: structuredClone(e.op) }));
  return {
    description: 'memory',
    append: async (ops) => {
      const seqs = ops.map(push);
      wake();
      return seqs;
    },
    read: async (a) => after(a),
    claim: async (_study: string, a: number, pick: ClaimPicker, claimOp: (trial: number) => ClaimOp): Promise<AppendedClaim | null> => {
      const trial = pick(after(a));
      if (trial === null) return null;
      const op = claimOp(trial);
      const seq = push(op);
      wake();
      return { seq, trial, op };
    },
    beat: async (trial) => {
      const l = leases.get(trial);
      if (l === undefined) return false;
      l.beat = now();
      return true;
    },
    expire: async (study, graceMs, failOps) => {
      const t = now();
      const stale = [...leases].filter(([, l]) => l.study === study && t - l.beat > graceMs).map(([id]) => id).sort((a, b) => a - b);
      if (stale.length === 0) return [];
      for (const id of stale) leases.delete(id);
      failOps(stale).forEach(push);
      wake();
      return stale;
    },
    leases: async (study) => [...leases].filter(([, l]) => l.study === study).map(([trial, l]) => ({ trial, ageMs: now() - l.beat })),
    wait: (a, timeoutMs) => new Promise<void>((resolve) => {
      if (entries.length - 1 > a) return resolve();
      const timer = setTimeout(() => {
        waiters = waiters.filter((w) => w !== done);
        resolve();
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      waiters.push(done);
    }),
    close: async () => wake(),
  };
}
