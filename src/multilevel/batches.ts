import * as tf from '@tensorflow/tfjs-core';

/** Where a problem's batches come from: an iterable or async iterable (cycled), or a function. */
export type DataSource<B> = Iterable<B> | AsyncIterable<B> | (() => B | Promise<B>);

/** The tensors inside a batch (a tensor, or arrays and records of them; other values ignored). */
function tensorsIn(batch: unknown): tf.Tensor[] {
  if (batch instanceof tf.Tensor) return [batch];
  if (Array.isArray(batch)) return batch.flatMap(tensorsIn);
  if (batch !== null && typeof batch === 'object') return Object.values(batch).flatMap(tensorsIn);
  return [];
}

/** Whether a batch holds an empty tensor anywhere (no allocation: runs at every draw). */
function holdsEmptyTensor(batch: unknown): boolean {
  if (batch instanceof tf.Tensor) return batch.size === 0;
  if (Array.isArray(batch)) return batch.some(holdsEmptyTensor);
  if (batch === null || typeof batch !== 'object') return false;
  for (const k in batch) if (Object.prototype.hasOwnProperty.call(batch, k) && holdsEmptyTensor((batch as Record<string, unknown>)[k])) return true;
  return false;
}

/** The first empty tensor in a batch, with its path (`x`, `[1]`, `inputs.mask`), or null. */
function emptyTensorIn(batch: unknown, path = ''): { path: string; shape: number[] } | null {
  if (path === '' && !holdsEmptyTensor(batch)) return null;
  if (batch instanceof tf.Tensor) return batch.size === 0 ? { path: path === '' ? 'the batch' : path, shape: batch.shape } : null;
  const entries: [string, unknown][] = Array.isArray(batch) ? batch.map((v, i) => [`${path}[${i}]`, v])
    : batch !== null && typeof batch === 'object' ? Object.entries(batch).map(([k, v]) => [path === '' ? k : `${path}.${k}`, v]) : [];
  for (const [p, v] of entries) {
    const found = emptyTensorIn(v, p);
    if (found !== null) return found;
  }
  return null;
}

/**
 * A problem's batches: draws from its {@link DataSource}, cycling iterables, and keeps the micro-
 * batches drawn for the update in progress. Batches made by a function source belong to the
 * stream: their tensors are freed once no longer live (not the current batch, not pending, not in
 * the inner-loop record). An iterable's batches are the caller's and are never freed. A batch
 * holding an empty tensor is refused (a mean over no examples is not a loss: on wasm it gives
 * garbage rather than NaN).
 */
export class BatchStream<B> {
  /** Micro-batches drawn since the last update (in draw order). */
  pending: B[] = [];
  private readonly owned = new Set<B>();
  private iterator: Iterator<B> | AsyncIterator<B> | null = null;
  private last: B | undefined;
  private count = 0;
  /** Called after each draw (an engine logs the order in which its problems draw, for checkpoints). */
  onDraw: (() => void) | null = null;

  /** @param owner - the problem's name, for errors. */
  constructor(private readonly owner: string, private readonly data: DataSource<B>) {}

  /** The batch of the last training step (what implicit hypergradients evaluate on). */
  get current(): B | undefined {
    return this.last;
  }

  /** Uses `batch` as the current batch without drawing (e.g. for a hypergradient on given data). */
  set(batch: B): void {
    this.refuseEmpty(batch, 'the batch given to setBatch');
    this.last = batch;
  }

  /** Draws the next batch (restarting an iterable that ended) and makes it current. */
  async next(): Promise<B> {
    const data = this.data;
    let batch: B;
    if (typeof data === 'function') {
      batch = await (data as () => B | Promise<B>)();
      this.owned.add(batch);
    } else {
      for (let attempt = 0; ; attempt++) {
        if (this.iterator === null) {
          const asyncIt = (data as AsyncIterable<B>)[Symbol.asyncIterator];
          this.iterator = asyncIt ? asyncIt.call(data) : (data as Iterable<B>)[Symbol.iterator]();
        }
        const r = this.iterator.next();
        const v = r instanceof Promise ? await r : r;
        if (!v.done) {
          batch = v.value;
          break;
        }
        this.iterator = null;
        if (attempt > 0) throw new Error(`problem '${this.owner}': data yielded no batch`);
      }
    }
    this.refuseEmpty(batch, `batch ${this.count} (0-based)`);
    this.count++;
    this.last = batch;
    this.onDraw?.();
    return batch;
  }

  private refuseEmpty(batch: B, which: string): void {
    const empty = emptyTensorIn(batch);
    if (empty === null) return;
    throw new Error(`problem '${this.owner}': ${which} is empty: ${empty.path} has shape [${empty.shape.join(', ')}]; every batch needs at least one example`);
  }

  /**
   * Draws until `drawn` batches have been drawn in all (a resumed stream: a seeded batch function
   * or an iterable continues where the checkpointed one was), freeing the owned batches but the
   * last, which is current.
   */
  async replay(drawn: number): Promise<void> {
    if (drawn < this.count) throw new Error(`problem '${this.owner}': cannot replay its data to batch ${drawn}, ${this.count} already drawn`);
    while (this.count < drawn) await this.next();
    this.release([]);
  }

  /** Batches drawn so far (the stream's position, for checkpoints). */
  get drawn(): number {
    return this.count;
  }

  /** Frees the owned batches that are neither current, pending nor in `recorded`. */
  release(recorded: Iterable<B>): void {
    if (this.owned.size === 0) return;
    const live = new Set<B>(this.pending);
    for (const b of recorded) live.add(b);
    if (this.last !== undefined) live.add(this.last);
    for (const b of this.owned) {
      if (live.has(b)) continue;
      this.owned.delete(b);
      tf.dispose(tensorsIn(b));
    }
  }

  /** Frees every owned batch. */
  dispose(): void {
    for (const b of this.owned) tf.dispose(tensorsIn(b));
    this.owned.clear();
    this.pending = [];
  }
}
