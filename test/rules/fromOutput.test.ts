import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { grad } from '../../src/index.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';

/**
 * Tanh, Sigmoid and Exp read their saved output in a first-order backward pass (no second
 * evaluation of the function) and recompute from the input when an outer gradient records the
 * backward pass: both checked against closed forms in float64.
 */
const CASES = [
  { kernel: 'Tanh', f: (x: tf.Tensor) => tf.tanh(x), d1: (x: number) => 1 - Math.tanh(x) ** 2, d2: (x: number) => -2 * Math.tanh(x) * (1 - Math.tanh(x) ** 2) },
  {
    kernel: 'Sigmoid', f: (x: tf.Tensor) => tf.sigmoid(x),
    d1: (x: number) => { const s = 1 / (1 + Math.exp(-x)); return s * (1 - s); },
    d2: (x: number) => { const s = 1 / (1 + Math.exp(-x)); return s * (1 - s) * (1 - 2 * s); },
  },
  { kernel: 'Exp', f: (x: tf.Tensor) => tf.exp(x), d1: Math.exp, d2: Math.exp },
];
const XS = [-2.5, -0.7, 0, 0.3, 1.9];

describe.each(TEST_BACKENDS)('rules that read their output at first order (%s)', (backend) => {
  for (const c of CASES) {
    it(`${c.kernel}: the gradient runs ${c.kernel} once and equals f'; the second derivative equals f''`, async () => {
      await useBackend(backend);
      const x = tf.tensor1d(XS);
      const g = grad((t: tf.Tensor) => tf.sum(c.f(t)));
      const prof = await tf.profile(() => { tf.dispose(g(x)); });
      expect(prof.kernels.filter((k) => k.name === c.kernel)).toHaveLength(1);
      const d1 = g(x);
      const d2 = grad((t: tf.Tensor) => tf.sum(g(t) as tf.Tensor))(x);
      const [a, b] = [await d1.data(), await d2.data()];
      XS.forEach((v, i) => {
        expect(a[i]).toBeCloseTo(c.d1(v), 5);
        expect(b[i]).toBeCloseTo(c.d2(v), 4);
      });
      tf.dispose([x, d1, d2]);
    });
  }
});
