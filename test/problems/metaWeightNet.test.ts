import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRecord } from '../../problems/harness.js';
import { INNER_LR, longTailedMnist, metaWeightNet, metaWeightNetHypergradient, metaWeights } from '../../problems/metaWeightNet.js';
import { grad, sparseSoftmaxCrossEntropy } from '../../src/index.js';
import { useBackend } from '../helpers/backends.js';

beforeAll(async () => useBackend('wasm'));

type T = Record<string, tf.Tensor>;

describe('Meta-Weight-Net on long-tailed MNIST', () => {
  it('builds the long tail: class c keeps round(nMax * imbalance^(-c/9)) digits; the meta set is balanced', () => {
    const d = longTailedMnist(100, 200, 3);
    const count = (y: tf.Tensor) => Array.from(tf.tidy(() => tf.sum(tf.oneHot(y as tf.Tensor1D, 10), 0).dataSync()));
    expect(d.counts).toEqual([200, 120, 72, 43, 26, 15, 9, 6, 3, 2]);
    expect(count(d.train.y)).toEqual(d.counts);
    expect(count(d.meta.y)).toEqual(Array(10).fill(10));
    d.dispose();
    expect(() => longTailedMnist(0.5, 200, 0)).toThrow(/imbalance must be a number >= 1, got 0.5/);
  });

  it('the learned weights beat uniform weights on balanced held-out accuracy; the unrolled hypergradient matches finite differences', async () => {
    const before = tf.memory().numTensors;
    const r = await metaWeightNet({ method: { method: 'unrolled' }, outerSteps: 100, innerSteps: 2 });
    expect(r.test.value).toBeGreaterThan(r.test.baseline + 0.01);
    expect(r.extras.rareAcc).toBeGreaterThan((r.extras.rareBase as number) + 0.02);
    expect(tf.memory().numTensors).toBe(before);

    // The hypergradient through two classifier steps from the final state, against central
    // differences of the same two steps written out by hand, along a random direction. The
    // weights read each step's losses as constants (stopGradient), so the differences hold those
    // inputs at their unperturbed values: the function differentiated is the detached dynamics.
    const g = await metaWeightNetHypergradient(r.state, { method: 'unrolled' }, { innerSteps: 2 });
    const d = longTailedMnist(100, 400, 0);
    const keys = Object.keys(r.state.meta).sort();
    const sizes = keys.map((k) => (r.state.meta[k]?.values.length as number));
    const dir = g.map((_x, i) => Math.sin(1 + 7 * i));
    const inputs: tf.Tensor[] = [];
    const metaLoss = (eps: number) => tf.tidy(() => {
      let offset = 0;
      const meta = Object.fromEntries(keys.map((k, j) => {
        const rec = r.state.meta[k] as { values: number[]; shape: number[] };
        const v = rec.values.map((x, i) => x + eps * (dir[offset + i] as number));
        offset += sizes[j] as number;
        return [k, tf.tensor(v, rec.shape)];
      })) as T;
      let c = loadRecord<T>(r.state.classifier) as { w: tf.Tensor; b: tf.Tensor };
      for (let s = 0; s < 2; s++) {
        const logits = (p: { w: tf.Tensor; b: tf.Tensor }) => tf.add(tf.matMul(d.train.x, p.w), p.b);
        if (eps === 0) inputs[s] = tf.keep(sparseSoftmaxCrossEntropy(d.train.y, logits(c), { reduction: 'none' }));
        const v = metaWeights(meta as never, inputs[s] as tf.Tensor);
        const gc = grad((p: { w: tf.Tensor; b: tf.Tensor }) => tf.add(
          tf.div(tf.sum(tf.mul(v, sparseSoftmaxCrossEntropy(d.train.y, logits(p), { reduction: 'none' }))), tf.add(tf.sum(v), 1e-8)),
          tf.mul(0.005, tf.sum(tf.square(p.w)))))(c);
        c = { w: tf.sub(c.w, tf.mul(INNER_LR, gc.w)), b: tf.sub(c.b, tf.mul(INNER_LR, gc.b)) };
      }
      return sparseSoftmaxCrossEntropy(d.meta.y, tf.add(tf.matMul(d.meta.x, c.w), c.b)).dataSync()[0] as number;
    });
    metaLoss(0);
    const eps = 1e-2;
    const fd = (metaLoss(eps) - metaLoss(-eps)) / (2 * eps);
    const analytic = g.reduce((s, x, i) => s + x * (dir[i] as number), 0);
    expect(Math.abs(analytic - fd)).toBeLessThan(0.005 * Math.abs(fd));
    tf.dispose(inputs);
    d.dispose();
  });
});
