import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { grad, hvp, logSoftmax, registerRules, softmaxCrossEntropy } from '../src/index.js';
import { TEST_BACKENDS, useBackend } from './helpers/backends.js';

const X = [0.3, -0.7, 1.2, -1.9];
const V = [1, 0.5, -1, 2];

/** Analytic Hessian-vector products of sum(g(x)) for elementwise g, in float64. */
const analytic: Record<string, (x: number) => number> = {
  tanh: (x) => -2 * Math.tanh(x) * (1 - Math.tanh(x) ** 2),
  sigmoid: (x) => {
    const s = 1 / (1 + Math.exp(-x));
    return s * (1 - s) * (1 - 2 * s);
  },
  exp: (x) => Math.exp(x),
};
const ops: Record<string, (x: tf.Tensor) => tf.Tensor> = { tanh: tf.tanh, sigmoid: tf.sigmoid, exp: tf.exp };

describe.each(TEST_BACKENDS)('second-order cases tfjs gets wrong, on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  for (const name of Object.keys(analytic)) {
    it(`${name}: hvp matches the analytic second derivative`, () => {
      tf.tidy(() => {
        const h = hvp((x: tf.Tensor) => tf.sum((ops[name] as (x: tf.Tensor) => tf.Tensor)(x)), tf.tensor(X), tf.tensor(V));
        expect(h).toBeAllClose(X.map((x, i) => (analytic[name] as (x: number) => number)(x) * (V[i] as number)), { rtol: 1e-4, atol: 1e-6 });
      });
    });
  }

  it('softmax cross-entropy: hvp matches (diag(p) - p p^T) v / batch, computed in float64', () => {
    const logits = [[0.2, -1.1, 0.7], [1.5, 0.3, -0.4]];
    const labels = [[0, 0, 1], [1, 0, 0]];
    const v = [[1, -0.5, 0.25], [0.3, 0.1, -2]];
    const expected = logits.map((row, b) => {
      const m = Math.max(...row);
      const e = row.map((z) => Math.exp(z - m));
      const s = e.reduce((a, c) => a + c, 0);
      const p = e.map((z) => z / s);
      const vb = v[b] as number[];
      const pv = p.reduce((a, pi, i) => a + pi * (vb[i] as number), 0);
      return p.map((pi, i) => (pi * (vb[i] as number) - pi * pv) / logits.length);
    });
    tf.tidy(() => {
      const y = tf.tensor2d(labels);
      const h = hvp((z: tf.Tensor) => softmaxCrossEntropy(y, z), tf.tensor2d(logits), tf.tensor2d(v));
      expect(h).toBeAllClose(expected.flat(), { rtol: 1e-4, atol: 1e-6 });
    });
  });

  it("a stock-style rule reading the saved output is wrong at second order, and hypergrad refuses to use it", () => {
    // The rule tfjs ships for Tanh: dy * (1 - y^2) with y the saved output.
    tf.registerGradient({
      kernelName: 'Tanh',
      outputsToSave: [true],
      gradFunc: (dy, saved) => {
        const [y] = saved as [tf.Tensor];
        return { x: () => tf.mul(dy as tf.Tensor, tf.sub(1, tf.square(y))) };
      },
    });
    try {
      // tfjs's own nested gradients silently treat y as a constant. For f(x) = sum(x tanh x),
      // f'' = 2 (1 - t^2) - 2 x t (1 - t^2); the stock rule drops the second term.
      const stock = tf.tidy(() => {
        const inner = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(tf.tanh(z), z)));
        const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(inner(x), tf.tensor(V))));
        return Array.from(g(tf.tensor(X)).dataSync());
      });
      const exact = X.map((x, i) => {
        const t = Math.tanh(x);
        return (2 * (1 - t * t) - 2 * x * t * (1 - t * t)) * (V[i] as number);
      });
      const relErr = Math.hypot(...stock.map((s, i) => s - (exact[i] as number))) / Math.hypot(...exact);
      expect(relErr).toBeGreaterThan(0.3);
      // hypergrad sees that its verified Tanh rule was replaced and refuses, naming the kernel:
      expect(() => hvp((x: tf.Tensor) => tf.sum(tf.tanh(x)), tf.tensor(X), tf.tensor(V))).toThrow(/'Tanh'.*registerRules/);
      // first order stays allowed (the replaced rule is right at first order):
      expect(grad((x: tf.Tensor) => tf.sum(tf.tanh(x)))(tf.tensor(X))).toBeAllClose(X.map((x) => 1 - Math.tanh(x) ** 2), { rtol: 1e-5 });
    } finally {
      registerRules();
    }
    expect(hvp((x: tf.Tensor) => tf.sum(tf.tanh(x)), tf.tensor(X), tf.tensor(V))).toBeAllClose(
      X.map((x, i) => (analytic.tanh as (x: number) => number)(x) * (V[i] as number)), { rtol: 1e-4, atol: 1e-6 });
  });

  it('a customGrad op inside an hvp is refused with an error naming it; first order through it works', () => {
    const cube = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
      save([x]);
      return { value: tf.pow(x, 3), gradFunc: (dy: tf.Tensor, [s]: tf.Tensor[]) => tf.mul(dy, tf.mul(3, tf.square(s as tf.Tensor))) };
    }) as never);
    const f = (x: tf.Tensor) => tf.sum(cube(x) as tf.Tensor);
    expect(grad(f)(tf.tensor(X))).toBeAllClose(X.map((x) => 3 * x * x), { rtol: 1e-5 });
    expect(() => hvp(f, tf.tensor(X), tf.tensor(V))).toThrow(/no second-order-verified rule/);
    // tf.logSoftmax is such an op; hypergrad's logSoftmax is not.
    const t = tf.tensor2d([X]);
    expect(() => hvp((z: tf.Tensor) => tf.sum(tf.mul(tf.logSoftmax(z), z)), t, t)).toThrow(/hypergrad's losses replace tf\.losses/);
    expect(() => hvp((z: tf.Tensor) => tf.sum(tf.mul(logSoftmax(z), z)), t, t)).not.toThrow();
  });

  it('a kernel with no rule is refused with an error naming the kernel and what to do', () => {
    expect(() => grad((x: tf.Tensor) => tf.sum(tf.sinh(x)))(tf.tensor(X))).toThrow(/'Sinh', which has no gradient rule.*registerRule/);
  });
});
