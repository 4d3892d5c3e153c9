import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { grad, hvp, valueAndGrad } from '../../src/index.js';
import { DeepKernelGp } from '../../src/gp/deepKernelGp.js';
import { mlpExtractor } from '../../src/gp/extractors/mlpExtractor.js';
import { negativeLogMarginalLikelihood } from '../../src/gp/marginalLikelihood.js';
import { gpNegativeLogLikelihood } from '../../src/gp/marginalLikelihoodOp.js';
import { type Tree, treeDispose, treeFlatten, treeUnflatten } from '../../src/tree/tree.js';
import { seededRandom } from '../../src/util/random.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';

const rows = (n: number, d: number, rand: () => number) => ({ values: Float32Array.from({ length: n * d }, () => 2 * rand() - 1), width: d });

for (const backend of TEST_BACKENDS) {
  describe(`deep kernel GP on ${backend}`, () => {
    beforeAll(async () => useBackend(backend));

    it('the full gradient (network and kernel hyperparameters, through the float64 boundary) matches central differences', () => {
      const rand = seededRandom(7);
      const ex = mlpExtractor([3, 8, 2]);
      const x = rows(12, 3, rand);
      const y = Float64Array.from({ length: 12 }, () => rand());
      const params = { net: ex.init(rand), theta: tf.tensor1d([0.2, -0.1, Math.log(0.05), 0.1]) };
      for (const kernel of [{ type: 'rbf' } as const, { type: 'matern', nu: 2.5 } as const]) {
        const loss = (p: typeof params) => gpNegativeLogLikelihood(ex.apply(p.net, x), p.theta as tf.Tensor1D, y, kernel);
        const { value, grads } = valueAndGrad(loss)(params);
        // The float64 value of the whole composition, for the differences.
        const f = (p: typeof params) => tf.tidy(() => {
          const z = Float64Array.from(ex.apply(p.net, x).dataSync());
          return negativeLogMarginalLikelihood(kernel, z, 2, y, p.theta.dataSync()).value;
        });
        expect(value.dataSync()[0]).toBeCloseTo(f(params), 3);
        const { leaves, def } = treeFlatten(params);
        const g = treeFlatten(grads).leaves;
        const dirRand = seededRandom(11);
        for (let trial = 0; trial < 4; trial++) {
          const dirs = leaves.map((l) => tf.tensor(Float32Array.from({ length: l.size }, () => 2 * dirRand() - 1), l.shape));
          const eps = 1e-3; // small enough that no ReLU of the network changes sign within +-eps
          const shifted = (s: number) => treeUnflatten<typeof params>(def, leaves.map((l, i) => tf.add(l, tf.mul(s * eps, dirs[i] as tf.Tensor))));
          const up = shifted(1);
          const dn = shifted(-1);
          const fd = (f(up) - f(dn)) / (2 * eps);
          const analytic = g.reduce((s, gi, i) => s + (tf.sum(tf.mul(gi, dirs[i] as tf.Tensor)).dataSync()[0] as number), 0);
          expect(Math.abs(fd - analytic) / Math.max(1, Math.abs(fd)), `direction ${trial}: fd ${fd}, analytic ${analytic}`).toBeLessThan(2e-3);
          treeDispose([up, dn, dirs] as unknown as Tree);
        }
        value.dispose();
        treeDispose(grads);
      }
      treeDispose(params);
    });

    it('refuses a second derivative through the GP op instead of returning a silently zero one', () => {
      const x = tf.tensor2d([[0], [0.5], [1]]);
      const theta = tf.tensor1d([0, 0, -2, 0]);
      const y = new Float64Array([0, 1, 0]);
      const v = tf.tensor1d([1, 0, 0, 0]);
      expect(() => hvp((t: tf.Tensor) => gpNegativeLogLikelihood(x, t as tf.Tensor1D, y, { type: 'rbf' }), theta, v))
        .toThrow(/gpNegativeLogLikelihood: a gradient of its gradient was asked/);
      const g = grad((t: tf.Tensor) => gpNegativeLogLikelihood(x, t as tf.Tensor1D, y, { type: 'rbf' }))(theta);
      expect(g.shape).toEqual([4]);
      tf.dispose([x, theta, v, g]);
    });

    it('fits a 1-D function jointly (network + hyperparameters), predicts it, and leaks no tensors', () => {
      const rand = seededRandom(3);
      const xs = Array.from({ length: 30 }, () => 2 * rand() - 1);
      const train = { values: Float32Array.from(xs), width: 1 };
      const y = Float64Array.from(xs, (t) => Math.sin(3 * t));
      const gp = new DeepKernelGp({ extractor: mlpExtractor([1, 16, 2]), learningRate: 0.02, seed: 1 });
      gp.fit(train, y, 5);
      const before = tf.memory().numTensors;
      const { losses } = gp.fit(train, y, 150);
      expect(tf.memory().numTensors).toBe(before);
      expect(losses[losses.length - 1]).toBeLessThan(losses[0] as number);
      const test = [-0.8, -0.2, 0.3, 0.9];
      const { mean, variance } = gp.predict({ values: Float32Array.from(test), width: 1 });
      test.forEach((t, i) => {
        expect(Math.abs((mean[i] as number) - Math.sin(3 * t)), `mean at ${t}`).toBeLessThan(0.15);
        expect(variance[i]).toBeLessThan(0.1);
      });
      expect(tf.memory().numTensors).toBe(before);
      gp.dispose();
    });
  });
}
