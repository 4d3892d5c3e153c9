import * as tf from '@tensorflow/tfjs-core';

/** What {@link countSyncReads} saw: the number of synchronous reads and, per call site, how many. */
export interface SyncReads {
  total: number;
  /** Reads by the first stack frame outside tfjs (file:line), most frequent first. */
  bySite: [string, number][];
}

/**
 * Counts the synchronous device-to-host reads `fn` performs: every `dataSync`, `arraySync`,
 * `bufferSync` and scalar read goes through tfjs's `engine.readSync`, which this wraps for the
 * duration of `fn`. On a GPU each one stalls the pipeline until the device is idle; in Node on
 * webgpu each one is an error.
 */
export async function countSyncReads(fn: () => Promise<unknown> | unknown): Promise<SyncReads> {
  const engine = tf.engine() as unknown as { readSync: (dataId: object) => unknown };
  const original = engine.readSync;
  const sites = new Map<string, number>();
  let total = 0;
  engine.readSync = function counted(this: unknown, dataId: object) {
    total++;
    const frame = (new Error().stack ?? '').split('\n').slice(2).find((l) => !l.includes('node_modules') && !l.includes('hostReads.ts')) ?? 'unknown';
    const site = frame.replace(/^.*?\(?((?:src|problems|test|bench|examples)\/[^:)]+:\d+).*$/, '$1').trim();
    sites.set(site, (sites.get(site) ?? 0) + 1);
    return original.call(this, dataId);
  };
  try {
    await fn();
  } finally {
    engine.readSync = original;
  }
  return { total, bySite: [...sites.entries()].sort((a, b) => b[1] - a[1]) };
}
