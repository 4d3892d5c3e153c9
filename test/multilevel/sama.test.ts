import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type AdamState, type GradientTransformation, type HypergradientOptions, type Tree, adam, sgd, treeMap,
} from '../../src/index.js';
import { useBackend } from '../helpers/backends.js';
import { makeRidge, relErr, ridgeEngine } from './ridge.js';

beforeAll(async () => useBackend('wasm'));

const rd = makeRidge(11);
const n = rd.X.length;
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * (b[i] as number), 0);

/** grad_w F(w, lambda) of the ridge inner loss (float64): X^T (X w - y) / n + lambda w. */
const innerGrad = (w: number[]) => {
  const r = rd.X.map((row, i) => dot(row, w) - (rd.y[i] as number));
  return w.map((wj, j) => rd.X.reduce((s, row, i) => s + (row[j] as number) * (r[i] as number), 0) / n + (rd.lambda[j] as number) * wj);
};
/** The outer gradient v = dL_val/dw (float64). */
const outerGrad = (w: number[]) => {
  const r = rd.Xv.map((row, i) => dot(row, w) - (rd.yv[i] as number));
  return w.map((_w, j) => rd.Xv.reduce((s, row, i) => s + (row[j] as number) * (r[i] as number), 0) / rd.Xv.length);
};

/** The ridge program with `optimizer` on the inner problem, stepped `steps` times; returns w, its optimizer state and the SAMA hypergradient. */
async function samaAt(optimizer: GradientTransformation<Tree>, steps: number, method: HypergradientOptions = { method: 'sama' }) {
  const r = ridgeEngine(rd, method, { optimizer });
  try {
    await r.engine.stepOnly('inner', steps);
    const w = Array.from(r.inner.params.dataSync());
    const state = r.inner.optimizerState;
    const g = r.engine.hypergradient<tf.Tensor>('outer');
    const got = Array.from(g.dataSync());
    g.dispose();
    return { w, state, got, updates: r.inner.updates, dispose: r.dispose };
  } catch (e) {
    r.dispose();
    throw e;
  }
}

describe('SAMA (Choe et al. 2023) against its formula in float64', () => {
  it('Adam: -w * D * v, D the derivative of the bias-corrected Adam update in g at the current state (ridge: d2F/dlambda dw = diag(w))', async () => {
    const lr = 0.05;
    const [b1, b2, eps, epsRoot] = [0.9, 0.999, 1e-8, 1e-16];
    const s = await samaAt(adam({ lr }), 7);
    const adamState = (s.state as Tree[])[1] as AdamState;
    const m = Array.from((adamState.mu as tf.Tensor).dataSync());
    const nu = Array.from((adamState.nu as tf.Tensor).dataSync());
    const t = s.updates + 1;
    const [c1, c2] = [1 - b1 ** t, 1 - b2 ** t];
    const g = innerGrad(s.w);
    // u(g) = lr * mhat / (sqrt(vhat + epsRoot) + eps) with m' = b1 m + (1 - b1) g, v' = b2 v + (1 - b2) g^2.
    const D = g.map((gi, i) => {
      const m1 = b1 * (m[i] as number) + (1 - b1) * gi;
      const v1 = b2 * (nu[i] as number) + (1 - b2) * gi * gi;
      const root = Math.sqrt(v1 / c2 + epsRoot);
      const dRoot = ((1 - b2) * gi) / (c2 * root);
      return lr * (((1 - b1) / c1) / (root + eps) - ((m1 / c1) * dRoot) / (root + eps) ** 2);
    });
    const v = outerGrad(s.w);
    const expected = s.w.map((wj, j) => -wj * (D[j] as number) * (v[j] as number));
    expect(relErr(s.got, expected)).toBeLessThan(1e-3);
    // The adaptation matters: the SGD-style answer (D = lr) is far off.
    expect(relErr(s.got, s.w.map((wj, j) => -wj * lr * (v[j] as number)))).toBeGreaterThan(0.1);
    s.dispose();
  });

  it('SGD: D = lr, so SAMA equals finiteDifference with learningRate = lr', async () => {
    const a = await samaAt(sgd({ lr: 0.1 }), 20);
    const b = await samaAt(sgd({ lr: 0.1 }), 20, { method: 'finiteDifference', learningRate: 0.1 });
    expect(a.got).toBeAllClose(b.got, { rtol: 1e-4, atol: 1e-7 });
    const v = outerGrad(a.w);
    expect(relErr(a.got, a.w.map((wj, j) => -wj * 0.1 * (v[j] as number)))).toBeLessThan(1e-3);
    a.dispose();
    b.dispose();
  });

  it('refuses an optimizer whose update mixes coordinates (its Jacobian is not diagonal)', async () => {
    const mixing: GradientTransformation<Tree> = {
      init: () => [],
      update: (grads, state) => [treeMap((x) => tf.mul(-0.1, tf.add(x, tf.sum(x))), grads), state],
    };
    await expect(samaAt(mixing, 3)).rejects.toThrow(/problem 'inner': sama needs an optimizer whose update acts coordinate by coordinate/);
  });
});
