import * as tf from '@tensorflow/tfjs-core';
import * as math from 'mathjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { imamlGaussNewton, sinusoid } from '../../problems/sinusoid.js';
import { type HypergradientContext, type Tree, normalTensor, seededRandom, treeLeaves, vjp } from '../../src/index.js';
import { useBackend } from '../helpers/backends.js';

beforeAll(async () => useBackend('wasm'));

type Net = Record<'w1' | 'b1' | 'w2' | 'b2' | 'w3' | 'b3', tf.Tensor>;
const flat = (t: Tree) => treeLeaves(t).flatMap((x) => Array.from(x.dataSync()));

describe('few-shot sinusoid regression (MAML, iMAML)', () => {
  it('meta-training lowers the post-adaptation MSE on held-out tasks (MAML and iMAML)', async () => {
    const maml = await sinusoid({ method: { method: 'unrolled' }, outerSteps: 600 });
    expect(maml.test.value).toBeLessThan(0.8 * maml.test.baseline);
    const imaml = await sinusoid({ method: { method: 'cg', iterations: 5 }, outerSteps: 1500 });
    expect(imaml.test.value).toBeLessThan(0.8 * imaml.test.baseline);
  });

  it("iMAML's Gauss-Newton meta-gradient term equals -G (G + lambda I)^-1 v computed densely in float64", () => {
    const r = seededRandom(4);
    const layer = (i: number, o: number, s: number) => tf.mul(normalTensor([i, o], r), s);
    const theta: Net = { w1: layer(1, 40, 1), b1: tf.reshape(layer(1, 40, 0.1), [40]), w2: layer(40, 40, 0.2), b2: tf.zeros([40]), w3: layer(40, 1, 0.2), b3: tf.zeros([1]) };
    const delta: Net = Object.fromEntries(Object.entries(theta).map(([k, t]) => [k, tf.mul(normalTensor(t.shape, r), 0.01)])) as Net;
    const v: Net = Object.fromEntries(Object.entries(theta).map(([k, t]) => [k, normalTensor(t.shape, r)])) as Net;
    const xs = Array.from({ length: 10 }, () => -5 + 10 * r());
    const support = { x: tf.tensor2d(xs, [10, 1]), y: tf.zeros([10, 1]) as tf.Tensor2D };
    const lambda = 1;
    const ctx = { name: 'task', upperNames: ['meta'], theta: [theta], w: delta } as unknown as HypergradientContext;
    const got = flat(imamlGaussNewton(60, lambda, () => support)(ctx, v)[0] as Tree);
    // Dense: J (10 x P) row by row from VJPs of the outputs at theta + delta.
    const net = (d: Net) => {
      const p = Object.fromEntries(Object.keys(theta).map((k) => [k, tf.add(theta[k as keyof Net], d[k as keyof Net])])) as Net;
      const h1 = tf.relu(tf.add(tf.matMul(support.x, p.w1), p.b1));
      const h2 = tf.relu(tf.add(tf.matMul(h1, p.w2), p.b2));
      return tf.add(tf.matMul(h2, p.w3), p.b3) as tf.Tensor2D;
    };
    const [, pullback] = vjp(net, delta);
    const J = xs.map((_x, i) => flat(pullback(tf.cast(tf.reshape(tf.oneHot([i], 10), [10, 1]), 'float32') as tf.Tensor2D)));
    // G = c J^T J (c = 2/n) is P x P; Woodbury keeps the solve 10 x 10:
    // (G + lambda I)^-1 v = (v - c J^T (lambda I + c J J^T)^-1 J v) / lambda.
    const c = 2 / 10;
    const vf = flat(v);
    const Jmul = (u: number[]) => J.map((row) => row.reduce((s2, e, j) => s2 + e * (u[j] as number), 0));
    const JTmul = (z: number[]) => vf.map((_e, j) => J.reduce((s2, row, i) => s2 + (row[j] as number) * (z[i] as number), 0));
    const M = J.map((ri, i) => J.map((rj, j) => c * ri.reduce((s2, e, k) => s2 + e * (rj[k] as number), 0) + (i === j ? lambda : 0)));
    const z = (math.lusolve(M, Jmul(vf).map((e) => [e])) as number[][]).map((row) => row[0] as number);
    const x = JTmul(z).map((e, j) => ((vf[j] as number) - c * e) / lambda);
    const want = JTmul(Jmul(x)).map((e) => -c * e);
    const err = Math.hypot(...got.map((g, i) => g - (want[i] as number))) / Math.hypot(...want);
    expect(err).toBeLessThan(1e-3);
    tf.dispose([...Object.values(theta), ...Object.values(delta), ...Object.values(v), support.x, support.y]);
  });

  it('refuses neumann and fixedPoint with the reason', async () => {
    await expect(sinusoid({ method: { method: 'neumann', iterations: 5, alpha: 0.1 }, outerSteps: 1 })).rejects.toThrow(/method 'neumann' is not supported; use unrolled \(MAML\), firstOrder \(first-order MAML\) or cg \(iMAML\)/);
  });
});
