import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { grad } from '../../src/index.js';
import { useBackend } from '../helpers/backends.js';
import { makeRidge, ridgeEngine } from './ridge.js';

beforeAll(async () => useBackend('wasm'));

describe('unrolled problems with parents run their inner loop once, inside the parent objective', () => {
  const rd = makeRidge(3);
  const K = 10;
  const lrIn = 0.5;
  const lrOut = 0.5;
  const setup = () => {
    const X = tf.tensor2d(rd.X);
    const y = tf.tensor1d(rd.y);
    const Xv = tf.tensor2d(rd.Xv);
    const yv = tf.tensor1d(rd.yv);
    const d = rd.lambda.length;
    const pred = (w: tf.Tensor, x: tf.Tensor2D) => tf.squeeze(tf.matMul(x, tf.reshape(w, [d, 1])), [1]);
    const innerLoss = (w: tf.Tensor, lam: tf.Tensor) =>
      tf.add(tf.mul(0.5, tf.mean(tf.square(tf.sub(pred(w, X), y)))), tf.mul(0.5, tf.sum(tf.mul(lam, tf.square(w)))));
    const outerLoss = (w: tf.Tensor) => tf.mul(0.5, tf.mean(tf.square(tf.sub(pred(w, Xv), yv))));
    const unroll = (w0: tf.Tensor, lam: tf.Tensor) => {
      let w = w0;
      for (let k = 0; k < K; k++) w = tf.sub(w, tf.mul(lrIn, grad((q: tf.Tensor) => innerLoss(q, lam))(w)));
      return w;
    };
    return { d, innerLoss, outerLoss, unroll };
  };
  for (const iterative of [true, false]) {
    it(`${iterative ? 'IterativeProblem (restarts)' : 'ImplicitProblem (warm start)'}: the engine equals the hand-written unrolled algorithm`, async () => {
      const { d, outerLoss, unroll } = setup();
      // By hand: each outer step differentiates the K inner steps from the loop's start.
      let lam = tf.tensor1d(rd.lambda);
      let wStart = tf.zeros([d]);
      let wEnd = wStart;
      for (let s = 0; s < 3; s++) {
        const start = wStart;
        const g = grad((l: tf.Tensor) => outerLoss(unroll(start, l)))(lam);
        wEnd = tf.tidy(() => unroll(start, lam));
        lam = tf.sub(lam, tf.mul(lrOut, g));
        if (!iterative) wStart = wEnd;
      }
      const r = ridgeEngine(rd, { method: 'unrolled' }, { iterative, innerLr: lrIn, unrollSteps: K, outerLr: lrOut });
      const engine = r.engine;
      expect(r.inner.deferred).toBe(true);
      const run = new (engine.constructor as typeof import('../../src/index.js').Engine)({
        problems: [r.outer, r.inner], dependencies: { u2l: { outer: ['inner'] }, l2u: { inner: ['outer'] } }, config: { iterations: 3 * K },
      });
      await run.run();
      // Compare the changes of lambda (not lambda itself, which moves little).
      const lam0 = tf.tensor1d(rd.lambda);
      const moved = tf.sub(lam, lam0);
      expect(tf.max(tf.abs(moved)).dataSync()[0]).toBeGreaterThan(1e-3);
      expect(tf.sub(r.outer.params, lam0)).toBeAllClose(moved, { rtol: 1e-3, atol: 1e-6 });
      // After run() the inner problem holds the last inner loop's trained state (an iterative one
      // restarts at its next step, not before).
      expect(r.inner.params).toBeAllClose(wEnd, { rtol: 1e-4, atol: 1e-6 });
      r.dispose();
    });
  }
});
