import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeBackend, initBackend } from './initBackend.js';
import { nativeMatMulInfo, setNativeMatMul } from './nativeMatMul.js';

await initBackend('wasm');
const reason = nativeMatMulInfo().on ? null : process.env.HYPERGRAD_NATIVE === '0' ? 'HYPERGRAD_NATIVE=0' : (nativeMatMulInfo().reason ?? 'off');
if (reason !== null) process.stderr.write(`[native matMul tests skipped] ${reason}\n`);

type Activation = 'linear' | 'relu' | 'relu6' | 'leakyrelu' | 'sigmoid' | 'elu';

interface Case {
  batchA: number;
  batchB: number;
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
  bias: 'none' | 'n' | 'one';
  activation: Activation;
  fused: boolean;
  seed: number;
}

const ACTIVATE: Record<Activation, (x: tf.Tensor) => tf.Tensor> = {
  linear: (x) => x,
  relu: tf.relu,
  relu6: tf.relu6,
  leakyrelu: (x) => tf.leakyRelu(x, 0.2),
  sigmoid: tf.sigmoid,
  elu: tf.elu,
};

/** The product of `c` as numbers: fused on native matMul when `native`, else tfjs's wasm kernels unfused. */
function product(c: Case, native: boolean): { values: Float32Array; shape: number[] } {
  setNativeMatMul(native);
  return tf.tidy(() => {
    const aShape = c.transposeA ? [c.k, c.m] : [c.m, c.k];
    const bShape = c.transposeB ? [c.n, c.k] : [c.k, c.n];
    const a = tf.randomNormal(c.batchA > 0 ? [c.batchA, ...aShape] : aShape, 0, 1, 'float32', c.seed);
    const b = tf.randomNormal(c.batchB > 0 ? [c.batchB, ...bShape] : bShape, 0, 1, 'float32', c.seed + 1);
    let y: tf.Tensor;
    if (c.fused && !native) {
      // The reference: unfused kernels (tfjs-wasm's own _FusedMatMul adds the bias wrongly when the
      // batch broadcasts, e.g. a [1,2,1] by b [3,1,2]).
      y = tf.matMul(a, b, c.transposeA, c.transposeB);
      if (c.bias !== 'none') y = tf.add(y, tf.randomNormal([c.bias === 'n' ? c.n : 1], 0, 1, 'float32', c.seed + 2));
      y = ACTIVATE[c.activation](y);
    } else if (c.fused) {
      const bias = c.bias === 'none' ? undefined : tf.randomNormal([c.bias === 'n' ? c.n : 1], 0, 1, 'float32', c.seed + 2);
      // tfjs's fused op works on rank 3 (a missing batch is one entry).
      const a3 = a.rank === 2 ? tf.expandDims(a, 0) : a;
      const b3 = b.rank === 2 ? tf.expandDims(b, 0) : b;
      y = tf.fused.matMul({ a: a3, b: b3, transposeA: c.transposeA, transposeB: c.transposeB, bias, activation: c.activation, leakyreluAlpha: 0.2 });
    } else {
      y = tf.matMul(a, b, c.transposeA, c.transposeB);
    }
    return { values: y.dataSync() as Float32Array, shape: y.shape };
  });
}

const cases: fc.Arbitrary<Case> = fc
  .record({
    batch: fc.constantFrom<[number, number]>([0, 0], [1, 1], [3, 3], [1, 3], [3, 1], [2, 0], [0, 2]),
    m: fc.integer({ min: 1, max: 40 }),
    k: fc.integer({ min: 1, max: 70 }),
    n: fc.integer({ min: 1, max: 40 }),
    transposeA: fc.boolean(),
    transposeB: fc.boolean(),
    bias: fc.constantFrom<Case['bias']>('none', 'n', 'one'),
    activation: fc.constantFrom<Activation>('linear', 'relu', 'relu6', 'leakyrelu', 'sigmoid', 'elu'),
    fused: fc.boolean(),
    seed: fc.integer({ min: 1, max: 1000 }), // tfjs draws an unseeded stream for seed 0
  })
  .map(({ batch, ...rest }) => ({ ...rest, batchA: batch[0], batchB: batch[1] }))
  // tfjs's fused matMul needs equal batches or one side of one entry after its rank-3 reshape.
  .filter((c) => !c.fused || c.batchA <= 1 || c.batchB <= 1 || c.batchA === c.batchB);

describe.skipIf(reason !== null)('native matMul (OpenBLAS) on the wasm backend', () => {
  beforeAll(async () => {
    await initBackend('wasm');
    setNativeMatMul(true);
  });

  it('is on after initBackend and says so', () => {
    expect(nativeMatMulInfo().on).toBe(true);
    expect(nativeMatMulInfo().config).toMatch(/OpenBLAS/);
    expect(describeBackend()).toMatch(/OpenBLAS matMul/);
  });

  it('equals tfjs-wasm matMul over shapes, transposes, batches, fused bias and activations', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const native = product(c, true);
        const wasm = product(c, false);
        setNativeMatMul(true);
        // (The fused op runs on rank 3: the reference's missing batch is one entry there.)
        expect(c.fused ? native.shape.slice(-2) : native.shape).toEqual(c.fused ? wasm.shape.slice(-2) : wasm.shape);
        expect(native.values.length).toBe(wasm.values.length);
        // Both sum k float32 products in different orders: error of order k * eps * |a||b|.
        const tol = 1e-5 * (1 + c.k);
        native.values.forEach((v, i) => expect(Math.abs(v - wasm.values[i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(wasm.values[i]!))));
      }),
      { numRuns: 60, seed: 19 },
    );
  });

  it('writes in place: no tensor or backend buffer left over, and tfjs kernels still serve the rest', () => {
    const a = tf.randomNormal([64, 50], 0, 1, 'float32', 1);
    const b = tf.randomNormal([50, 30], 0, 1, 'float32', 2);
    const tensors = tf.memory().numTensors;
    const buffers = tf.engine().backend.numDataIds();
    for (let i = 0; i < 50; i++) tf.tidy(() => tf.sum(tf.matMul(a, b)).dataSync());
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.engine().backend.numDataIds()).toBe(buffers);
    // prelu is not native: tfjs's fused kernel runs it, with the same answer as unfused ops.
    tf.tidy(() => {
      const alpha = tf.fill([30], 0.1);
      const fused = tf.fused.matMul({ a: tf.expandDims(a, 0), b: tf.expandDims(b, 0), activation: 'prelu', preluActivationWeights: alpha });
      const plain = tf.prelu(tf.matMul(a, b), alpha);
      expect(tf.max(tf.abs(tf.sub(tf.squeeze(fused, [0]), plain))).dataSync()[0]).toBeLessThan(1e-4);
    });
    tf.dispose([a, b]);
  });

  it('HYPERGRAD_NATIVE=0 and native: false turn it off; native: true requires it', async () => {
    await initBackend('wasm', { native: false });
    expect(nativeMatMulInfo().on).toBe(false);
    expect(describeBackend()).not.toMatch(/OpenBLAS/);
    process.env.HYPERGRAD_NATIVE = '0';
    await initBackend('wasm');
    expect(nativeMatMulInfo().on).toBe(false);
    delete process.env.HYPERGRAD_NATIVE; // unset when this runs: the suite skips under HYPERGRAD_NATIVE=0
    await initBackend('wasm', { native: true });
    expect(nativeMatMulInfo().on).toBe(true);
  });

  it('blasThreads (or HYPERGRAD_BLAS_THREADS) sets OpenBLAS\'s threads apart from the wasm build\'s; out of [1, 8] is an error naming it', async () => {
    await initBackend('wasm', { blasThreads: 2 });
    expect(nativeMatMulInfo().threads).toBe(2);
    expect(describeBackend()).toMatch(/OpenBLAS matMul on 2 threads/);
    const a = tf.randomNormal([300, 200], 0, 1, 'float32', 1);
    const b = tf.randomNormal([200, 100], 0, 1, 'float32', 2);
    const two = tf.matMul(a, b).dataSync();
    process.env.HYPERGRAD_BLAS_THREADS = '1';
    try {
      await initBackend('wasm');
      expect(nativeMatMulInfo().threads).toBe(1);
      expect(describeBackend()).not.toMatch(/on \d+ threads/);
      const one = tf.matMul(a, b).dataSync();
      let worst = 0;
      for (let i = 0; i < one.length; i++) worst = Math.max(worst, Math.abs((one[i] as number) - (two[i] as number)));
      expect(worst).toBeLessThan(1e-3);
      process.env.HYPERGRAD_BLAS_THREADS = 'many';
      await expect(initBackend('wasm')).rejects.toThrow(/HYPERGRAD_BLAS_THREADS/);
    } finally {
      delete process.env.HYPERGRAD_BLAS_THREADS;
    }
    await expect(initBackend('wasm', { blasThreads: 9 })).rejects.toThrow(/blasThreads.*9/);
    await initBackend('wasm');
    tf.dispose([a, b]);
  });
});
