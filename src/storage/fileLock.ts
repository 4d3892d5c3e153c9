import { linkSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** Options of {@link withFileLock}. */
export interface FileLockOptions {
  /**
   * A lock older than this (ms, by its file's modification time) is stale: its holder is taken
   * to be dead and the lock is broken. Holds last one append, so the default 10,000 ms is ample.
   */
  graceMs?: number;
  /** Give up waiting after this long (ms), naming the holder; default 120,000. */
  timeoutMs?: number;
}

interface Owner {
  token: string;
  pid: number;
  host: string;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Blocks this thread for `ms` (a lock wait has nothing else to do). */
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

const HOST = hostname();

function readOwner(path: string): Owner | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Owner;
  } catch {
    return null; // gone, or being written
  }
}

/** True when the holder is on this host and its process no longer exists. */
function holderIsDead(owner: Owner | null): boolean {
  if (owner === null || owner.host !== HOST) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Breaks a stale lock whose owner token is `token`; restores it if another process took it meanwhile. */
function breakStale(path: string, token: string | undefined): void {
  const broken = `${path}.broken.${process.pid}.${Math.random().toString(36).slice(2)}`;
  try {
    renameSync(path, broken);
  } catch {
    return; // someone else broke or released it
  }
  const moved = readOwner(broken);
  if (moved?.token !== token) {
    try {
      linkSync(broken, path); // it was a fresh lock: give it back (fails if a third process holds the path now)
    } catch { /* the path is taken again: the fresh holder's release will find it is not its own */ }
  }
  try {
    unlinkSync(broken);
  } catch { /* already gone */ }
}

/**
 * Runs `fn` holding an exclusive lock on `path` across processes of one host (or of hosts sharing
 * a file system): the lock is a file created atomically by `link(2)`, holding its owner's token,
 * pid and host. A lock whose holder is gone (same host, pid not alive) or whose file is older than
 * `graceMs` is broken, so a process killed while holding it cannot block the next one (Optuna's
 * journal file lock has the same grace period). Waits with exponential backoff (1 to 50 ms).
 */
export function withFileLock<T>(path: string, options: FileLockOptions, fn: () => T): T {
  const { graceMs = 10_000, timeoutMs = 120_000 } = options;
  const token = `${HOST}:${process.pid}:${Math.random().toString(36).slice(2)}`;
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, JSON.stringify({ token, pid: process.pid, host: HOST } satisfies Owner));
  const start = Date.now();
  let wait = 1;
  try {
    for (;;) {
      try {
        linkSync(tmp, path);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const owner = readOwner(path);
      let age = 0;
      try {
        age = Date.now() - statSync(path).mtimeMs;
      } catch {
        continue; // released meanwhile
      }
      if (age > graceMs || holderIsDead(owner)) {
        breakStale(path, owner?.token);
        continue;
      }
      if (Date.now() - start > timeoutMs) {
        throw new Error(`file journal: the lock ${path} is held by ${owner === null ? 'an unknown process' : `pid ${owner.pid} on ${owner.host}`} for more than ${timeoutMs} ms; it is broken automatically once older than graceMs = ${graceMs} ms`);
      }
      sleepSync(wait * (0.5 + Math.random()));
      wait = Math.min(50, wait * 2);
    }
  } finally {
    unlinkSync(tmp);
  }
  try {
    return fn();
  } finally {
    if (readOwner(path)?.token === token) unlinkSync(path);
  }
}
