import { mkdirSync, readFileSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { heartbeatAge } from './heartbeat.js';

/**
 * A lock on a folder shared by processes: the directory `lock/` (mkdir is atomic), holding
 * `owner.json` with the holder's token and heartbeat file. A lock whose holder's heartbeat has
 * expired (the holder was killed while holding it) is stale and taken over: a breaker first takes
 * `lock.break/` (so two breakers never remove a fresh lock), checks that the same stale holder
 * still owns the lock, and removes it. A lock held by a live process, however long, is waited for.
 */

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Blocks this thread for `ms` milliseconds (a waiting worker has nothing else to do). */
export function sleep(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** Who holds a lock. */
export interface LockOwner {
  /** A unique token of the holder's connection. */
  token: string;
  /** The holder's heartbeat file. */
  heartbeat: string;
  /** The holder's name, for errors. */
  name: string;
}

/** Options of {@link withLock}. */
export interface LockOptions {
  /** A holder whose heartbeat is older than this (milliseconds) is dead. */
  leaseMs: number;
  /** The clock, in milliseconds; default `Date.now`. */
  now?: () => number;
}

const readOwner = (dir: string): LockOwner | null => {
  try {
    return JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')) as LockOwner;
  } catch {
    return null;
  }
};

const ageOf = (path: string, now: number): number => {
  try {
    return now - statSync(path).mtimeMs;
  } catch {
    return 0; // gone already
  }
};

/** Removes `lock` if it is stale: its owner's heartbeat expired, or it has no owner and is older than the lease. */
function breakIfStale(lock: string, { leaseMs, now = Date.now }: LockOptions): boolean {
  const owner = readOwner(lock);
  const stale = owner === null ? ageOf(lock, now()) > leaseMs : heartbeatAge(owner.heartbeat, now()) > leaseMs;
  if (!stale) return false;
  const breaker = `${lock}.break`;
  try {
    mkdirSync(breaker);
  } catch {
    // Another breaker is at work; one that died there is cleared after a lease.
    if (ageOf(breaker, now()) > leaseMs) rmSync(breaker, { recursive: true, force: true });
    return false;
  }
  try {
    const again = readOwner(lock);
    if ((again === null && owner === null) || (again !== null && owner !== null && again.token === owner.token)) rmSync(lock, { recursive: true, force: true });
  } finally {
    rmdirSync(breaker);
  }
  return true;
}

/** Runs `fn` holding the lock `dir/lock` as `owner`; waits (polling) while a live holder has it. */
export function withLock<T>(dir: string, owner: LockOwner, options: LockOptions, fn: () => T): T {
  const lock = join(dir, 'lock');
  let wait = 0.5;
  let checked = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (Date.now() - checked > Math.min(1000, options.leaseMs / 4)) {
        checked = Date.now();
        if (breakIfStale(lock, options)) continue;
      }
      sleep(wait);
      wait = Math.min(20, wait * 2);
    }
  }
  try {
    writeFileSync(join(lock, 'owner.json'), JSON.stringify(owner));
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
