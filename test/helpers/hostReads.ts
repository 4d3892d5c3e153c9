import * as tf from '@tensorflow/tfjs-core';

/** What {@link countSyncReads} saw: the number of synchronous reads and, per call site, how many. */
export interface SyncReads {
  total: number;
  /** Asynchronous reads (`await data()`, through `engine.read`), counted apart. */
  asyncTotal: number;
  /** Asynchronous reads by site. */
  asyncBySite: [string, number][];
  /** Reads by the first stack frame outside tfjs (file:line), most frequent first. */
  bySite: [string, number][];
}

/**
 * Counts the synchronous device-to-host reads `fn` performs: every `dataSync`, `arraySync`,
 * `bufferSync` and scalar read goes through tfjs's `engine.readSync`, which this wraps for the
 * duration of `fn` (and, apart, the asynchronous reads through `engine.read`). On a GPU each one stalls the pipeline until the device is idle; in Node on
 * webgpu each one is an error.
 */
export async function countSyncReads(fn: () => Promise<unknown> | unknown): Promise<SyncReads> {
  const engine = tf.engine() as unknown as { readSync: (dataId: object) => unknown; read: (dataId: object) => unknown };
  const original = engine.readSync;
  const originalRead = engine.read;
  const sites = new Map<string, number>();
  const asyncSites = new Map<string, number>();
  let total = 0;
  let asyncTotal = 0;
  const site = () => {
    const frame = (new Error().stack ?? '').split('\n').slice(3)
      .find((l) => !l.includes('node_modules') && !l.includes('hostReads.ts') && /(?:src|problems|test|bench|examples)\//.test(l)) ?? 'unknown';
    return frame.replace(/^.*?\(?((?:src|problems|test|bench|examples)\/[^:)]+:\d+).*$/, '$1').trim();
  };
  engine.readSync = function counted(this: unknown, dataId: object) {
    total++;
    const s = site();
    sites.set(s, (sites.get(s) ?? 0) + 1);
    return original.call(this, dataId);
  };
  engine.read = function counted(this: unknown, dataId: object) {
    asyncTotal++;
    const s = site();
    asyncSites.set(s, (asyncSites.get(s) ?? 0) + 1);
    return originalRead.call(this, dataId);
  };
  try {
    await fn();
  } finally {
    engine.readSync = original;
    engine.read = originalRead;
  }
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return { total, bySite: sorted(sites), asyncTotal, asyncBySite: sorted(asyncSites) };
}
