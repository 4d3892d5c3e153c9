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
  /**
   * Numbers on the device, read in order and handed to `settle` flat (kept; freed once read), or
   * none (an event that only has to keep its place in order). Scalars cost no kernel here: all the
   * queue's scalars are stacked once, at the read.
   */
  values: readonly tf.Tensor[] | null;
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
    // Float32 scalars are stacked with one kernel; the other parts are concatenated after them.
    const scalars: tf.Tensor[] = [];
    const others: tf.Tensor[] = [];
    let otherSize = 0;
    /** Where a part will be: [true, index among scalars] or [false, offset among the others]. */
    const place = (t: tf.Tensor): [boolean, number] => {
      if (t.rank === 0 && t.dtype === 'float32') return [true, scalars.push(t) - 1];
      others.push(t);
      otherSize += t.size;
      return [false, otherSize - t.size];
    };
    const layout: { values: [boolean, number][]; metrics: [string, [boolean, number]][] }[] = [];
    for (const e of entries) {
      const values = (e.values ?? []).flatMap((t) => {
        const [scalar, at] = place(t);
        return Array.from({ length: t.size }, (_v, i): [boolean, number] => [scalar, at + i]);
      });
      const metrics: [string, [boolean, number]][] = [];
      for (const [k, v] of Object.entries(e.metrics ?? {})) if (typeof v !== 'number') metrics.push([k, place(v)]);
      layout.push({ values, metrics });
    }
    let flat: Float32Array | Int32Array | Uint8Array = new Float32Array(0);
    try {
      if (scalars.length + others.length > 0) {
        const all = tf.tidy(() => {
          const vectors = [...(scalars.length > 0 ? [tf.stack(scalars)] : []), ...others.map(asFloatVector)];
          return vectors.length === 1 ? (vectors[0] as tf.Tensor) : tf.concat(vectors);
        });
        try {
          flat = (await all.data()) as Float32Array;
        } finally {
          all.dispose(); // (when it is a part itself, freeing it twice below is a no-op)
        }
      }
    } finally {
      for (const e of entries) disposeEntry(e);
    }
    const at = ([scalar, i]: [boolean, number]) => flat[scalar ? i : scalars.length + i] as number;
    for (const [i, e] of entries.entries()) {
      const { values, metrics } = layout[i] as (typeof layout)[number];
      const read: Record<string, number> = {};
      for (const [k, v] of Object.entries(e.metrics ?? {})) if (typeof v === 'number') read[k] = v;
      for (const [k, where] of metrics) read[k] = at(where);
      e.settle(values.map(at), read);
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
  if (e.values !== null) tf.dispose(e.values as tf.Tensor[]);
  for (const v of Object.values(e.metrics ?? {})) if (typeof v !== 'number') v.dispose();
}
