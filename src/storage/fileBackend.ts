import { closeSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, readdirSync, readFileSync, statSync, unlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type AppendedClaim, type ClaimPicker, type JournalBackend, sharedEffects } from './backend.js';
import { type FileLockOptions, withFileLock } from './fileLock.js';
import type { ClaimOp, JournalEntry, JournalOp } from './journal.js';

/** Options of {@link fileBackend}. */
export interface FileBackendOptions extends FileLockOptions {
  /** fsync after every append (default true: an acknowledged operation survives a power cut). */
  fsync?: boolean;
  /** Poll interval (ms) of `wait`; default 20. */
  pollMs?: number;
}

/**
 * A journal in a JSON-lines file, shared by the processes of one host (or of hosts on one file
 * system): each line is one operation, its position the line's index. Appends hold a lock file
 * (see {@link withFileLock}: a killed holder cannot block the next process), are written with
 * `O_APPEND` in one `write` and `fsync`ed. Readers consume complete lines only, so a line cut off
 * by a crash is skipped, and the next append truncates it first. Leases are files in
 * `<path>.leases/` whose modification time is the last heartbeat.
 * @example
 * ```ts
 * const storage = new JournalStorage(fileBackend('runs/studies.jsonl'));
 * ```
 */
export function fileBackend(path: string, options: FileBackendOptions = {}): JournalBackend {
  const { fsync = true, pollMs = 20 } = options;
  const lockPath = `${path}.lock`;
  const leaseDir = `${path}.leases`;
  mkdirSync(dirname(path), { recursive: true });
  mkdirSync(leaseDir, { recursive: true });
  closeSync(openSync(path, 'a'));
  const entries: JournalEntry[] = [];
  let offset = 0; // bytes of complete lines consumed
  let closed = false;

  /** Reads complete lines past `offset`; returns the byte length of a trailing cut-off line. */
  const refresh = (): number => {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size <= offset) return 0;
      const buf = Buffer.alloc(size - offset);
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, offset + got);
        if (n === 0) break;
        got += n;
      }
      const end = buf.lastIndexOf(10, got - 1);
      if (end < 0) return got;
      const lines = buf.subarray(0, end).toString('utf8').split('\n');
      for (const line of lines) {
        let op: JournalOp;
        try {
          op = JSON.parse(line) as JournalOp;
        } catch {
          throw new Error(`file journal ${path}: line ${entries.length + 1} is not JSON (${JSON.stringify(line.slice(0, 80))}); only a cut-off last line is skipped, a damaged line inside the journal is an error`);
        }
        entries.push({ seq: entries.length, op });
      }
      offset += end + 1;
      return got - end - 1;
    } finally {
      closeSync(fd);
    }
  };
  const leaseFile = (trial: number) => join(leaseDir, String(trial));
  /** Appends under the lock (the caller holds it). */
  const appendLocked = (ops: readonly JournalOp[]): number[] => {
    const fragment = refresh();
    const fd = openSync(path, 'a');
    try {
      if (fragment > 0) ftruncateSync(fd, offset); // a line cut off by a crashed writer
      writeSync(fd, ops.map((op) => `${JSON.stringify(op)}\n`).join(''));
      if (fsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const first = entries.length;
    refresh();
    return ops.map((op, i) => {
      const seq = first + i;
      const fx = sharedEffects(op, seq);
      if (fx.leaseEnd !== undefined) {
        try {
          unlinkSync(leaseFile(fx.leaseEnd));
        } catch { /* expired already */ }
      }
      if (fx.leaseStart !== undefined) {
        try {
          writeFileSync(leaseFile(fx.leaseStart.trial), fx.leaseStart.study, { flag: 'wx' });
        } catch { /* a claim that replay refuses (the trial runs already): its lease stays */ }
      }
      return seq;
    });
  };
  const locked = <T>(fn: () => T): T => withFileLock(lockPath, options, fn);
  const after = (a: number) => entries.slice(a + 1);
  return {
    description: path,
    append: async (ops) => locked(() => appendLocked(ops)),
    read: async (a) => {
      refresh();
      return after(a);
    },
    claim: async (_study: string, a: number, pick: ClaimPicker, claimOp: (trial: number) => ClaimOp): Promise<AppendedClaim | null> => locked(() => {
      refresh();
      const trial = pick(after(a));
      if (trial === null) return null;
      const op = claimOp(trial);
      const [seq] = appendLocked([op]) as [number];
      return { seq, trial, op };
    }),
    beat: async (trial) => {
      const t = new Date();
      try {
        utimesSync(leaseFile(trial), t, t);
        return true;
      } catch {
        return false;
      }
    },
    expire: async (study, graceMs, failOps) => locked(() => {
      const now = Date.now();
      const stale: number[] = [];
      for (const name of readdirSync(leaseDir)) {
        const file = join(leaseDir, name);
        try {
          if (now - statSync(file).mtimeMs > graceMs && readFileSync(file, 'utf8') === study) stale.push(Number(name));
        } catch { /* ended meanwhile */ }
      }
      stale.sort((x, y) => x - y);
      for (const id of stale) unlinkSync(leaseFile(id));
      if (stale.length > 0) appendLocked(failOps(stale));
      return stale;
    }),
    leases: async (study) => {
      const out: { trial: number; ageMs: number }[] = [];
      for (const name of readdirSync(leaseDir)) {
        try {
          const file = join(leaseDir, name);
          if (readFileSync(file, 'utf8') === study) out.push({ trial: Number(name), ageMs: Date.now() - statSync(file).mtimeMs });
        } catch { /* ended meanwhile */ }
      }
      return out.sort((x, y) => x.trial - y.trial);
    },
    wait: async (a, timeoutMs) => {
      const end = Date.now() + timeoutMs;
      while (!closed && Date.now() < end) {
        refresh();
        if (entries.length - 1 > a) return;
        await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(1, end - Date.now()))));
      }
    },
    close: async () => {
      closed = true;
    },
  };
}
