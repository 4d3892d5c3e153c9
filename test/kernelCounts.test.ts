import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { gradients, vjpOf } from '../src/autodiff/tape.js';
import { keptValues } from '../src/autodiff/valueCache.js';
import { nativeMatMulInfo } from '../src/backend/nativeMatMul.js';
import { checkDerivatives, hvp, logSoftmax, softmaxCrossEntropy, valueAndGrad } from '../src/index.js';
import { TEST_BACKENDS, useBackend } from './helpers/backends.js';
import { D, K, type Mlp, N, forward, keys, mlp, rOperator, relError, values } from './helpers/mlp.js';

/**
 * Kernel counts of the second-order pass through the workload, a 784-256-10 ReLU MLP on a
 * batch of 128 with softmax cross-entropy, all parameters differentiated. Counts, not times: a
 * regression that adds kernels (or transposes the batch again) fails here.
 *
 * Before issue 19: gradient 49 kernels, Hessian-vector product 132 (11 Transposes, 13 matMuls).
 */
const MAX_GRADIENT_KERNELS = 31;
const MAX_HVP_KERNELS = 56;

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
    const hv = () => tf.dispose(hvp(loss, p, v, { mode: 'reverse' }));
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
    // The cached X^T lives as long as the batch, and no longer; with native matMul on wasm, the
    // products take transpose flags and nothing is transposed or kept.
    const flagged = backend === 'wasm' && nativeMatMulInfo().on;
    expect(keptValues()).toBe(flagged ? 0 : 1);
    if (flagged) expect(hvpKernels.filter((k) => k.name === 'Transpose')).toEqual([]);
    const before = tf.memory().numTensors;
    x.dispose();
    expect(keptValues()).toBe(0);
    expect(tf.memory().numTensors).toBe(before - (flagged ? 1 : 2));
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
