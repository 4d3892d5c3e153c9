import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_BACKENDS, useBackend } from '../../test/helpers/backends.js';
import { hvp } from '../autodiff/hvp.js';
import { logSoftmax } from '../ops/logSoftmax.js';
import { meanSquaredError, sigmoidCrossEntropy, softmaxCrossEntropy, sparseSoftmaxCrossEntropy } from './losses.js';

const logits = [[0.2, -1.1, 0.7], [1.5, 0.3, -0.4]];
const ref = (row: number[], k: number) => {
  const m = Math.max(...row);
  return -(row[k] as number - m - Math.log(row.reduce((s, z) => s + Math.exp(z - m), 0)));
};

describe.each(TEST_BACKENDS)('losses on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  it('softmax cross-entropy, dense and sparse, with each reduction and weights (float64 reference)', () => {
    tf.tidy(() => {
      const z = tf.tensor2d(logits);
      const per = [ref(logits[0] as number[], 2), ref(logits[1] as number[], 0)];
      const y = tf.tensor2d([[0, 0, 1], [1, 0, 0]]);
      expect(softmaxCrossEntropy(y, z, { reduction: 'none' })).toBeAllClose(per, { rtol: 1e-5 });
      expect(softmaxCrossEntropy(y, z)).toBeAllClose([(per[0]! + per[1]!) / 2], { rtol: 1e-5 });
      expect(sparseSoftmaxCrossEntropy(tf.tensor1d([2, 0], 'int32'), z, { reduction: 'sum' })).toBeAllClose([per[0]! + per[1]!], { rtol: 1e-5 });
      expect(softmaxCrossEntropy(y, z, { weights: tf.tensor1d([2, 0]) })).toBeAllClose([per[0]!], { rtol: 1e-5 });
      // extreme logits stay finite
      expect(softmaxCrossEntropy(tf.tensor2d([[1, 0]]), tf.tensor2d([[1000, -1000]]))).toBeAllClose([0]);
    });
  });

  it('logSoftmax matches the float64 formula', () => {
    tf.tidy(() => {
      const expected = logits.flatMap((row) => row.map((_z, k) => -ref(row, k)));
      expect(logSoftmax(tf.tensor2d(logits))).toBeAllClose(expected, { rtol: 1e-5 });
    });
  });

  it('binary cross-entropy with logits and mean squared error (float64 reference)', () => {
    tf.tidy(() => {
      const z = [[2, -1], [-30, 40]];
      const t = [[1, 0], [0.5, 1]];
      const per = z.map((row, i) => row.reduce((s, zz, j) => s + Math.max(zz, 0) - zz * (t[i]![j] as number) + Math.log1p(Math.exp(-Math.abs(zz))), 0));
      expect(sigmoidCrossEntropy(tf.tensor2d(t), tf.tensor2d(z), { reduction: 'none' })).toBeAllClose(per, { rtol: 1e-5 });
      expect(meanSquaredError(tf.tensor2d([[1, 2], [3, 5]]), tf.tensor2d([[0, 2], [3, 3]]))).toBeAllClose([(0.5 + 2) / 2]);
    });
  });

  it('one argument order: labels or targets first, predictions or logits second', () => {
    tf.tidy(() => {
      // Asymmetric in its arguments: swapping them would change the value.
      expect(sigmoidCrossEntropy(tf.tensor1d([1]), tf.tensor1d([3]))).toBeAllClose([Math.log1p(Math.exp(-3))], { rtol: 1e-5 });
      expect(meanSquaredError(tf.tensor1d([1, 2]), tf.tensor1d([1.5, 2]))).toBeAllClose([0.125]);
    });
    expect(() => meanSquaredError(tf.zeros([2]), tf.zeros([3]))).toThrow(/targets has shape \[2\] but predictions has shape \[3\]/);
  });

  it("tf.losses: sigmoidCrossEntropy and meanSquaredError are plain ops (second order passes, and equals ours); softmaxCrossEntropy is a customGrad op (refused)", () => {
    tf.tidy(() => {
      const x = tf.tensor2d([[0.3, -1.2], [0.8, 0.1], [-0.5, 2]]);
      const y = tf.tensor1d([1, 0, 1]);
      const w = tf.tensor1d([0.4, -0.7]);
      const v = tf.tensor1d([1, 0.5]);
      const z = (p: tf.Tensor) => tf.squeeze(tf.matMul(x, tf.reshape(p, [2, 1])), [1]);
      const theirs = hvp((p: tf.Tensor) => tf.losses.sigmoidCrossEntropy(y, z(p)), w, v);
      expect(theirs).toBeAllClose(hvp((p: tf.Tensor) => sigmoidCrossEntropy(y, z(p)), w, v), { rtol: 1e-4 });
      const mseTheirs = hvp((p: tf.Tensor) => tf.losses.meanSquaredError(y, z(p)), w, v);
      expect(mseTheirs).toBeAllClose(hvp((p: tf.Tensor) => meanSquaredError(y, z(p)), w, v), { rtol: 1e-4 });
      const onehot = tf.tensor2d([[1, 0], [0, 1], [1, 0]]);
      expect(() => hvp((p: tf.Tensor) => tf.losses.softmaxCrossEntropy(onehot, tf.mul(x, p)), w, v)).toThrow(/customGrad/);
    });
  });

  it('bad input gets errors naming the argument', () => {
    expect(() => softmaxCrossEntropy(tf.zeros([2, 3]), tf.zeros([2, 4]))).toThrow(/labels has shape \[2,3\] but logits has shape \[2,4\]/);
    expect(() => meanSquaredError(tf.zeros([2]), tf.zeros([2]), { reduction: 'avg' as never })).toThrow(/options\.reduction must be 'mean', 'sum' or 'none', got 'avg'/);
    expect(() => sparseSoftmaxCrossEntropy(tf.zeros([2]), tf.zeros([2, 3]))).toThrow(/labels must be int32/);
    expect(() => softmaxCrossEntropy(tf.zeros([2, 3]), tf.zeros([2, 3]), { weights: tf.ones([3]) })).toThrow(/options\.weights has shape \[3\], expected \[2\]/);
  });
});
