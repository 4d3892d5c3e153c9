import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { grad, hvp, mixedHvp, softmaxCrossEntropy } from '../../src/index.js';
import { readAll, webgpuUnavailable } from '../helpers/backends.js';
import { relativeDistance } from './derivativesOn.js';

const why = await webgpuUnavailable();
const X = [0.3, -0.7, 1.2, -1.9];
const V = [1, 0.5, -1, 2];

/** Analytic second derivatives of elementwise g, in float64. */
const analytic: [string, (x: tf.Tensor) => tf.Tensor, (x: number) => number][] = [
  ['tanh', tf.tanh, (x) => -2 * Math.tanh(x) * (1 - Math.tanh(x) ** 2)],
  ['sigmoid', tf.sigmoid, (x) => {
    const s = 1 / (1 + Math.exp(-x));
    return s * (1 - s) * (1 - 2 * s);
  }],
  ['exp', tf.exp, Math.exp],
];

/** A 2-layer tanh MLP's cross-entropy: params {w1, w2}, fixed inputs, as a function of the params. */
function mlpCase() {
  const r = (n: number, k: number) => Array.from({ length: n }, (_v, i) => Math.sin(1.7 * i + k) * 0.5);
  const x = tf.tensor2d(r(6 * 5, 1), [6, 5]);
  const y = tf.oneHot(tf.tensor1d([0, 2, 1, 2, 0, 1], 'int32'), 3);
  const params = { w1: tf.tensor2d(r(5 * 4, 2), [5, 4]), w2: tf.tensor2d(r(4 * 3, 3), [4, 3]) };
  const v = { w1: tf.tensor2d(r(5 * 4, 4), [5, 4]), w2: tf.tensor2d(r(4 * 3, 5), [4, 3]) };
  const loss = (p: { w1: tf.Tensor; w2: tf.Tensor }) => softmaxCrossEntropy(y, tf.matMul(tf.tanh(tf.matMul(x, p.w1)), p.w2));
  return { params, v, loss };
}

/** The MLP's gradient, HVP and the mixed term d/dw2 <grad_w1 L, v1>, on `backend`. */
async function mlpDerivatives(backend: string): Promise<Float64Array[]> {
  await tf.setBackend(backend);
  const out = tf.tidy(() => {
    const { params, v, loss } = mlpCase();
    const g = grad(loss)(params);
    const h = hvp(loss, params, v);
    const m = mixedHvp((w2: tf.Tensor, w1: tf.Tensor) => loss({ w1, w2 }), params.w2, params.w1, v.w1) as tf.Tensor;
    return [g.w1, g.w2, h.w1, h.w2, m];
  });
  const host = await readAll(out);
  tf.dispose(out);
  return host;
}

describe.skipIf(why !== null)('Hessian-vector products on webgpu', () => {
  for (const [name, op, d2] of analytic) {
    it(`${name}: hvp matches the analytic second derivative`, async () => {
      await tf.setBackend('webgpu');
      const h = tf.tidy(() => hvp((x: tf.Tensor) => tf.sum(op(x)), tf.tensor(X), tf.tensor(V)));
      const [got] = await readAll([h]);
      h.dispose();
      expect(got).toBeAllClose(X.map((x, i) => d2(x) * (V[i] as number)), { rtol: 1e-3, atol: 1e-5 });
    });
  }

  it('an MLP: gradient, hvp and mixedHvp within 1e-4 of wasm', async () => {
    const ref = await mlpDerivatives('wasm');
    const got = await mlpDerivatives('webgpu');
    expect(relativeDistance(got, ref)).toBeLessThan(1e-4);
  });

  it('no tensor leaks across repeated HVPs', async () => {
    await tf.setBackend('webgpu');
    await mlpDerivatives('webgpu');
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) await mlpDerivatives('webgpu');
    expect(tf.memory().numTensors).toBe(before);
  });
});
