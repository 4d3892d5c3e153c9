import fc from 'fast-check';
import { det, inv, multiply } from 'mathjs';
import { describe, expect, it } from 'vitest';
import { fromTheta } from './hyperparameters.js';
import { type KernelSpec, kernelMatrix } from './kernels.js';
import { negativeLogMarginalLikelihood } from './marginalLikelihood.js';
import { gpPosterior } from './posterior.js';

const KERNELS: KernelSpec[] = [{ type: 'rbf' }, { type: 'matern', nu: 0.5 }, { type: 'matern', nu: 1.5 }, { type: 'matern', nu: 2.5 }];

/** Random data: n points in d dimensions, targets, and hyperparameters (ARD or shared). */
const data = fc.record({
  n: fc.integer({ min: 1, max: 6 }), d: fc.integer({ min: 1, max: 3 }), ard: fc.boolean(),
  seed: fc.integer({ min: 1, max: 1e6 }),
}).map(({ n, d, ard, seed }) => {
  let s = seed;
  const r = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const x = Float64Array.from({ length: n * d }, r);
  const y = Float64Array.from({ length: n }, r);
  const p = ard ? d : 1;
  const theta = Float64Array.from([...Array.from({ length: p }, () => 0.5 * r()), 0.3 * r(), -1 + 0.5 * r(), 0.2 * r()]);
  return { n, d, x, y, theta };
});

describe('negativeLogMarginalLikelihood', () => {
  it('equals 1/2 r^T K^-1 r + 1/2 log det K + n/2 log 2 pi computed with mathjs', () => {
    fc.assert(fc.property(data, fc.constantFrom(...KERNELS), ({ n, d, x, y, theta }, spec) => {
      const h = fromTheta(theta, theta.length - 3, 1e-6);
      const K = kernelMatrix(spec, h.kernel, x, x, d);
      const rows = Array.from({ length: n }, (_v, i) => Array.from({ length: n }, (_w, j) => (K[i * n + j] as number) + (i === j ? h.noise : 0)));
      const r = Array.from(y, (v) => v - h.mean);
      const quad = (multiply(r, multiply(inv(rows), r) as number[]) as unknown as number);
      const expected = 0.5 * quad + 0.5 * Math.log(det(rows)) + 0.5 * n * Math.log(2 * Math.PI);
      expect(negativeLogMarginalLikelihood(spec, x, d, y, theta).value).toBeCloseTo(expected, 8);
    }), { numRuns: 40, seed: 3 });
  });

  it('has the gradient of central differences, for theta and for the inputs', () => {
    fc.assert(fc.property(data, fc.constantFrom(...KERNELS), ({ d, x, y, theta }, spec) => {
      const r = negativeLogMarginalLikelihood(spec, x, d, y, theta);
      const h = 1e-6;
      const f = (xx: Float64Array, tt: Float64Array) => negativeLogMarginalLikelihood(spec, xx, d, y, tt, { valueOnly: true }).value;
      const scale = Math.max(1, ...Array.from(r.theta, Math.abs), ...Array.from(r.inputs, Math.abs));
      for (let i = 0; i < theta.length; i++) {
        const up = Float64Array.from(theta); up[i] = (up[i] as number) + h;
        const dn = Float64Array.from(theta); dn[i] = (dn[i] as number) - h;
        expect(Math.abs((f(x, up) - f(x, dn)) / (2 * h) - (r.theta[i] as number)) / scale, `theta[${i}]`).toBeLessThan(1e-6);
      }
      // Matern 1/2 has a kink at coincident inputs; random inputs are distinct.
      for (let i = 0; i < x.length; i++) {
        const up = Float64Array.from(x); up[i] = (up[i] as number) + h;
        const dn = Float64Array.from(x); dn[i] = (dn[i] as number) - h;
        expect(Math.abs((f(up, theta) - f(dn, theta)) / (2 * h) - (r.inputs[i] as number)) / scale, `x[${i}]`).toBeLessThan(1e-6);
      }
    }), { numRuns: 60, seed: 4 });
  });

  it('names a non-finite target or input', () => {
    const theta = new Float64Array([0, 0, -2, 0]);
    expect(() => negativeLogMarginalLikelihood({ type: 'rbf' }, new Float64Array([0, 1]), 1, new Float64Array([0, Infinity]), theta))
      .toThrow('negativeLogMarginalLikelihood: target 1 is Infinity; targets must be finite');
    expect(() => negativeLogMarginalLikelihood({ type: 'rbf' }, new Float64Array([0, NaN]), 1, new Float64Array([0, 1]), theta))
      .toThrow('negativeLogMarginalLikelihood: input entry 1 (row 1) is NaN');
  });
});

describe('gpPosterior', () => {
  it('gives the closed-form posterior of two observations (2 x 2 inverse by hand)', () => {
    // RBF, l = 0.7, s^2 = 1.3, sigma^2 = 0.05 (+ floor), m = 0.2; data x = 0, 1; y = 1, -0.5.
    const l = 0.7; const s2 = 1.3; const noise = 0.05; const m = 0.2;
    const theta = new Float64Array([Math.log(l), Math.log(s2), Math.log(noise), m]);
    const k = (a: number, b: number) => s2 * Math.exp(-((a - b) ** 2) / (2 * l * l));
    const sig = noise + 1e-6;
    const [a, b, c] = [k(0, 0) + sig, k(0, 1), k(1, 1) + sig];
    const detK = a * c - b * b;
    const Kinv = [[c / detK, -b / detK], [-b / detK, a / detK]] as const;
    const r = [1 - m, -0.5 - m];
    const post = gpPosterior({ type: 'rbf' }, new Float64Array([0, 1]), 1, new Float64Array([1, -0.5]), theta);
    const xs = [-0.3, 0.5, 2];
    const { mean, variance } = post.predict(Float64Array.from(xs));
    xs.forEach((t, j) => {
      const ks = [k(t, 0), k(t, 1)];
      const w = [Kinv[0][0] * ks[0]! + Kinv[0][1] * ks[1]!, Kinv[1][0] * ks[0]! + Kinv[1][1] * ks[1]!];
      expect(mean[j]).toBeCloseTo(m + w[0]! * r[0]! + w[1]! * r[1]!, 12);
      expect(variance[j]).toBeCloseTo(s2 - (w[0]! * ks[0]! + w[1]! * ks[1]!), 12);
    });
  });

  it('matches K*^T K^-1 y and k** - K*^T K^-1 K* computed with mathjs on random data', () => {
    fc.assert(fc.property(data, fc.constantFrom(...KERNELS), ({ n, d, x, y, theta }, spec) => {
      const h = fromTheta(theta, theta.length - 3, 1e-6);
      const xs = Float64Array.from({ length: 3 * d }, (_v, i) => Math.cos(i));
      const K = kernelMatrix(spec, h.kernel, x, x, d);
      const Ks = kernelMatrix(spec, h.kernel, x, xs, d);
      const rows = Array.from({ length: n }, (_v, i) => Array.from({ length: n }, (_w, j) => (K[i * n + j] as number) + (i === j ? h.noise : 0)));
      const Kinv = inv(rows) as number[][];
      const { mean, variance } = gpPosterior(spec, x, d, y, theta).predict(xs);
      for (let j = 0; j < 3; j++) {
        const ks = Array.from({ length: n }, (_v, i) => Ks[i * 3 + j] as number);
        const w = multiply(Kinv, ks) as number[];
        expect(mean[j]).toBeCloseTo(h.mean + w.reduce((s, wi, i) => s + wi * ((y[i] as number) - h.mean), 0), 8);
        expect(variance[j]).toBeCloseTo(Math.max(0, h.kernel.outputscale - w.reduce((s, wi, i) => s + wi * (ks[i] as number), 0)), 8);
      }
    }), { numRuns: 40, seed: 5 });
  });
});
