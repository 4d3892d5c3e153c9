import * as tf from '@tensorflow/tfjs-core';

/**
 * What the engine has computed but not yet read: each update's loss and finiteness counts (and
 * its metrics) stay on the device, with what to do once they are known. {@link UnreadLosses.read}
 * reads all of them with one asynchronous read (`await data()`), then settles them in order: an
 * update whose numbers are not finite throws (its error names the problem and the update), the
 * others report (events are emitted then: late, in order). The engine reads at every top-level
 * update (before committing it), every {@link UNREAD_LIMIT} kept entries, and at validation,
 * checkpoints, early stopping and the end of a run, so the inner steps never wait on the device.
 */
export interface UnreadEntry {
  /** Numbers on the device (kept; freed once read), or none (an event that only has to keep its place in order). */
  values: tf.Tensor | null;
  /** Metrics on the device (kept scalars; freed once read) or already numbers. */
  metrics?: Record<string, number | tf.Tensor>;
  /** Called in order with the values read and the metrics as numbers; throws to fail the run. */
  settle: (values: readonly number[], metrics: Record<string, number>) => void;
}

/** Entries kept before a read is forced (a bound on the device memory they hold). */
export const UNREAD_LIMIT = 256;

/** The queue of {@link UnreadEntry}s of one engine. */
export class UnreadLosses {
  private entries: UnreadEntry[] = [];

  /** Entries waiting. */
  get size(): number {
    return this.entries.length;
  }

  /** Whether a read is due before another entry is kept. */
  get full(): boolean {
    return this.entries.length >= UNREAD_LIMIT - 1;
  }

  /** Keeps `entry` (its tensors are the queue's to free from now on). */
  push(entry: UnreadEntry): void {
    this.entries.push(entry);
  }

  /**
   * Reads every waiting entry with one `await data()` and settles them in order. When an entry
   * throws, the rest are dropped (their tensors freed) and the error propagates.
   */
  async read(): Promise<void> {
    const entries = this.entries;
    this.entries = [];
    const parts: tf.Tensor[] = [];
    const layout: { values: [number, number] | null; metrics: [string, number][] }[] = [];
    let at = 0;
    for (const e of entries) {
      const values: [number, number] | null = e.values === null ? null : [at, e.values.size];
      if (e.values !== null) {
        parts.push(e.values);
        at += e.values.size;
      }
      const metrics: [string, number][] = [];
      for (const [k, v] of Object.entries(e.metrics ?? {})) {
        if (typeof v === 'number') continue;
        parts.push(v);
        metrics.push([k, at]);
        at += v.size;
      }
      layout.push({ values, metrics });
    }
    let flat: Float32Array | Int32Array | Uint8Array = new Float32Array(0);
    try {
      if (parts.length > 0) {
        const all = tf.tidy(() => tf.concat(parts.map(asFloatVector)));
        try {
          flat = (await all.data()) as Float32Array;
        } finally {
          all.dispose();
        }
      }
    } finally {
      for (const e of entries) disposeEntry(e);
    }
    for (const [i, e] of entries.entries()) {
      const { values, metrics } = layout[i] as (typeof layout)[number];
      const read: Record<string, number> = {};
      for (const [k, v] of Object.entries(e.metrics ?? {})) if (typeof v === 'number') read[k] = v;
      for (const [k, j] of metrics) read[k] = flat[j] as number;
      e.settle(values === null ? [] : Array.from(flat.subarray(values[0], values[0] + values[1])), read);
    }
  }

  /** Frees every waiting entry's tensors without reading them. */
  dispose(): void {
    for (const e of this.entries) disposeEntry(e);
    this.entries = [];
  }
}

/** `t` as a float32 vector (no kernel when it is one already). */
function asFloatVector(t: tf.Tensor): tf.Tensor {
  const f = t.dtype === 'float32' ? t : tf.cast(t, 'float32');
  return f.rank === 1 ? f : tf.reshape(f, [f.size]);
}

function disposeEntry(e: UnreadEntry): void {
  e.values?.dispose();
  for (const v of Object.values(e.metrics ?? {})) if (typeof v !== 'number') v.dispose();
}
