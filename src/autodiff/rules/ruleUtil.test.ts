import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_BACKENDS, useBackend } from '../../../test/helpers/backends.js';
import { sumAxes } from './ruleUtil.js';

const values = (n: number, k: number) => Array.from({ length: n }, (_v, i) => Math.sin(1.3 * i + k));

describe.each(TEST_BACKENDS)('sumAxes on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  it.each([
    ['[128, 256] over its rows', [128, 256], [0], false],
    ['[128, 256] over its rows, keepDims', [128, 256], [0], true],
    ['[4, 32, 64] over the first two axes', [4, 32, 64], [0, 1], false],
    ['[4, 32, 64] over the first axis, keepDims', [4, 32, 64], [0], true],
  ] as const)('%s: the Sum, as a product with ones (no Transpose)', async (_name, shape, axes, keep) => {
    const x = tf.tensor(values(shape.reduce((m, d) => m * d, 1), 0), [...shape]);
    const expected = tf.sum(x, [...axes], keep);
    const got = sumAxes(x, [...axes], keep);
    expect(got.shape).toEqual(expected.shape);
    expect(got).toBeAllClose(expected, { rtol: 1e-5, atol: 1e-5 });
    got.dispose();
    const kernels = (await tf.profile(() => { sumAxes(x, [...axes], keep).dispose(); })).kernels.map((k) => k.name);
    expect(kernels).toContain('BatchMatMul');
    expect(kernels).not.toContain('Transpose');
    tf.dispose([x, expected]);
  });

  it('other axes, small or non-float32 tensors take the Sum kernel', async () => {
    const cases: Array<[tf.Tensor, number[]]> = [
      [tf.ones([128, 256]), [1]], [tf.ones([4, 8]), [0]], [tf.ones([128, 256], 'int32'), [0]], [tf.ones([128, 256]), [0, 1]],
    ];
    for (const [x, axes] of cases) {
      const kernels = (await tf.profile(() => { sumAxes(x, axes).dispose(); })).kernels.map((k) => k.name);
      expect(kernels).toEqual(['Sum']);
      tf.tidy(() => { expect(sumAxes(x, axes)).toBeAllClose(tf.sum(x, axes)); });
      x.dispose();
    }
  });
});
