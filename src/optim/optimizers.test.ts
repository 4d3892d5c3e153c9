import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../test/helpers/backends.js';
import { checkDerivatives } from '../autodiff/checkDerivatives.js';
import type { Tree } from '../tree/tree.js';
import { adam, adamW, rmsprop, sgd } from './optimizers.js';
import { cosineSchedule, linearWarmup, stepSchedule } from './schedules.js';
import { applyUpdates } from './transforms.js';
import type { GradientTransformation } from './types.js';

beforeAll(async () => useBackend('cpu'));

/** Runs `opt` for `n` steps on f(p) = sum(c p^2 / 2) (gradient c p), returning the trajectory. */
function run(opt: GradientTransformation<Tree[]>, p0: number[], c: number[], n: number): number[][] {
  return tf.tidy(() => {
    let p: tf.Tensor = tf.tensor(p0);
    let s = opt.init(p);
    const out: number[][] = [];
    for (let t = 0; t < n; t++) {
      const g = tf.mul(p, tf.tensor(c));
      const [u, s2] = opt.update(g, s, p, t);
      p = applyUpdates(p, u) as tf.Tensor;
      s = s2;
      out.push(Array.from(p.dataSync()));
    }
    return out;
  });
}

/** Float64 reference: the same recursions written out. */
function reference(kind: string, p0: number[], c: number[], n: number, o: Record<string, number>): number[][] {
  const p = [...p0];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const out: number[][] = [];
  for (let t = 0; t < n; t++) {
    for (let i = 0; i < p.length; i++) {
      let g = (c[i] as number) * (p[i] as number);
      const lr = o.lr as number;
      if (kind === 'sgd') {
        g += (o.wd ?? 0) * (p[i] as number);
        m[i] = (o.mu ?? 0) * (m[i] as number) + g;
        const u = o.nesterov ? g + (o.mu as number) * (m[i] as number) : (m[i] as number);
        p[i] = (p[i] as number) - lr * u;
      } else if (kind === 'adam' || kind === 'adamW') {
        if (kind === 'adam') g += (o.wd ?? 0) * (p[i] as number);
        m[i] = 0.9 * (m[i] as number) + 0.1 * g;
        v[i] = 0.999 * (v[i] as number) + 0.001 * g * g;
        const mh = (m[i] as number) / (1 - 0.9 ** (t + 1));
        const vh = (v[i] as number) / (1 - 0.999 ** (t + 1));
        let u = mh / (Math.sqrt(vh) + 1e-8);
        if (kind === 'adamW') u += (o.wd as number) * (p[i] as number);
        p[i] = (p[i] as number) - lr * u;
      } else {
        v[i] = 0.9 * (v[i] as number) + 0.1 * g * g;
        p[i] = (p[i] as number) - lr * (g / (Math.sqrt(v[i] as number) + 1e-8));
      }
    }
    out.push([...p]);
  }
  return out;
}

describe('optimizers', () => {
  const p0 = [1.5, -0.7, 0.2];
  const c = [1, 3, 0.5];
  const cases: [string, GradientTransformation<Tree[]>, string, Record<string, number>][] = [
    ['sgd', sgd({ lr: 0.1 }), 'sgd', { lr: 0.1 }],
    ['sgd momentum + weight decay', sgd({ lr: 0.1, momentum: 0.9, weightDecay: 0.01 }), 'sgd', { lr: 0.1, mu: 0.9, wd: 0.01 }],
    ['sgd nesterov', sgd({ lr: 0.05, momentum: 0.8, nesterov: true }), 'sgd', { lr: 0.05, mu: 0.8, nesterov: 1 }],
    ['adam', adam({ lr: 0.01 }), 'adam', { lr: 0.01 }],
    ['adam with L2', adam({ lr: 0.01, weightDecay: 0.1 }), 'adam', { lr: 0.01, wd: 0.1 }],
    ['adamW', adamW({ lr: 0.01, weightDecay: 0.1 }), 'adamW', { lr: 0.01, wd: 0.1 }],
    ['rmsprop', rmsprop({ lr: 0.01 }), 'rmsprop', { lr: 0.01 }],
  ];
  for (const [name, opt, kind, o] of cases) {
    it(`${name} follows its update rule (float64 reference, 20 steps)`, () => {
      const got = run(opt, p0, c, 20);
      const want = reference(kind, p0, c, 20, o);
      got.forEach((row, t) => expect(row).toBeAllClose(want[t], { rtol: 1e-4, atol: 1e-6 }));
    });
  }

  it('updates are differentiable: d/dp0 of the loss after 5 Adam steps matches finite differences', () => {
    const opt = adam({ lr: 0.05 });
    const f = (p: tf.Tensor) => {
      let q = p;
      let s = opt.init(q);
      for (let t = 0; t < 5; t++) {
        const g = tf.mul(tf.square(q), 0.5);
        const [u, s2] = opt.update(g, s, q, t);
        q = applyUpdates(q, u) as tf.Tensor;
        s = s2;
      }
      return tf.sin(q);
    };
    const r = checkDerivatives(f, tf.tensor([0.8, -0.4, 1.3]));
    expect(r.gradError).toBeLessThan(1e-2);
    expect(r.hvpError).toBeLessThan(1e-2);
  });

  it('schedules', () => {
    expect([0, 9, 10, 25].map(stepSchedule(1, 10, 0.5))).toEqual([1, 1, 0.5, 0.25]);
    const cos = cosineSchedule(2, 100, 0.1);
    expect(cos(0)).toBeCloseTo(2);
    expect(cos(50)).toBeCloseTo(2 * (0.9 * 0.5 + 0.1));
    expect(cos(200)).toBeCloseTo(0.2);
    const warm = linearWarmup(4, 1);
    expect([0, 1, 3, 4, 10].map(warm)).toEqual([0.25, 0.5, 1, 1, 1]);
  });

  it('bad hyperparameters are clear errors', () => {
    expect(() => sgd({ lr: 0.1, momentum: 1.5 })).toThrow(/momentum must be a number in \[0, 1\), got 1\.5/);
    expect(() => sgd({ lr: -1 })).toThrow(/lr must be a number in \[0, inf\), got -1/);
    expect(() => stepSchedule(1, 0)).toThrow(/stepSize must be a positive number, got 0/);
  });
});
