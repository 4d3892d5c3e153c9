import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_BACKENDS, useBackend } from '../../../test/helpers/backends.js';
import { checkDerivatives } from '../checkDerivatives.js';
import { grad } from '../grad.js';
import { hvp } from '../hvp.js';
import { flagsAreFree } from './matMul.js';

const values = (n: number, k: number) => Array.from({ length: n }, (_v, i) => Math.sin(1.3 * i + k));

describe.each(TEST_BACKENDS)('matMul gradients on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  // a^T dy and dy b^T run as a matMul of one transposed operand, or of the other two transposed,
  // whichever moves fewer entries; these shapes take each plan for each product.
  it.each([
    ['a^T dy direct, dy b^T direct', [3, 5], [5, 2]],
    ['a^T dy via (dy^T a)^T', [12, 5], [5, 3]],
    ['dy b^T via (b dy^T)^T', [2, 3], [3, 20]],
  ])('%s: gradient and Hessian-vector product match central differences', (_name, sa, sb) => {
    const a = tf.tensor(values(sa[0] * sa[1], 0), sa);
    const b = tf.tensor(values(sb[0] * sb[1], 1), sb);
    const r = checkDerivatives((x: tf.Tensor[]) => tf.square(tf.matMul(x[0] as tf.Tensor, x[1] as tf.Tensor)), [a, b]);
    expect(r.gradError).toBeLessThan(1e-3);
    expect(r.hvpError).toBeLessThan(1e-3);
    tf.dispose([a, b]);
  });

  it('a Hessian-vector product through x w never transposes the batch x', () => {
    const x = tf.tensor(values(64 * 32, 2), [64, 32]);
    const w = tf.tensor(values(32 * 4, 3), [32, 4]);
    const v = tf.tensor(values(32 * 4, 4), [32, 4]);
    const f = (p: tf.Tensor) => tf.sum(tf.square(tf.tanh(tf.matMul(x, p))));
    let out: tf.Tensor | undefined;
    return tf.profile(() => {
      out = hvp(f, w, v);
    }).then((info) => {
      const transposes = info.kernels.filter((k) => k.name === 'Transpose');
      // None where the products take transpose flags (native matMul on wasm), else some.
      if (flagsAreFree()) expect(transposes).toEqual([]);
      else expect(transposes.length).toBeGreaterThan(0);
      // Transposes of dy and of 32 x 4 results only: nothing of the batch's 64 x 32 entries.
      expect(transposes.every((k) => (k.outputShapes[0] ?? []).reduce((p, d) => p * d, 1) < 64 * 32)).toBe(true);
      // And the product still matches a central difference of the gradient.
      expect(checkDerivatives(f, w).hvpError).toBeLessThan(1e-3);
      tf.dispose([x, w, v, out as tf.Tensor]);
    });
  });

  it('third order through x w: grad of <H(w) v, u> matches a central difference, both product plans', () => {
    for (const [n, p, q] of [[12, 5, 3], [3, 5, 2]]) {
      tf.tidy(() => {
        const x = tf.tensor(values(n * p, 5), [n, p]);
        const w = tf.tensor(values(p * q, 6), [p, q]);
        const v = tf.tensor(values(p * q, 7), [p, q]);
        const u = tf.tensor(values(p * q, 8), [p, q]);
        const d = tf.tensor(values(p * q, 9), [p, q]);
        const f = (z: tf.Tensor) => tf.sum(tf.square(tf.tanh(tf.matMul(x, z))));
        const third = (z: tf.Tensor) => tf.sum(tf.mul(hvp(f, z, v), u));
        const g = grad(third)(w);
        // Fourth-order central difference of third(w) along d, in float32 with a step of 2^-6.
        const e = 2 ** -6;
        const at = (k: number) => third(tf.add(w, tf.mul(d, k * e))).dataSync()[0] as number;
        const fd = (8 * (at(1) - at(-1)) - (at(2) - at(-2))) / (12 * e);
        const analytic = tf.sum(tf.mul(g, d)).dataSync()[0] as number;
        expect(Math.abs(analytic - fd)).toBeLessThan(2e-3 * (1 + Math.abs(fd)));
      });
    }
  });
});
