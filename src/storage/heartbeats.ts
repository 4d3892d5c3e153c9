import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { JournalStorage } from './journalStorage.js';

/** Renews the lease of the trial a worker evaluates. */
export interface Heartbeats {
  /** The trial to keep alive from now on (null: none). */
  watch(trial: number | null): void;
  /** Whether a renewal found that `trial`'s lease had expired (it was failed and re-enqueued elsewhere). */
  lost(trial: number): boolean;
  /** Stops renewing. */
  close(): Promise<void>;
}

const THREAD = new URL('./heartbeatThread.js', import.meta.url);

/**
 * Starts renewing leases every `intervalMs`: on a worker thread with its own connection when the
 * storage was opened from `url` (file or PostgreSQL; a synchronous objective then cannot starve
 * the heartbeat), else on this thread's timers (an in-memory storage lives in this thread anyway).
 */
export function startHeartbeats(storage: JournalStorage, intervalMs: number, url?: string): Heartbeats {
  const lostTrials = new Set<number>();
  const threaded = url !== undefined && url !== 'memory:' && existsSync(fileURLToPath(THREAD));
  if (threaded) {
    const thread = new Worker(THREAD, { workerData: { url, intervalMs } });
    thread.unref();
    thread.on('message', (m: { lost: number }) => lostTrials.add(m.lost));
    thread.on('error', () => {}); // a dead heartbeat thread shows as expired leases, which the journal handles
    return {
      watch: (trial) => thread.postMessage({ trial }),
      lost: (trial) => lostTrials.has(trial),
      close: async () => {
        thread.postMessage({ close: true });
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => void thread.terminate().then(() => resolve()), 2000);
          thread.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
        });
      },
    };
  }
  let current: number | null = null;
  const timer = setInterval(() => {
    const trial = current;
    if (trial !== null) void storage.heartbeat(trial).then((alive) => alive || lostTrials.add(trial), () => {});
  }, intervalMs);
  timer.unref();
  return {
    watch: (trial) => {
      current = trial;
    },
    lost: (trial) => lostTrials.has(trial),
    close: async () => clearInterval(timer),
  };
}
