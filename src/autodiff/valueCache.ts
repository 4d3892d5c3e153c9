import * as tf from '@tensorflow/tfjs-core';
import { sharedCopy } from './engineInternals.js';

/**
 * Values derived from a tensor's buffer that differentiation needs again and again (the transpose
 * of a layer's input, a ReLU's mask), computed once and shared. Tensors are immutable, so a value
 * keyed by its source's buffer (`dataId`) stays right for as long as that buffer lives; saved
 * copies of a tensor share its buffer, and so its entries.
 *
 * Two lifetimes:
 * - during a differentiation (from the outermost `gradients`/`vjpOf` call to its end), every entry
 *   is shared by all its levels: a Hessian-vector product transposes `W` once, not three times;
 * - at its end, the entries of buffers that outlive it and are not differentiated (a batch `X`,
 *   whose `X^T` every gradient and Hessian-vector product on that batch needs) are kept, and freed
 *   when their source buffer is freed (hooked on tfjs's `disposeTensor`), so they live exactly as
 *   long as the batch: `tf.memory().numTensors` counts them while it lives, and stays flat across
 *   batches. The rest are freed.
 *
 * Only values are cached, computed with the tape off: how they depend on differentiated inputs is
 * the business of the recorded op that uses them (its backward pass never reads the cache).
 */

type Kind = 'transpose' | 'step' | 'exp';

interface Entry {
  value: tf.Tensor;
  source: tf.Tensor;
}

interface DisposeInternals {
  state: { tensorInfo: WeakMap<object, unknown> };
  disposeTensor(t: tf.Tensor): void;
  hypergradValueCache?: true;
}

const kinds: Kind[] = ['transpose', 'step', 'exp'];
/** Entries of the differentiation now running, per kind, by source buffer. */
const pass = new Map<Kind, Map<object, Entry>>(kinds.map((k) => [k, new Map()]));
/** Entries kept past their differentiation, per kind, freed with their source buffer. */
const kept = new Map<Kind, Map<object, Entry>>(kinds.map((k) => [k, new Map()]));
let keptCount = 0;
/** Nesting depth of differentiations, and the buffers the running one differentiates at any level (never kept). */
let depth = 0;
const differentiated = new Set<object>();

function engineInternals(): DisposeInternals {
  return tf.engine() as unknown as DisposeInternals;
}

/** Frees a kept entry once its source's buffer is gone. Installed once, on first keep. */
function installDisposeHook(): void {
  const e = engineInternals();
  if (e.hypergradValueCache) return;
  const original = e.disposeTensor.bind(e);
  e.disposeTensor = (t: tf.Tensor) => {
    original(t);
    if (keptCount === 0) return;
    const id = t.dataId as object;
    if (e.state.tensorInfo.has(id)) return;
    for (const byBuffer of kept.values()) {
      const entry = byBuffer.get(id);
      if (entry === undefined) continue;
      byBuffer.delete(id);
      keptCount--;
      entry.value.dispose();
    }
  };
  e.hypergradValueCache = true;
}

function alive(t: tf.Tensor): boolean {
  return engineInternals().state.tensorInfo.has(t.dataId as object);
}

/**
 * `compute(source)` (with the tape off), shared with every other request for `kind` of the same
 * buffer while it is valid (see the module's comment). Outside any differentiation it just
 * computes (the value then belongs to the caller's tidy). Call it inside a tidy; use the result,
 * never dispose or return it.
 */
export function cachedValue(kind: Kind, source: tf.Tensor, compute: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
  const id = source.dataId as object;
  const hit = kept.get(kind)?.get(id) ?? pass.get(kind)?.get(id);
  if (hit !== undefined && !hit.value.isDisposed) return hit.value;
  // No differentiation to scope it: the caller's own tidy frees it.
  if (depth === 0) return compute(source);
  const value = tf.keep(compute(source));
  pass.get(kind)?.set(id, { value, source });
  return value;
}

/**
 * Offers `value`, already computed as `kind` of `source` (a recorded op's value: `exp(log p)` in a
 * backward pass), to later {@link cachedValue} requests of the differentiation now running, so a
 * tangent rule needing the same value runs no kernel. Kept as a copy sharing `value`'s buffer
 * (no memory), freed at the end of the differentiation; ignored outside one, or when an entry is
 * there already.
 */
export function offerValue(kind: Kind, source: tf.Tensor, value: tf.Tensor): void {
  if (depth === 0) return;
  const id = source.dataId as object;
  const entries = pass.get(kind) as Map<object, Entry>;
  const hit = entries.get(id);
  if (hit !== undefined && !hit.value.isDisposed) return;
  entries.set(id, { value: tf.keep(sharedCopy(value)), source });
}

/**
 * Marks buffers whose entries are not to outlive the differentiation now running: its
 * cotangent seeds (a Hessian-vector product's direction changes with every call).
 */
export function notKept(xs: readonly tf.Tensor[]): void {
  if (depth > 0) for (const x of xs) differentiated.add(x.dataId as object);
}

/** True when `kind` of `source`'s buffer is cached now. */
export function isCached(kind: Kind, source: tf.Tensor): boolean {
  const id = source.dataId as object;
  const hit = kept.get(kind)?.get(id) ?? pass.get(kind)?.get(id);
  return hit !== undefined && !hit.value.isDisposed;
}

/**
 * Runs `fn`, a differentiation of `xs`, as one scope of the cache: at the end of the outermost
 * one, entries of buffers that are still alive and not differentiated are kept with their buffer;
 * the rest are freed.
 */
export function cacheScope<T>(xs: readonly tf.Tensor[], fn: () => T): T {
  for (const x of xs) differentiated.add(x.dataId as object);
  depth++;
  try {
    return fn();
  } finally {
    depth--;
    if (depth === 0) endPass();
  }
}

function endPass(): void {
  for (const kind of kinds) {
    const entries = pass.get(kind) as Map<object, Entry>;
    const keep = kept.get(kind) as Map<object, Entry>;
    for (const [id, entry] of entries) {
      if (!entry.value.isDisposed && kind === 'transpose' && !differentiated.has(id) && alive(entry.source) && !keep.has(id)) {
        installDisposeHook();
        keep.set(id, entry);
        keptCount++;
      } else if (keep.get(id) !== entry) {
        entry.value.dispose();
      }
    }
    entries.clear();
  }
  differentiated.clear();
}

/** How many values are kept past their differentiation now (for tests). */
export function keptValues(): number {
  return keptCount;
}
