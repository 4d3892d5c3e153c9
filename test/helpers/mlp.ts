import * as tf from '@tensorflow/tfjs-core';

/**
 * The issue-19 workload shared by the kernel-count and forward-mode tests: a 784-256-10 ReLU MLP
 * on a batch of 128 with softmax cross-entropy, and Pearlmutter's R-operator for its
 * Hessian-vector product in float64 on the host.
 */

export type Mlp = { w1: tf.Tensor; b1: tf.Tensor; w2: tf.Tensor; b2: tf.Tensor };
export const [N, D, H, K] = [128, 784, 256, 10];

/** Deterministic values in about [-s, s] (the same on every backend). */
export function values(n: number, seed: number, s: number): Float32Array {
  return Float32Array.from({ length: n }, (_v, i) => s * Math.sin(0.7 * i + seed) * Math.cos(0.013 * i * seed + 1));
}

/** The MLP's parameters, deterministic in `seed`. */
export function mlp(seed: number): Mlp {
  return {
    w1: tf.tensor(values(D * H, seed, 0.05), [D, H]), b1: tf.tensor(values(H, seed + 1, 0.1), [H]),
    w2: tf.tensor(values(H * K, seed + 2, 0.1), [H, K]), b2: tf.tensor(values(K, seed + 3, 0.1), [K]),
  };
}

/** The MLP's logits for a batch `x`. */
export const forward = (p: Mlp, x: tf.Tensor) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, p.w1), p.b1)), p.w2), p.b2);

/** Pearlmutter's R-operator for this MLP, in float64 on the host: `H v` written out by hand. */
export function rOperator(p: Record<keyof Mlp, Float32Array>, v: Record<keyof Mlp, Float32Array>, x: Float32Array, y: Float32Array): Record<keyof Mlp, Float64Array> {
  const mm = (a: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number, m: number, ta = false, tb = false) => {
    // (n x k) times (k x m), with a stored k x n when ta and b stored m x k when tb.
    const out = new Float64Array(n * m);
    for (let i = 0; i < n; i++) {
      for (let l = 0; l < k; l++) {
        const ail = ta ? (a[l * n + i] as number) : (a[i * k + l] as number);
        if (ail === 0) continue;
        for (let j = 0; j < m; j++) out[i * m + j] += ail * (tb ? (b[j * k + l] as number) : (b[l * m + j] as number));
      }
    }
    return out;
  };
  const addRows = (a: Float64Array, b: ArrayLike<number>, m: number) => a.map((s, i) => s + (b[i % m] as number));
  const sumRows = (a: Float64Array, m: number) => {
    const out = new Float64Array(m);
    a.forEach((s, i) => (out[i % m] += s));
    return out;
  };
  const z1 = addRows(mm(x, p.w1, N, D, H), p.b1, H);
  const mask = z1.map((s) => (s > 0 ? 1 : 0));
  const h = z1.map((s) => Math.max(s, 0));
  const z2 = addRows(mm(h, p.w2, N, H, K), p.b2, K);
  const rz1 = addRows(mm(x, v.w1, N, D, H), v.b1, H);
  const rh = rz1.map((s, i) => s * (mask[i] as number));
  const plus = (a: Float64Array, b: Float64Array) => a.map((s, i) => s + (b[i] as number));
  const rz2 = plus(addRows(mm(rh, p.w2, N, H, K), v.b2, K), mm(h, v.w2, N, H, K));
  const dz2 = new Float64Array(N * K);
  const rdz2 = new Float64Array(N * K);
  for (let r = 0; r < N; r++) {
    const row = Array.from({ length: K }, (_v, k) => z2[r * K + k] as number);
    const m = Math.max(...row);
    const e = row.map((z) => Math.exp(z - m));
    const s = e.reduce((a, b) => a + b, 0);
    const prob = e.map((q) => q / s);
    const pr = prob.reduce((a, q, k) => a + q * (rz2[r * K + k] as number), 0);
    for (let k = 0; k < K; k++) {
      dz2[r * K + k] = ((prob[k] as number) - (y[r * K + k] as number)) / N;
      rdz2[r * K + k] = ((prob[k] as number) * ((rz2[r * K + k] as number) - pr)) / N;
    }
  }
  const rw2 = plus(mm(rh, dz2, H, N, K, true), mm(h, rdz2, H, N, K, true));
  const rdh = plus(mm(rdz2, p.w2, N, K, H, false, true), mm(dz2, v.w2, N, K, H, false, true));
  const rdz1 = rdh.map((s, i) => s * (mask[i] as number));
  return { w1: mm(x, rdz1, D, N, H, true), b1: sumRows(rdz1, H), w2: rw2, b2: sumRows(rdz2, K) };
}

/** `|a - b| / |b|` in the 2-norm. */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += ((a[i] as number) - (b[i] as number)) ** 2;
    den += (b[i] as number) ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

export const keys: (keyof Mlp)[] = ['w1', 'b1', 'w2', 'b2'];

