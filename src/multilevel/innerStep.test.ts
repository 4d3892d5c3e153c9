import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../test/helpers/backends.js';
import { gradients } from '../autodiff/tape.js';
import { sgd } from '../optim/optimizers.js';
import type { Tree } from '../tree/tree.js';
import { type StepDefinition, innerStep } from './innerStep.js';

beforeAll(async () => useBackend('cpu'));

/** F(w, theta; b) = 1/2 |w - b theta|^2: gradient w - b theta. */
const def = (extra: Partial<StepDefinition<tf.Tensor, number>> = {}): StepDefinition<tf.Tensor, number> => ({
  gradient: (w, theta, b) => {
    const { value, grads } = gradients(() => tf.mul(0.5, tf.sum(tf.square(tf.sub(w, tf.mul(b, theta[0] as tf.Tensor))))), [w]);
    return { loss: value as tf.Scalar, grads: grads[0] as tf.Tensor };
  },
  optimizer: sgd({ lr: 0.5 }),
  ...extra,
});

describe('innerStep', () => {
  it('averages gradCallback(gradient) over the micro-batches, then applies the optimizer, the schedule and paramCallback (float64 reference)', () => {
    const w = tf.tensor1d([1, -2]);
    const theta = [tf.tensor1d([0.5, 0.25])];
    const cap = (g: tf.Tensor) => tf.minimum(g, 1); // a nonlinear callback
    const d = def({ gradCallback: cap, schedule: (k) => 1 / (k + 1), paramCallback: (p) => tf.maximum(p, -1) });
    const out = innerStep(d, w, d.optimizer.init(w), [1, 3], theta, 1);
    // g_b = w - b theta: b = 1 -> [0.5, -2.25], b = 3 -> [-0.5, -2.75]; capped at 1: unchanged.
    const mean = [(0.5 - 0.5) / 2, (-2.25 - 2.75) / 2];
    const expected = [1, -2].map((wi, i) => Math.max(wi - 0.5 * 0.5 * (mean[i] as number), -1));
    expect(out.params).toBeAllClose(expected);
    // The loss is the mean of the micro-batch losses.
    expect(out.loss).toBeAllClose([(0.5 * (0.25 + 2.25 ** 2) + 0.5 * (0.25 + 2.75 ** 2)) / 2]);
    tf.dispose([w, theta[0] as tf.Tensor, out.params, out.loss]);
  });

  it('is differentiable in theta through the micro-batches and the callback (against central differences)', () => {
    const w = tf.tensor1d([1, -2]);
    const th = tf.tensor1d([0.5, 0.25]);
    const cb = (g: tf.Tensor) => tf.mul(g, tf.sigmoid(g)); // smooth and nonlinear
    const d = def({ gradCallback: cb });
    const f = (t: tf.Tensor) => tf.sum(tf.square(innerStep(d, w, d.optimizer.init(w), [1, 3], [t], 0).params));
    const { grads } = gradients(() => f(th), [th]);
    const h = 1e-3;
    const fd = [0, 1].map((j) => {
      const e = tf.tensor1d([0, 1].map((i) => (i === j ? h : 0)));
      const up = f(tf.add(th, e)).dataSync()[0] as number;
      const dn = f(tf.sub(th, e)).dataSync()[0] as number;
      return (up - dn) / (2 * h);
    });
    expect(grads[0]).toBeAllClose(fd, { rtol: 1e-3, atol: 1e-5 });
    tf.dispose([w, th, ...(grads as Tree[] as tf.Tensor[])]);
  });

  it('refuses an update with no micro-batch', () => {
    expect(() => innerStep(def(), tf.zeros([2]), [[], []], [], [tf.zeros([2])], 0)).toThrow(/needs at least one micro-batch/);
  });
});
