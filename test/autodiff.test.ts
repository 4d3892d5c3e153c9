import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  grad, hvp, jvp, logSoftmax, mixedHvp, stopGradient, treeDot, valueAndGrad, vjp,
} from '../src/index.js';
import { TEST_BACKENDS, useBackend } from './helpers/backends.js';
import { floats } from './helpers/ruleHarness.js';

const num = (t: tf.Tensor) => t.dataSync()[0] as number;
const arr = (t: tf.Tensor) => Array.from(t.dataSync());

describe.each(TEST_BACKENDS)('differentiation API on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  it('valueAndGrad returns the value and a gradient tree of the same structure, zeros for unused leaves', () => {
    const params = { w: tf.tensor([1, -2, 3]), b: [tf.scalar(0.5)], unused: tf.tensor([7, 7]) };
    const f = (p: typeof params, k: number) => tf.mul(k, tf.add(tf.sum(tf.square(p.w)), tf.mul(p.b[0] as tf.Tensor, 3)));
    const { value, grads } = valueAndGrad(f)(params, 2);
    expect(num(value)).toBeCloseTo(2 * (14 + 1.5), 5);
    expect(grads.w).toBeAllClose([4, -8, 12]);
    expect(grads.b[0]).toBeAllClose([6]);
    expect(grads.unused).toBeAllClose([0, 0]);
  });

  it('grad refuses a non-scalar output, naming its shape', () => {
    expect(() => grad((x: tf.Tensor) => tf.mul(x, 2))(tf.tensor([1, 2]))).toThrow(/scalar.*\[2\]/);
  });

  it('vjp and jvp agree: <u, J v> = <J^T u, v>, and J v matches central differences (random MLPs)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }),
        fc.nat(1000),
        (n, d, h, o, seed) => {
          tf.tidy(() => {
            const rnd = (s: number[], k: number) => tf.randomNormal(s, 0, 1, 'float32', seed + k);
            const x = rnd([n, d], 1);
            const p = { w1: rnd([d, h], 2), b1: rnd([h], 3), w2: rnd([h, o], 4) };
            const f = (q: typeof p) => tf.matMul(tf.tanh(tf.add(tf.matMul(x, q.w1), q.b1)), q.w2);
            const v = { w1: rnd([d, h], 5), b1: rnd([h], 6), w2: rnd([h, o], 7) };
            const u = rnd([n, o], 8);
            const [out, jv] = jvp(f, p, v);
            const [out2, pullback] = vjp(f, p);
            expect(out).toBeAllClose(out2);
            const lhs = num(tf.sum(tf.mul(u, jv)));
            const rhs = num(treeDot(pullback(u), v));
            expect(lhs).toBeCloseTo(rhs, 3);
            const e = 1e-2;
            const shifted = (s: number) => f({ w1: tf.add(p.w1, tf.mul(v.w1, s)), b1: tf.add(p.b1, tf.mul(v.b1, s)), w2: tf.add(p.w2, tf.mul(v.w2, s)) });
            const fd = tf.div(tf.sub(shifted(e), shifted(-e)), 2 * e);
            expect(jv).toBeAllClose(fd, { rtol: 1e-2, atol: 2e-3 });
          });
        },
      ),
      { numRuns: 15, seed: 7 },
    );
  });

  it('hvp of a quadratic is exact: H v = A v (A symmetric, reference in float64)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }).chain((n) => fc.tuple(fc.constant(n), floats(n * n, -1, 1), floats(n, -1, 1), floats(n, -1, 1))),
        ([n, m, x0, v0]) => {
          const A = Array.from({ length: n }, (_r, i) => Array.from({ length: n }, (_c, j) => ((m[i * n + j] as number) + (m[j * n + i] as number)) / 2));
          const expected = A.map((row) => row.reduce((s, a, j) => s + a * (v0[j] as number), 0));
          tf.tidy(() => {
            const At = tf.tensor2d(A);
            const f = (x: tf.Tensor) => tf.mul(0.5, tf.sum(tf.mul(x, tf.squeeze(tf.matMul(At, tf.reshape(x, [n, 1]))))));
            expect(hvp(f, tf.tensor(x0), tf.tensor(v0))).toBeAllClose(expected, { rtol: 1e-5, atol: 1e-5 });
          });
        }),
      { numRuns: 20, seed: 3 },
    );
  });

  it('mixedHvp gives d/dx <grad_y f, v> (analytic and against central differences)', () => {
    tf.tidy(() => {
      const f = (x: tf.Tensor, y: { a: tf.Tensor }) => tf.sum(tf.mul(tf.square(x), tf.sin(y.a)));
      const x = tf.tensor([0.5, -1, 2]);
      const y = { a: tf.tensor([0.3, 0.7, -0.2]) };
      const v = { a: tf.tensor([1, -2, 0.5]) };
      // grad_y f = x^2 cos(a); d/dx <x^2 cos a, v> = 2 x cos(a) v
      const expected = [0.5, -1, 2].map((xi, i) => 2 * xi * Math.cos([0.3, 0.7, -0.2][i] as number) * ([1, -2, 0.5][i] as number));
      expect(mixedHvp(f, x, y, v)).toBeAllClose(expected, { rtol: 1e-5, atol: 1e-6 });
      const u = tf.tensor([0.2, 0.1, -0.3]);
      const inner = (xx: tf.Tensor) => num(treeDot(grad((yy: { a: tf.Tensor }) => f(xx, yy))(y), v));
      const e = 1e-2;
      const fd = (inner(tf.add(x, tf.mul(u, e))) - inner(tf.sub(x, tf.mul(u, e)))) / (2 * e);
      expect(num(tf.sum(tf.mul(mixedHvp(f, x, y, v), u)))).toBeCloseTo(fd, 3);
    });
  });

  it('nests: grad of a function calling grad, and grad of a function calling hvp (third order)', () => {
    tf.tidy(() => {
      const x = tf.tensor([0.5, -1.5, 2]);
      const f = (p: tf.Tensor) => tf.sum(tf.pow(p, 4));
      // g(x) = sum(grad f^2) = sum(16 x^6) -> 96 x^5
      const g = (p: tf.Tensor) => tf.sum(tf.square(grad(f)(p)));
      expect(grad(g)(x)).toBeAllClose([0.5, -1.5, 2].map((a) => 96 * a ** 5), { rtol: 1e-5 });
      // h(x) = <H v, v> = sum(12 x^2 v^2) -> 24 x v^2
      const v = tf.tensor([1, 2, -1]);
      const h = (p: tf.Tensor) => tf.sum(tf.mul(hvp(f, p, v), v));
      expect(grad(h)(x)).toBeAllClose([0.5, -1.5, 2].map((a, i) => 24 * a * ([1, 2, -1][i] as number) ** 2), { rtol: 1e-5 });
    });
  });

  it('stopGradient makes a constant', () => {
    tf.tidy(() => {
      expect(grad((x: tf.Tensor) => tf.sum(tf.mul(x, stopGradient(x))))(tf.tensor([3, -1]))).toBeAllClose([3, -1]);
    });
  });

  it('a first-order backward pass frees gradients and saved tensors as it goes (backward peak: the saved tape plus a few)', async () => {
    // A chain of 60 x (Mul, Sin) on 4096 floats.
    const x = tf.randomNormal([4096]);
    const chain = (p: tf.Tensor) => {
      let h = p;
      for (let i = 0; i < 60; i++) h = tf.sin(tf.mul(h, 1.01));
      return tf.sum(h);
    };
    const size = 4096 * 4;
    const info = await tf.profile(() => {
      grad(chain)(x).dispose();
    });
    // Memory after each kernel; the backward pass starts after the forward's final Sum.
    const at = info.kernels.map((k) => k.totalBytesSnapshot);
    const start = info.kernels.findIndex((k) => k.name === 'Sum') + 1;
    expect(start).toBeGreaterThan(100);
    // The tape saves about 120 tensors (Mul and Sin save their input); kept, the 120 intermediate
    // gradients would add as many again (measured: 243 without freeing).
    expect(Math.max(...at.slice(start)) / size).toBeLessThan(150);
    x.dispose();
  });

  it('hvp: 1,000 repeated calls leave tf.memory().numTensors unchanged', () => {
    const x = tf.tensor([0.3, -0.2, 0.9]);
    const v = tf.tensor([1, 0, -1]);
    const f = (p: tf.Tensor) => tf.sum(tf.mul(tf.tanh(p), tf.sigmoid(p)));
    hvp(f, x, v).dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 1000; i++) hvp(f, x, v).dispose();
    expect(tf.memory().numTensors).toBe(before);
    for (let i = 0; i < 200; i++) {
      const [o, jv] = jvp((p: tf.Tensor) => tf.exp(p), x, v);
      o.dispose();
      jv.dispose();
      const [o2, pb] = vjp((p: tf.Tensor) => tf.exp(p), x);
      pb(v).dispose();
      o2.dispose();
      const vg = valueAndGrad(f)(x);
      tf.dispose([vg.value, vg.grads]);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, v]);
  });
});
