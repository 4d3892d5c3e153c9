import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { gradients, vjpOf } from '../src/autodiff/tape.js';
import { keptValues } from '../src/autodiff/valueCache.js';
import { checkDerivatives, hvp, logSoftmax, softmaxCrossEntropy, valueAndGrad } from '../src/index.js';
import { TEST_BACKENDS, useBackend } from './helpers/backends.js';

/**
 * Kernel counts of the second-order pass through the workload, a 784-256-10 ReLU MLP on a
 * batch of 128 with softmax cross-entropy, all parameters differentiated. Counts, not times: a
 * regression that adds kernels (or transposes the batch again) fails here.
 *
 * Before issue 19: gradient 49 kernels, Hessian-vector product 132 (11 Transposes, 13 matMuls).
 */
const MAX_GRADIENT_KERNELS = 31;
const MAX_HVP_KERNELS = 59;

type Mlp = { w1: tf.Tensor; b1: tf.Tensor; w2: tf.Tensor; b2: tf.Tensor };
const [N, D, H, K] = [128, 784, 256, 10];

/** Deterministic values in about [-s, s] (the same on every backend). */
function values(n: number, seed: number, s: number): Float32Array {
  return Float32Array.from({ length: n }, (_v, i) => s * Math.sin(0.7 * i + seed) * Math.cos(0.013 * i * seed + 1));
}

function mlp(seed: number): Mlp {
  return {
    w1: tf.tensor(values(D * H, seed, 0.05), [D, H]), b1: tf.tensor(values(H, seed + 1, 0.1), [H]),
    w2: tf.tensor(values(H * K, seed + 2, 0.1), [H, K]), b2: tf.tensor(values(K, seed + 3, 0.1), [K]),
  };
}

const forward = (p: Mlp, x: tf.Tensor) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, p.w1), p.b1)), p.w2), p.b2);

/** Pearlmutter's R-operator for this MLP, in float64 on the host: `H v` written out by hand. */
function rOperator(p: Record<keyof Mlp, Float32Array>, v: Record<keyof Mlp, Float32Array>, x: Float32Array, y: Float32Array): Record<keyof Mlp, Float64Array> {
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

function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += ((a[i] as number) - (b[i] as number)) ** 2;
    den += (b[i] as number) ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

const keys: (keyof Mlp)[] = ['w1', 'b1', 'w2', 'b2'];

describe.each(TEST_BACKENDS)('kernels per pass through a 784-256-10 ReLU MLP (batch 128) on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  it(`gradient at most ${MAX_GRADIENT_KERNELS} kernels and the Hessian-vector product at most ${MAX_HVP_KERNELS}, neither transposing the batch once warm`, async () => {
    const p = mlp(1);
    const v = mlp(5);
    const x = tf.tensor(values(N * D, 3, 1), [N, D]);
    const y = tf.oneHot(tf.tensor1d(Array.from({ length: N }, (_v, i) => (i * 7) % K), 'int32'), K);
    const loss = (q: Mlp) => softmaxCrossEntropy(y, forward(q, x));
    const grad = () => {
      const r = valueAndGrad(loss)(p);
      tf.dispose([r.value, r.grads]);
    };
    const hv = () => tf.dispose(hvp(loss, p, v));
    grad();
    hv();
    // tf.profile returns the engine's one profile object, which the next profile overwrites.
    const gradKernels = [...(await tf.profile(grad)).kernels];
    const hvpKernels = [...(await tf.profile(hv)).kernels];
    const batchTransposes = (kernels: typeof gradKernels) =>
      kernels.filter((k) => k.name === 'Transpose' && tf.util.arraysEqual(k.inputShapes[0] ?? [], [N, D]));
    expect(gradKernels.length).toBeLessThanOrEqual(MAX_GRADIENT_KERNELS);
    expect(hvpKernels.length).toBeLessThanOrEqual(MAX_HVP_KERNELS);
    expect(batchTransposes(gradKernels)).toEqual([]);
    expect(batchTransposes(hvpKernels)).toEqual([]);
    // Three large matMuls, as in a hand-written R-operator: X W1, X V1 and X^T R{dz1}; the inner
    // gradient's X^T dz1 is never computed.
    expect(hvpKernels.filter((k) => k.name === 'BatchMatMul' && k.inputShapes.some((s) => s?.includes(D))).length).toBe(3);
    // The cached X^T lives as long as the batch, and no longer.
    expect(keptValues()).toBe(1);
    const before = tf.memory().numTensors;
    x.dispose();
    expect(keptValues()).toBe(0);
    expect(tf.memory().numTensors).toBe(before - 2);
    tf.dispose([p, v, y]);
  });

  it("the Hessian-vector product equals Pearlmutter's R-operator (float64) and the previous reverse-over-reverse result", () => {
    const p = mlp(2);
    const v = mlp(6);
    const xv = values(N * D, 4, 1);
    const labels = Array.from({ length: N }, (_v, i) => (i * 3) % K);
    const x = tf.tensor(xv, [N, D]);
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), K);
    const ours = hvp((q: Mlp) => softmaxCrossEntropy(y, forward(q, x)), p, v);
    // Before issue 19: the kernel-by-kernel log-softmax chain, the inner gradient computed in full.
    const leaves = keys.map((k) => p[k]);
    const chain = (l: tf.Tensor[]) => {
      const q = Object.fromEntries(keys.map((k, i) => [k, l[i]])) as Mlp;
      return tf.neg(tf.mean(tf.sum(tf.mul(tf.cast(y, 'float32'), logSoftmax(forward(q, x))), -1)));
    };
    const { values: inner, grads: previous } = vjpOf(() => gradients(() => chain(leaves), leaves).grads, leaves, keys.map((k) => v[k]));
    const read = (t: Record<keyof Mlp, tf.Tensor>) => Object.fromEntries(keys.map((k) => [k, t[k].dataSync() as Float32Array])) as Record<keyof Mlp, Float32Array>;
    const exact = rOperator(read(p), read(v), xv, y.dataSync() as unknown as Float32Array);
    keys.forEach((k, i) => {
      const o = ours[k].dataSync();
      expect(relError(o, exact[k]), `${k} against the R-operator`).toBeLessThan(1e-4);
      expect(relError(o, (previous[i] as tf.Tensor).dataSync()), `${k} against reverse-over-reverse`).toBeLessThan(1e-4);
    });
    tf.dispose([p, v, x, y, ours, inner, previous]);
  });

  it('the pruned inner gradient falls back to computing its products where they are consumed, and stays exact', () => {
    tf.tidy(() => {
      // A batched matMul broadcast over a leading axis (the weight's gradient is a sum of
      // products) and a weight used twice (its gradient a sum of two products).
      const x = tf.tensor(values(2 * 5 * 3, 7, 1), [2, 5, 3]);
      const w = tf.tensor(values(3 * 4, 8, 0.5), [3, 4]);
      const f1 = (q: tf.Tensor) => tf.sum(tf.tanh(tf.matMul(x, q)));
      const u = tf.tensor(values(5 * 3, 9, 1), [5, 3]);
      const f2 = (q: tf.Tensor) => tf.sum(tf.sigmoid(tf.matMul(tf.tanh(tf.matMul(u, q)), tf.transpose(q))));
      for (const f of [f1, f2]) {
        expect(checkDerivatives(f, w).hvpError).toBeLessThan(1e-3);
        const vv = tf.tensor(values(12, 10, 1), [3, 4]);
        const reference = vjpOf(() => gradients(() => f(w), [w]).grads, [w], [vv]).grads[0] as tf.Tensor;
        expect(hvp(f, w, vv)).toBeAllClose(reference, { rtol: 1e-5, atol: 1e-6 });
      }
    });
  });

  it('numTensors stays flat across 2000 steps on fresh batches (the cached transposes die with their batch)', () => {
    const p = { w1: tf.tensor(values(6 * 5, 1, 0.5), [6, 5]), b1: tf.zeros([5]), w2: tf.tensor(values(5 * 3, 2, 0.5), [5, 3]), b2: tf.zeros([3]) };
    const v = { w1: tf.ones([6, 5]), b1: tf.ones([5]), w2: tf.ones([5, 3]), b2: tf.ones([3]) };
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3);
    const step = (i: number) => {
      const x = tf.tensor(values(4 * 6, i, 1), [4, 6]);
      const loss = (q: Mlp) => softmaxCrossEntropy(y, forward(q, x));
      const r = valueAndGrad(loss)(p);
      tf.dispose([r.value, r.grads, hvp(loss, p, v)]);
      expect(keptValues()).toBeLessThanOrEqual(1);
      x.dispose();
    };
    step(0);
    const before = tf.memory().numTensors;
    for (let i = 1; i <= 2000; i++) step(i);
    expect(tf.memory().numTensors).toBe(before);
    expect(keptValues()).toBe(0);
    tf.dispose([p, v, y]);
  });
});
