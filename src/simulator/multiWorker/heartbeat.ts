import { closeSync, openSync, rmSync, statSync, utimesSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/**
 * Liveness by heartbeat: a process (or thread) proves it is alive by touching a file every
 * `intervalMs` from a thread of its own, so a worker that is busy (a long synchronous evaluation,
 * a blocking wait) keeps beating, and one that died (killed, crashed, exited) stops. Others judge
 * it by the file's age: dead once older than the lease. A slow worker is never taken for a dead one.
 * @module
 */

// The beating thread: touches the file, then sleeps on a shared flag until the interval passes or
// it is told to stop. It holds no handle that keeps the process alive.
const BEAT = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const flag = new Int32Array(workerData.stop);
for (;;) {
  const now = new Date();
  try { fs.utimesSync(workerData.file, now, now); } catch { try { fs.closeSync(fs.openSync(workerData.file, 'a')); } catch {} }
  if (Atomics.wait(flag, 0, 0, workerData.intervalMs) !== 'timed-out') break;
}`;

/** A running heartbeat. */
export interface Heartbeat {
  /** The file it touches. */
  file: string;
  /** Stops beating and removes the file (a clean exit is not a crash). */
  stop(): void;
}

/** Starts touching `file` every `intervalMs` milliseconds from a separate thread. */
export function startHeartbeat(file: string, intervalMs: number): Heartbeat {
  closeSync(openSync(file, 'a'));
  const now = new Date();
  utimesSync(file, now, now);
  const stop = new SharedArrayBuffer(4);
  const thread = new Worker(BEAT, { eval: true, workerData: { file, intervalMs, stop } });
  thread.unref();
  let running = true;
  return {
    file,
    stop: () => {
      if (!running) return;
      running = false;
      const flag = new Int32Array(stop);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      rmSync(file, { force: true });
    },
  };
}

/** How long ago `file` was last touched, in milliseconds (Infinity when it does not exist). */
export function heartbeatAge(file: string, now = Date.now()): number {
  try {
    return Math.max(0, now - statSync(file).mtimeMs);
  } catch {
    return Infinity;
  }
}
