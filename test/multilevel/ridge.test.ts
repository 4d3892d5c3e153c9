import * as tf from '@tensorflow/tfjs-core';
import * as math from 'mathjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { type HypergradientMethod, buildMethod, solveCg, mixedHvp, hvp, type Tree, treeScale } from '../../src/index.js';
import { makeRidge, relErr, ridgeEngine } from './ridge.js';

describe.each(TEST_BACKENDS)('ridge-regression bilevel against the float64 closed form, on %s', (backend) => {
  beforeAll(async () => useBackend(backend));
  const rd = makeRidge(1);
  const eig = (math.eigs(rd.A).values as number[]).map(Number);
  const lMax = Math.max(...eig);

  /** The hypergradient at the exact inner optimum. */
  const atOptimum = (method: Parameters<typeof ridgeEngine>[1]) => {
    const r = ridgeEngine(rd, method);
    r.inner.setParams(tf.tensor1d(rd.wStar));
    const g = r.engine.hypergradient<tf.Tensor>('outer');
    const out = Array.from(g.dataSync());
    g.dispose();
    r.dispose();
    return out;
  };

  it('cg with enough iterations is within 1e-3 relative error', () => {
    expect(relErr(atOptimum({ method: 'cg', iterations: 10 }), rd.exact)).toBeLessThan(1e-3);
  });

  it('fixedPoint to tolerance is within 1e-3', () => {
    expect(relErr(atOptimum({ method: 'fixedPoint', iterations: 2000, alpha: 1 / lMax, tolerance: 1e-7 }), rd.exact)).toBeLessThan(1e-3);
  });

  it('neumann: the error falls as iterations grow, to within 1e-3', () => {
    const errs = [2, 8, 32, 400].map((k) => relErr(atOptimum({ method: 'neumann', iterations: k, alpha: 1 / lMax }), rd.exact));
    for (let i = 1; i < errs.length; i++) expect(errs[i]).toBeLessThan(errs[i - 1] as number);
    expect(errs[3]).toBeLessThan(1e-3);
  });

  it('finiteDifference equals its known bias: the identity-inverse-Hessian answer -diag(w*) g_val', () => {
    expect(relErr(atOptimum({ method: 'finiteDifference' }), rd.identityHessian)).toBeLessThan(2e-3);
  });

  it('a user-supplied method with the same signature plugs in (here: CG written from the context)', () => {
    const mine: HypergradientMethod = (ctx, v) => {
      const H = (u: Tree) => hvp((w: Tree) => ctx.objective(w, ctx.theta), ctx.w, u);
      const x = solveCg(H, v, { iterations: 10 });
      return treeScale(mixedHvp((th: Tree[], w: Tree) => ctx.objective(w, th), ctx.theta, ctx.w, x), -1);
    };
    const custom = atOptimum({ method: 'custom', fn: mine });
    expect(relErr(custom, rd.exact)).toBeLessThan(1e-3);
    expect(custom).toBeAllClose(atOptimum({ method: 'custom', fn: buildMethod({ method: 'cg', iterations: 10 }) }), { rtol: 1e-5, atol: 1e-7 });
  });

  it('firstOrder drops the implicit term: zero here (lambda enters the outer loss only through w)', () => {
    expect(atOptimum({ method: 'firstOrder' })).toBeAllClose([0, 0, 0, 0, 0]);
  });

  it('unrolled: equals the derivative of the K-step map (float64 finite differences) and approaches the exact answer as K grows', async () => {
    const lr = 0.5;
    /** L_val(w_K(lambda)) in float64, K steps of gradient descent from 0 (the first `frozen` with lambda0). */
    const kStep = (lam: number[], K: number, frozen = 0) => {
      let w = lam.map(() => 0);
      const n = rd.X.length;
      for (let k = 0; k < K; k++) {
        const l = k < frozen ? rd.lambda : lam;
        const res = rd.X.map((row, i) => row.reduce((s, x, j) => s + x * (w[j] as number), 0) - (rd.y[i] as number));
        const g = w.map((wj, j) => rd.X.reduce((s, row, i) => s + (row[j] as number) * (res[i] as number), 0) / n + (l[j] as number) * wj);
        w = w.map((wj, j) => wj - lr * (g[j] as number));
      }
      const rv = rd.Xv.map((row, i) => row.reduce((s, x, j) => s + x * (w[j] as number), 0) - (rd.yv[i] as number));
      return rv.reduce((s, e) => s + e * e, 0) / (2 * rd.Xv.length);
    };
    /** Central differences (float64) of `f` at lambda. */
    const fdOf = (f: (lam: number[]) => number) => {
      const h = 1e-6;
      return rd.lambda.map((_l, j) => {
        const up = rd.lambda.map((l, i) => (i === j ? l + h : l));
        const dn = rd.lambda.map((l, i) => (i === j ? l - h : l));
        return (f(up) - f(dn)) / (2 * h);
      });
    };
    const errsToExact: number[] = [];
    for (const K of [5, 20, 80]) {
      const r = ridgeEngine(rd, { method: 'unrolled' }, { iterative: true, innerLr: lr });
      await r.engine.stepOnly('inner', K);
      const g = r.engine.hypergradient<tf.Tensor>('outer');
      const got = Array.from(g.dataSync());
      g.dispose();
      r.dispose();
      expect(relErr(got, fdOf((lam) => kStep(lam, K)))).toBeLessThan(2e-3);
      errsToExact.push(relErr(got, rd.exact));
    }
    expect(errsToExact[1]).toBeLessThan(errsToExact[0] as number);
    expect(errsToExact[2]).toBeLessThan(errsToExact[1] as number);
    expect(errsToExact[2]).toBeLessThan(1e-2);

    // Truncation to the last T steps: the derivative of the map whose first K - T steps are constants.
    const K = 10;
    const T = 2;
    const r = ridgeEngine(rd, { method: 'unrolled', truncate: T }, { iterative: true, innerLr: lr });
    await r.engine.stepOnly('inner', K);
    const g = r.engine.hypergradient<tf.Tensor>('outer');
    const got = Array.from(g.dataSync());
    g.dispose();
    r.dispose();
    expect(relErr(got, fdOf((lam) => kStep(lam, K, K - T)))).toBeLessThan(2e-3);
    expect(relErr(got, fdOf((lam) => kStep(lam, K)))).toBeGreaterThan(1e-2);
  });
});
