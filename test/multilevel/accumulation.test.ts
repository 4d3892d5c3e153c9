import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine, type HypergradientOptions, ImplicitProblem, IterativeProblem, type StepContext, sgd } from '../../src/index.js';
import { useBackend } from '../helpers/backends.js';
import { makeRidge, relErr, ridgeEngine } from './ridge.js';

beforeAll(async () => useBackend('wasm'));

/**
 * Ridge regression with two different micro-batches per update (`gradientAccumulation: 2`) and a
 * norm-clipping `gradCallback` that is active on some micro-batches: clipping each micro-batch and
 * then averaging is a different map from clipping the mean, so a hypergradient that replays the
 * other one is visibly wrong.
 */
const rd = makeRidge(7, 40, 30, 5);
const halves = [rd.X.slice(0, 20), rd.X.slice(20)].map((X, i) => ({ X, y: rd.y.slice(20 * i, 20 * i + 20) }));
const CLIP = 0.6;
const LR = 0.3;
const K = 6;

type Batch = { x: tf.Tensor2D; y: tf.Tensor1D };

/** g min(1, c / |g|), in float64. */
const clip64 = (g: number[]) => {
  const n = Math.hypot(...g);
  return n > CLIP ? g.map((x) => (x * CLIP) / n) : g;
};

/** The inner loop that ran, in float64: K updates, each the mean of the clipped micro-batch gradients. */
function innerLoop64(lambda: number[]): number[] {
  let w = lambda.map(() => 0);
  for (let k = 0; k < K; k++) {
    const gs = halves.map(({ X, y }) => {
      const res = X.map((row, i) => row.reduce((s, x, j) => s + x * (w[j] as number), 0) - (y[i] as number));
      return clip64(w.map((wj, j) => X.reduce((s, row, i) => s + (row[j] as number) * (res[i] as number), 0) / X.length + (lambda[j] as number) * wj));
    });
    w = w.map((wj, j) => wj - LR * (((gs[0] as number[])[j] as number) + ((gs[1] as number[])[j] as number)) / 2);
  }
  return w;
}

/** The outer loss of the inner loop's result, in float64. */
function outerLoss64(lambda: number[]): number {
  const w = innerLoop64(lambda);
  const r = rd.Xv.map((row, i) => row.reduce((s, x, j) => s + x * (w[j] as number), 0) - (rd.yv[i] as number));
  return r.reduce((s, e) => s + e * e, 0) / (2 * rd.Xv.length);
}

/** The bilevel program with the clipping callback and two micro-batches per update. */
function program(method: HypergradientOptions, iterative: boolean) {
  const batches: Batch[] = halves.map(({ X, y }) => ({ x: tf.tensor2d(X), y: tf.tensor1d(y) }));
  const valid: Batch = { x: tf.tensor2d(rd.Xv), y: tf.tensor1d(rd.yv) };
  const d = rd.lambda.length;
  const predict = (w: tf.Tensor, x: tf.Tensor2D) => tf.squeeze(tf.matMul(x, tf.reshape(w, [d, 1])), [1]);
  const innerOptions = {
    name: 'inner', module: { params: tf.zeros([d]) as tf.Tensor }, optimizer: sgd({ lr: LR }), data: batches,
    config: { hypergradient: method, unrollSteps: K, gradientAccumulation: 2 },
    // Norm clipping with tf ops (differentiable: the replay differentiates through it).
    gradCallback: (g: tf.Tensor) => tf.mul(g, tf.minimum(1, tf.div(CLIP, tf.norm(g)))),
    trainingStep: (b: Batch, ctx: StepContext<tf.Tensor>) =>
      tf.add(tf.mul(0.5, tf.mean(tf.square(tf.sub(predict(ctx.params, b.x), b.y)))), tf.mul(0.5, tf.sum(tf.mul(ctx.get<tf.Tensor>('outer'), tf.square(ctx.params))))),
  };
  const inner = iterative ? new IterativeProblem(innerOptions) : new ImplicitProblem(innerOptions);
  const outer = new ImplicitProblem({
    name: 'outer', module: { params: tf.tensor1d(rd.lambda) as tf.Tensor }, optimizer: sgd({ lr: 0.01 }), data: [valid],
    trainingStep: (b: Batch, ctx) => tf.mul(0.5, tf.mean(tf.square(tf.sub(predict(ctx.get<tf.Tensor>('inner'), b.x), b.y)))),
  });
  outer.setBatch(valid);
  const engine = new Engine({ problems: [outer, inner], dependencies: { u2l: { outer: ['inner'] }, l2u: { inner: ['outer'] } }, config: { iterations: 1 } });
  return { engine, inner, dispose: () => { engine.dispose(); tf.dispose([...batches.flatMap((b) => [b.x, b.y]), valid.x, valid.y]); } };
}

describe('gradientAccumulation with a nonlinear gradCallback: what runs is what is differentiated', () => {
  const h = 1e-6;
  const fd = rd.lambda.map((_l, j) => {
    const up = rd.lambda.map((l, i) => (i === j ? l + h : l));
    const dn = rd.lambda.map((l, i) => (i === j ? l - h : l));
    return (outerLoss64(up) - outerLoss64(dn)) / (2 * h);
  });
  // The callback must matter: clipping the mean instead gives another derivative.
  it('the clipping is active on some micro-batches (the reference is not the unclipped map)', () => {
    const norms = halves.map(({ X, y }) => {
      const g = X[0]?.map((_x, j) => X.reduce((s, row, i) => s - (row[j] as number) * (y[i] as number), 0) / X.length) as number[];
      return Math.hypot(...g);
    });
    expect(Math.max(...norms)).toBeGreaterThan(CLIP);
  });

  const cases: [string, HypergradientOptions, boolean][] = [
    ['checkpointed unrolled (fp32 snapshots), IterativeProblem', { method: 'unrolled', checkpoints: 'fp32' }, true],
    ['checkpointed unrolled (fp32 snapshots), ImplicitProblem', { method: 'unrolled', checkpoints: 'fp32' }, false],
    ['plain unrolled (deferred), IterativeProblem', { method: 'unrolled' }, true],
  ];
  for (const [name, method, iterative] of cases) {
    it(`${name}: the hypergradient equals central differences (float64) of the inner loop that ran`, async () => {
      const p = program(method, iterative);
      await p.engine.stepOnly('inner', 2 * K);
      const g = p.engine.hypergradient<tf.Tensor>('outer');
      const got = Array.from(g.dataSync());
      g.dispose();
      // The loop that ran is the float64 one: its final parameters agree.
      expect(relErr(p.inner.params.dataSync(), innerLoop64(rd.lambda))).toBeLessThan(1e-5);
      expect(relErr(got, fd)).toBeLessThan(1e-3);
      p.dispose();
    });
  }
});

describe('setParams starts the inner loop where it sets the parameters', () => {
  it('an unrolled hypergradient after setParams differentiates the steps taken from the new parameters (float64 central differences)', async () => {
    const w0 = [0.3, -0.2, 0.5, 0.1, -0.4];
    /** The outer loss after K plain (unclipped, one-batch) gradient steps from w0, in float64. */
    const loss64 = (lambda: number[]) => {
      let w = w0.slice();
      const n = rd.X.length;
      for (let k = 0; k < K; k++) {
        const res = rd.X.map((row, i) => row.reduce((s, x, j) => s + x * (w[j] as number), 0) - (rd.y[i] as number));
        const g = w.map((wj, j) => rd.X.reduce((s, row, i) => s + (row[j] as number) * (res[i] as number), 0) / n + (lambda[j] as number) * wj);
        w = w.map((wj, j) => wj - LR * (g[j] as number));
      }
      const r = rd.Xv.map((row, i) => row.reduce((s, x, j) => s + x * (w[j] as number), 0) - (rd.yv[i] as number));
      return r.reduce((s, e) => s + e * e, 0) / (2 * rd.Xv.length);
    };
    const h = 1e-6;
    const fd = rd.lambda.map((_l, j) => (loss64(rd.lambda.map((l, i) => (i === j ? l + h : l))) - loss64(rd.lambda.map((l, i) => (i === j ? l - h : l)))) / (2 * h));
    const r = ridgeEngine(rd, { method: 'unrolled', checkpoints: 'fp32' }, { innerLr: LR });
    await r.engine.stepOnly('inner', 3); // steps from the construction-time parameters, then discarded
    r.inner.setParams(tf.tensor1d(w0));
    await r.engine.stepOnly('inner', K);
    const g = r.engine.hypergradient<tf.Tensor>('outer');
    expect(relErr(Array.from(g.dataSync()), fd)).toBeLessThan(1e-3);
    g.dispose();
    r.dispose();
  });
});
