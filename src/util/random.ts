import * as tf from '@tensorflow/tfjs-core';

/** A generator of uniform floats in [0, 1) whose 32-bit `state` can be read and set (for checkpoints). */
export interface SeededRandom {
  /** The next uniform float in [0, 1). */
  (): number;
  /** The generator's state: setting it makes the following draws those that followed it. */
  state: number;
}

/**
 * A seeded pseudo-random generator (mulberry32): returns a function giving uniform floats in [0, 1).
 * Deterministic for a seed, for reproducible tests and experiments; its `state` can be saved and
 * restored (a resumed run draws what an uninterrupted one would have).
 */
export function seededRandom(seed: number): SeededRandom {
  if (!Number.isFinite(seed)) throw new Error(`seededRandom: seed must be a finite number, got ${seed}`);
  const g = (() => {
    const [u, next] = mulberry32(g.state);
    g.state = next;
    return u;
  }) as SeededRandom;
  g.state = Math.floor(seed) >>> 0;
  return g;
}

/**
 * One step of mulberry32 on an explicit 32-bit state: `[uniform in [0, 1), next state]`. For
 * generators whose state must be stored (e.g. in a file shared by processes).
 */
export function mulberry32(state: number): [number, number] {
  const next = (state + 0x6d2b79f5) >>> 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return [((t ^ (t >>> 14)) >>> 0) / 4294967296, next];
}

/** Standard normal samples from a uniform generator (Box-Muller). */
export function normalSamples(rand: () => number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** A float32 tensor of standard normal samples drawn from `rand` (reproducible under a seed). */
export function normalTensor(shape: number[], rand: () => number): tf.Tensor {
  return tf.tensor(normalSamples(rand, shape.reduce((p, q) => p * q, 1)), shape, 'float32');
}

/** Shuffles `items` in place (Fisher-Yates) with the generator `rand`; returns it. */
export function shuffleInPlace<T>(items: T[], rand: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
