import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine, ImplicitProblem, grad, hvp, roundTo, sgd } from '../../src/index.js';
import { roundArray } from '../../src/precision/formats.js';
import { lossScaleInit, lossScaleUpdate, resolveLossScale } from '../../src/precision/lossScale.js';
import { snapshotBytes, snapshotTree } from '../../src/precision/snapshot.js';
import { useBackend } from '../helpers/backends.js';
import { logisticHpo } from './logreg.js';
import { makeRidge, ridgeEngine } from './ridge.js';

beforeAll(async () => useBackend('wasm'));

const relErr = (a: number[], b: number[]) => Math.hypot(...a.map((x, i) => x - (b[i] as number))) / Math.hypot(...b);

describe('roundTo', () => {
  it('rounds like the exact conversion, with a straight-through gradient at first and second order', () => {
    const xs = [1 + 2 ** -11, 1 + 3 * 2 ** -11, 70000, -3e-8, 0.1, 123.456];
    for (const fmt of ['fp16', 'bf16'] as const) {
      const r = tf.tidy(() => Array.from(roundTo(tf.tensor1d(xs), fmt).dataSync()));
      expect(r).toEqual(Array.from(roundArray(xs, fmt)));
    }
    const c = tf.tensor1d([2, -3, 5]);
    const x = tf.tensor1d([0.1, 0.2, 0.3]);
    const f = (v: tf.Tensor) => tf.sum(tf.mul(c, tf.square(roundTo(v, 'fp16'))));
    const g = grad(f)(x);
    // d/dx sum c r(x)^2 = 2 c r(x) (r' = 1); the Hessian is diag(2c).
    expect(Array.from(g.dataSync())).toEqual(Array.from(tf.tidy(() => tf.mul(2, tf.mul(c, roundTo(x, 'fp16'))).dataSync())));
    const h = hvp(f, x, tf.tensor1d([1, 1, 1]));
    expect(Array.from(h.dataSync())).toEqual([4, -6, 10]);
    tf.dispose([c, x, g, h]);
  });
});

describe('dynamic loss scaling', () => {
  it('backs off on a non-finite step and grows after growthInterval finite ones (pure update)', () => {
    const o = resolveLossScale({ initial: 8, growthInterval: 2, backoff: 0.5, growthFactor: 2, minScale: 1 });
    let s = lossScaleInit(o);
    const seen: number[] = [];
    for (const finite of [true, false, true, true, true, false, false, false, false]) {
      s = lossScaleUpdate(s, finite, o);
      seen.push(s.scale);
    }
    expect(seen).toEqual([8, 4, 4, 8, 8, 4, 2, 1, 1]);
    expect(s.skipped).toBe(5);
    expect(() => resolveLossScale({ backoff: 1.5 })).toThrow(/lossScale.backoff must be in \(0, 1\), got 1.5/);
  });

  it('skips steps whose scaled fp16 gradients overflow or hold NaN (parameters unchanged), and scales back up', async () => {
    // Loss 4 * sum(p): the gradient 4 times the scale overflows fp16 (65504) at scales 2^15 and 2^14.
    let inject = false;
    const p = new ImplicitProblem<tf.Tensor, number>({
      name: 'p', module: { params: tf.zeros([3]) }, optimizer: sgd({ lr: 1 }), data: [0],
      // One-update runs, some skipped on purpose: maxSkippedShare 1 lets a run whose only update is skipped pass.
      config: { precision: 'fp16', lossScale: { initial: 2 ** 15, growthInterval: 3 }, maxSkippedShare: 1 },
      trainingStep: (_b, ctx) => {
        const l = tf.mul(4, tf.sum(ctx.params));
        return inject ? tf.mul(l, Number.NaN) : l;
      },
    });
    const engine = new Engine({ problems: [p], dependencies: {}, config: { iterations: 1 } });
    const scales: number[] = [];
    const params: number[] = [];
    for (let i = 0; i < 8; i++) {
      inject = i === 6;
      await engine.run();
      scales.push(p.scaler?.scale as number);
      params.push(p.params.dataSync()[0] as number);
    }
    // Steps 0, 1 overflow (skipped); 2, 3, 4 update (then the scale grows to 2^14); 5 overflows; 6 is NaN.
    expect(scales).toEqual([2 ** 14, 2 ** 13, 2 ** 13, 2 ** 13, 2 ** 14, 2 ** 13, 2 ** 12, 2 ** 12]);
    expect(params).toEqual([0, 0, -4, -8, -12, -12, -12, -16]);
    expect(p.scaler?.skipped).toBe(4);
    engine.dispose();
  });
});

describe('hypergradients in 16-bit precision', () => {
  it('ridge: implicit (CG) hypergradients in fp16 and bf16 are within 1% and 5% of the float64 answer (fp32: 1e-4)', async () => {
    const rd = makeRidge(3);
    const errs: Record<string, number> = {};
    for (const precision of ['fp32', 'fp16', 'bf16'] as const) {
      const r = ridgeEngine(rd, { method: 'cg', iterations: 20 }, { precision });
      await r.engine.stepOnly('inner', 400);
      const g = r.engine.hypergradient<tf.Tensor>('outer');
      errs[precision] = relErr(Array.from(g.dataSync()), rd.exact);
      g.dispose();
      r.dispose();
    }
    expect(errs.fp32).toBeLessThan(1e-4);
    expect(errs.fp16).toBeLessThan(1e-2);
    expect(errs.bf16).toBeLessThan(5e-2);
  });

  it('logistic regression: 16-bit hypergradients (CG, and unrolled) are within 2% (fp16) and 8% (bf16) of fp32', async () => {
    for (const method of [{ method: 'cg', iterations: 20 }, { method: 'unrolled' }] as const) {
      const out: Record<string, number[]> = {};
      for (const precision of ['fp32', 'fp16', 'bf16'] as const) {
        const h = logisticHpo(method, 1, 50, precision);
        const e = h.engine(1);
        await e.stepOnly('inner', 50);
        await h.outer.nextBatch();
        const g = e.hypergradient<tf.Tensor>('outer');
        out[precision] = Array.from(g.dataSync());
        g.dispose();
        e.dispose();
        h.dispose();
      }
      expect(relErr(out.fp16 as number[], out.fp32 as number[])).toBeLessThan(2e-2);
      expect(relErr(out.bf16 as number[], out.fp32 as number[])).toBeLessThan(8e-2);
    }
  });
});

describe('unrolled with checkpoints', () => {
  it('fp32 checkpoints give the plain unrolled hypergradient; 16-bit ones are close; snapshots take half the bytes', async () => {
    const rd = makeRidge(5);
    const out: Record<string, number[]> = {};
    for (const checkpoints of [undefined, 'fp32', 'fp16', 'bf16'] as const) {
      const r = ridgeEngine(rd, { method: 'unrolled', ...(checkpoints ? { checkpoints } : {}) }, { iterative: true, innerLr: 0.2, momentum: 0.5 });
      await r.engine.stepOnly('inner', 30);
      const g = r.engine.hypergradient<tf.Tensor>('outer');
      out[checkpoints ?? 'none'] = Array.from(g.dataSync());
      g.dispose();
      expect(r.inner.innerLoop.snapshots).toHaveLength(checkpoints ? 30 : 0);
      r.dispose();
    }
    expect(relErr(out.fp32 as number[], out.none as number[])).toBeLessThan(1e-5);
    expect(relErr(out.fp16 as number[], out.none as number[])).toBeLessThan(1e-2);
    expect(relErr(out.bf16 as number[], out.none as number[])).toBeLessThan(5e-2);
    const t = { w: tf.zeros([100]), s: tf.ones([50]) };
    expect(snapshotBytes(snapshotTree(t, 'fp16'))).toBe(300);
    expect(snapshotBytes(snapshotTree(t, 'fp32'))).toBe(600);
    tf.dispose(Object.values(t));
  });

  it('an engine run with checkpointed unrolled follows the plain unrolled run, with a flat tensor count', async () => {
    const rd = makeRidge(6);
    const traj: Record<string, number[]> = {};
    for (const checkpoints of [undefined, 'fp32'] as const) {
      const r = ridgeEngine(rd, { method: 'unrolled', ...(checkpoints ? { checkpoints } : {}) }, { iterative: true, innerLr: 0.2, unrollSteps: 10, outerLr: 0.05 });
      const run = (iterations: number) => new Engine({ problems: [r.outer, r.inner], dependencies: { u2l: { outer: ['inner'] }, l2u: { inner: ['outer'] } }, config: { iterations } }).run();
      await run(20);
      const mid = tf.memory().numTensors;
      await run(40);
      expect(tf.memory().numTensors).toBe(mid);
      traj[checkpoints ?? 'none'] = Array.from(r.outer.params.dataSync());
      r.dispose();
    }
    expect(relErr(traj.fp32 as number[], traj.none as number[])).toBeLessThan(1e-5);
    expect(traj.none).not.toEqual(Array.from(makeRidge(6).lambda.map(Math.fround)));
  });
});
