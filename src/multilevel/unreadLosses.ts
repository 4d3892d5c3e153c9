import * as tf from '@tensorflow/tfjs-core';

/**
 * What the engine has computed but not yet read: each update's loss and finiteness flags (and
 * its metrics) stay on the device, with what to do once they are known. {@link UnreadLosses.read}
 * reads all of them with one asynchronous read (`await data()`), then settles them in order: an
 * update whose numbers are not finite throws (its error names the problem and the update), the
 * others report (events are emitted then: late, in order). The engine reads at every top-level
 * update (before committing it), every `readEvery` kept entries, and at validation, checkpoints,
 * early stopping and the end of a run, so the inner steps never wait on the device.
 *
 * Where tensors live in host memory (cpu, wasm, tfjs-node) the engine's default queue reads each
 * entry's numbers as it is kept (`readAtPush`): a synchronous read there waits for nothing, and
 * tensors held across steps cost more than the read (on wasm, keeping and reading 3 scalars an
 * update took 7 us an update more than reading them at once; holding 256 updates' scalars slowed
 * the 32-64-4 MLP's inner step by 5-8% through garbage collection). Settling still waits for
 * {@link UnreadLosses.read}, so errors and events come at the same points either way.
 */
export interface UnreadEntry {
  /**
   * Numbers on the device, read in order and handed to `settle` flat (kept; freed once read;
   * numbers known already pass as they are), or none (an event that only has to keep its place in
   * order). Scalars cost no kernel here: all the
   * queue's scalars are stacked once, at the read.
   */
  values: readonly (tf.Tensor | number)[] | null;
  /** Metrics on the device (kept scalars; freed once read) or already numbers. */
  metrics?: Record<string, number | tf.Tensor>;
  /** Called in order with the values read and the metrics as numbers; throws to fail the run. */
  settle: (values: readonly number[], metrics: Record<string, number>) => void;
}

/** Entries kept before a read is forced (GPU backends' default): one pipeline drain per 256 updates at most. */
export const DEVICE_READ_EVERY = 256;

/** The queue of {@link UnreadEntry}s of one engine. */
export class UnreadLosses {
  private entries: UnreadEntry[] = [];

  /**
   * @param limit - entries kept before {@link UnreadLosses.full} asks for a read (at least 1).
   * @param readAtPush - read each entry's tensors when it is kept (synchronously: for backends
   *   whose tensors live in host memory), settling it later all the same.
   */
  constructor(private readonly limit: number = DEVICE_READ_EVERY, readonly readAtPush = false) {}

  /** Entries waiting. */
  get size(): number {
    return this.entries.length;
  }

  /** Whether a read is due before another entry is kept. */
  get full(): boolean {
    return this.entries.length >= this.limit - 1;
  }

  /** Keeps `entry` (its tensors are the queue's to free from now on). */
  push(entry: UnreadEntry): void {
    this.entries.push(this.readAtPush ? readAtOnce(entry) : entry);
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
    /** Values that were numbers already, at negative places (-1 - index). */
    const known: number[] = [];
    const layout: { values: [boolean, number][]; metrics: [string, [boolean, number]][] }[] = [];
    for (const e of entries) {
      const values = (e.values ?? []).flatMap((t): [boolean, number][] => {
        if (typeof t === 'number') return [[true, -known.push(t)]]; // known[k] sits at -1 - k
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
    const at = ([scalar, i]: [boolean, number]) => (i < 0 ? known[-1 - i] : flat[scalar ? i : scalars.length + i]) as number;
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

/** `entry` with its tensors read now (synchronously) and freed: numbers only, which a read passes through. */
function readAtOnce(entry: UnreadEntry): UnreadEntry {
  try {
    const values: number[] = [];
    for (const t of entry.values ?? []) {
      if (typeof t === 'number') values.push(t);
      else for (const v of t.dataSync()) values.push(Number(v));
    }
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(entry.metrics ?? {})) metrics[k] = typeof v === 'number' ? v : (v.dataSync()[0] as number);
    return { values: entry.values === null ? null : values, metrics, settle: entry.settle };
  } finally {
    disposeEntry(entry);
  }
}

/** `t` as a float32 vector (no kernel when it is one already). */
function asFloatVector(t: tf.Tensor): tf.Tensor {
  const f = t.dtype === 'float32' ? t : tf.cast(t, 'float32');
  return f.rank === 1 ? f : tf.reshape(f, [f.size]);
}

function disposeEntry(e: UnreadEntry): void {
  for (const v of e.values ?? []) if (typeof v !== 'number') v.dispose();
  for (const v of Object.values(e.metrics ?? {})) if (typeof v !== 'number') v.dispose();
}
