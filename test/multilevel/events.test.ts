import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine, type EngineEvent, type HypergradientOptions, ImplicitProblem, IterativeProblem, type ProblemOptions, sgd } from '../../src/index.js';
import { useBackend } from '../helpers/backends.js';

beforeAll(async () => useBackend('wasm'));

type P = tf.Tensor;

/** inner: (w - a)^2 from w = 0 (lr 0.25); outer: (w*(a) - 2)^2 + 0.1 a^2. */
function toy(method: HypergradientOptions, iterative = false, extra: Partial<ProblemOptions<P, number>> = {}) {
  const innerOptions: ProblemOptions<P, number> = {
    name: 'inner', module: { params: tf.scalar(0) }, optimizer: sgd({ lr: 0.25 }), data: [0], config: { hypergradient: method, unrollSteps: 4 },
    trainingStep: (_b, ctx) => ({ loss: tf.square(tf.sub(ctx.params, ctx.get<P>('outer'))), w: ctx.params }),
    ...extra,
  };
  const inner = iterative ? new IterativeProblem(innerOptions) : new ImplicitProblem(innerOptions);
  const outer = new ImplicitProblem<P, number>({
    name: 'outer', module: { params: tf.scalar(1) }, optimizer: sgd({ lr: 0.1 }), data: [0],
    trainingStep: (_b, ctx) => tf.add(tf.square(tf.sub(ctx.get<P>('inner'), 2)), tf.mul(0.1, tf.square(ctx.params))),
  });
  const engine = (iterations: number, frozen?: string[]) => new Engine({
    problems: [outer, inner], dependencies: { u2l: { outer: ['inner'] }, l2u: { inner: ['outer'] } },
    config: { iterations, ...(frozen ? { frozen } : {}) },
  });
  return { inner, outer, engine };
}

describe('engine events', () => {
  it('step, iteration and validation events in order, with their fields; unsubscribe stops delivery', async () => {
    const t = toy({ method: 'cg', iterations: 2 });
    const engine = new Engine({
      problems: [t.outer, t.inner], dependencies: { u2l: { outer: ['inner'] }, l2u: { inner: ['outer'] } },
      config: { iterations: 8, validEvery: 4, validation: () => ({ v: 1 }) },
    });
    const seen: EngineEvent[] = [];
    const offs = (['step', 'iteration', 'validation', 'skip'] as const).map((type) => engine.on(type, (e) => { seen.push(e); }));
    await engine.run();
    const steps = seen.filter((e) => e.type === 'step');
    // 8 inner updates and 2 outer ones (after inner updates 4 and 8).
    expect(steps.map((e) => `${e.problem}:${e.step}`)).toEqual(['inner:1', 'inner:2', 'inner:3', 'inner:4', 'outer:1', 'inner:5', 'inner:6', 'inner:7', 'inner:8', 'outer:2']);
    const first = steps[0] as Extract<EngineEvent, { type: 'step' }>;
    expect(first.iteration).toBe(1);
    expect(first.loss).toBeCloseTo(1, 6); // (0 - 1)^2
    expect(first.metrics).toEqual({ w: 0 });
    expect(seen.filter((e) => e.type === 'iteration').map((e) => e.type === 'iteration' && e.iteration)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(seen.filter((e) => e.type === 'validation').map((e) => e.type === 'validation' && e.iteration)).toEqual([4, 8]);
    expect(seen.some((e) => e.type === 'skip')).toBe(false);
    // The iteration event comes after that iteration's steps, and validation after the iteration event.
    const kinds = seen.map((e) => e.type).slice(0, 12);
    expect(kinds).toEqual(['step', 'iteration', 'step', 'iteration', 'step', 'iteration', 'step', 'step', 'iteration', 'validation', 'step', 'iteration']);
    offs.forEach((off) => off());
    const before = seen.length;
    await engine.run();
    expect(seen.length).toBe(before);
    engine.dispose();
  });

  it('skip events for non-finite fp16 updates carry the backed-off loss scale', async () => {
    const p = new ImplicitProblem<P, number>({
      name: 'p', module: { params: tf.zeros([2]) }, optimizer: sgd({ lr: 1 }), data: [0],
      // Two of the run's three updates are skipped: allowed here (maxSkippedShare 1; the default 0.5 fails the run).
      config: { precision: 'fp16', lossScale: { initial: 2 ** 15 }, maxSkippedShare: 1 },
      trainingStep: (_b, ctx) => tf.mul(4, tf.sum(ctx.params)),
    });
    const engine = new Engine({ problems: [p], dependencies: {}, config: { iterations: 3 } });
    const skips: number[] = [];
    engine.on('skip', (e) => { skips.push(e.lossScale as number); });
    await engine.run();
    // 4 * 2^15 and 4 * 2^14 overflow fp16; 4 * 2^13 does not.
    expect(skips).toEqual([2 ** 14, 2 ** 13]);
    engine.dispose();
  });
});

describe('freezing a problem (EngineConfig.frozen)', () => {
  it('a frozen upper never steps; its lower trains without inner-loop restarts or records; hypergradients still work', async () => {
    for (const [method, iterative] of [[{ method: 'cg', iterations: 2 }, false], [{ method: 'unrolled' }, true]] as const) {
      const starts: number[] = [];
      const t = toy(method, iterative, { onInnerLoopStart: (p) => { starts.push(p.updates); } });
      const engine = t.engine(40, ['outer']);
      await engine.run();
      const mid = tf.memory().numTensors;
      await t.engine(200, ['outer']).run();
      expect(tf.memory().numTensors).toBe(mid);
      expect(t.outer.updates).toBe(0);
      expect(t.outer.params.dataSync()[0]).toBe(1);
      expect(starts).toEqual([]);
      expect(t.inner.innerLoop.steps).toHaveLength(0);
      expect(t.inner.deferred).toBe(false);
      // The inner problem trained to its optimum under the frozen a = 1.
      expect(t.inner.params.dataSync()[0]).toBeCloseTo(1, 5);
      if (method.method === 'cg') {
        t.outer.setBatch(0); // it never drew one: hypergradient needs a batch
        const g = engine.hypergradient<P>('outer');
        // d/da [(w*(a) - 2)^2 + 0.1 a^2] at w* = a = 1: 2 (1 - 2) + 0.2.
        expect(g.dataSync()[0]).toBeCloseTo(-1.8, 4);
        g.dispose();
      }
      engine.dispose();
    }
  });

  it('unknown names are refused', () => {
    const t = toy({ method: 'cg', iterations: 1 });
    expect(() => t.engine(1, ['nope'])).toThrow(/Engine: config\.frozen names unknown problem 'nope'; problems: outer, inner/);
    t.engine(1).dispose();
  });
});
