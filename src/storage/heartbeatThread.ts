/**
 * The heartbeat thread's entry (see {@link startHeartbeats}): renews the lease of the trial the
 * main thread names, every `intervalMs`, on its own connection, so a synchronous objective that
 * blocks the main thread for minutes (training a network) does not lose its lease.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { backendFor } from './openStorage.js';

const { url, intervalMs } = workerData as { url: string; intervalMs: number };
const backend = backendFor(url, { poolSize: 1, retryForMs: 10 * intervalMs });
let current: number | null = null;
const beat = async () => {
  const trial = current;
  if (trial === null) return;
  const alive = await backend.beat(trial).catch(() => true); // a failed beat is retried at the next interval
  if (!alive) parentPort?.postMessage({ lost: trial });
};
const timer = setInterval(() => void beat(), intervalMs);
parentPort?.on('message', (m: { trial?: number | null; close?: boolean }) => {
  if (m.close === true) {
    clearInterval(timer);
    void backend.close().finally(() => parentPort?.close());
    return;
  }
  current = m.trial ?? null;
});
