import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Engine, type HypergradientOptions, ImplicitProblem, IterativeProblem, type ProblemOptions, sgd,
} from '../../src/index.js';
import { useBackend } from '../helpers/backends.js';

beforeAll(async () => useBackend('wasm'));

type P = tf.Tensor;
const scalarProblem = (name: string, init: number, step: ProblemOptions<P, number>['trainingStep'], extra: Partial<ProblemOptions<P, number>> = {}) =>
  new ImplicitProblem<P, number>({ name, module: { params: tf.scalar(init) }, optimizer: sgd({ lr: 0.1 }), data: [0], trainingStep: step, ...extra });

/** The DARTS toy (Liu et al. 2019): L_train = w^2 - 2aw + a^2, L_val = aw - 2a + 1; optimum a = 1. */
function dartsToy(method: HypergradientOptions, iterative = false, unrollSteps = 1) {
  const innerOptions: ProblemOptions<P, number> = {
    name: 'inner', module: { params: tf.scalar(0) }, optimizer: sgd({ lr: 0.25 }), data: [0],
    config: { hypergradient: method, unrollSteps },
    trainingStep: (_b, ctx) => {
      const a = ctx.get<tf.Tensor>('outer');
      const w = ctx.params;
      return tf.add(tf.sub(tf.square(w), tf.mul(2, tf.mul(a, w))), tf.square(a));
    },
  };
  const inner = iterative ? new IterativeProblem(innerOptions) : new ImplicitProblem(innerOptions);
  const outer = scalarProblem('outer', 3, (_b, ctx) => {
    const a = ctx.params;
    return tf.add(tf.sub(tf.mul(a, ctx.get<tf.Tensor>('inner')), tf.mul(2, a)), 1);
  });
  return { inner, outer, engine: (iterations: number) => new Engine({ problems: [outer, inner], dependencies: { u2l: { outer: ['inner'] }, l2u: { inner: ['outer'] } }, config: { iterations } }) };
}

describe('the DARTS toy converges to a = 1', () => {
  const cases: [string, HypergradientOptions, boolean, number, number][] = [
    ['cg', { method: 'cg', iterations: 2 }, false, 1, 600],
    ['neumann', { method: 'neumann', iterations: 10, alpha: 0.3 }, false, 1, 600],
    ['finiteDifference (xi = 1/H, exact on this quadratic)', { method: 'finiteDifference', learningRate: 0.5 }, false, 1, 600],
    ['unrolled (20 inner steps from w = 0)', { method: 'unrolled' }, true, 20, 600 * 20],
  ];
  for (const [name, method, iterative, unroll, iterations] of cases) {
    it(name, async () => {
      const t = dartsToy(method, iterative, unroll);
      const engine = t.engine(iterations);
      await engine.run();
      expect(Math.abs((t.outer.params.dataSync()[0] as number) - 1)).toBeLessThan(0.02);
      engine.dispose();
    });
  }
});

describe('engine stepping semantics', () => {
  it('leaves step every iteration; a parent steps after unrollSteps x gradientAccumulation child steps, after warm-up', async () => {
    const calls = { inner: 0, outer: 0, starts: 0 };
    const inner = scalarProblem('inner', 0, (_b, ctx) => { calls.inner++; return tf.square(tf.sub(ctx.params, ctx.get<tf.Tensor>('outer'))); },
      { config: { unrollSteps: 3, gradientAccumulation: 2, warmupSteps: 2 }, onInnerLoopStart: () => { calls.starts++; } });
    const outer = scalarProblem('outer', 1, (_b, ctx) => { calls.outer++; return tf.square(ctx.get<tf.Tensor>('inner')); });
    const engine = new Engine({ problems: [outer, inner], dependencies: { u2l: { outer: ['inner'] }, l2u: { inner: ['outer'] } }, config: { iterations: 40 } });
    await engine.run();
    // 40 forward/backward passes -> 20 updates; after 2 warm-up updates, the parent steps every 3 updates: 6 times.
    expect(inner.updates).toBe(20);
    expect(outer.updates).toBe(6);
    // An inner loop starts at the child's first step after the parent stepped: the sixth is still to come.
    expect(calls.starts).toBe(5);
    engine.dispose();
  });

  it('an IterativeProblem restarts from its initial parameters; rollBack restores the inner-loop start', async () => {
    const seen: number[] = [];
    const mk = (cls: typeof ImplicitProblem | typeof IterativeProblem, rollBack: boolean) => {
      const inner = new cls<P, number>({
        name: 'inner', module: { params: tf.scalar(5) }, optimizer: sgd({ lr: 0.1 }), data: [0], config: { unrollSteps: 4, rollBack, hypergradient: { method: 'cg', iterations: 1 } },
        trainingStep: (_b, ctx) => tf.square(tf.sub(ctx.params, ctx.get<tf.Tensor>('outer'))),
        onInnerLoopStart: (p) => { seen.push(p.params.dataSync()[0] as number); },
      });
      const outer = scalarProblem('outer', 0, (_b, ctx) => tf.square(ctx.get<tf.Tensor>('inner')));
      // The parent steps after iterations 4 and 8; the inner loops start at iterations 5 and 9.
      return new Engine({ problems: [outer, inner], dependencies: { u2l: { outer: ['inner'] }, l2u: { inner: ['outer'] } }, config: { iterations: 9 } });
    };
    for (const [cls, rollBack, expected] of [[IterativeProblem, false, [5, 5]], [ImplicitProblem, true, [5, 5]]] as const) {
      seen.length = 0;
      const e = mk(cls, rollBack);
      await e.run();
      expect(seen).toBeAllClose(expected);
      e.dispose();
    }
    seen.length = 0;
    const warm = mk(ImplicitProblem, false);
    await warm.run();
    expect(seen[0]).toBeLessThan(5); // warm start: the inner loop continues from where it was
    warm.dispose();
  });

  it('a problem with two parents keeps its inner loop until both have stepped', async () => {
    const starts: number[] = [];
    // 'shared' is used by 'p1' and 'p2'; 'p2' also waits on a slower child 'slow'.
    const shared = scalarProblem('shared', 0, (_b, ctx) => tf.square(tf.sub(ctx.params, tf.add(ctx.get<tf.Tensor>('p1'), ctx.get<tf.Tensor>('p2')))),
      { config: { unrollSteps: 2, hypergradient: { method: 'cg', iterations: 1 } }, onInnerLoopStart: (p) => { starts.push(p.updates); } });
    const slow = scalarProblem('slow', 0, (_b, ctx) => tf.square(tf.sub(ctx.params, ctx.get<tf.Tensor>('p2'))), { config: { unrollSteps: 4, hypergradient: { method: 'cg', iterations: 1 } } });
    const p1 = scalarProblem('p1', 1, (_b, ctx) => tf.square(ctx.get<tf.Tensor>('shared')));
    const p2 = scalarProblem('p2', 1, (_b, ctx) => tf.add(tf.square(ctx.get<tf.Tensor>('shared')), tf.square(ctx.get<tf.Tensor>('slow'))));
    const engine = new Engine({
      problems: [p1, p2, shared, slow],
      dependencies: { u2l: { p1: ['shared'], p2: ['shared', 'slow'] }, l2u: { shared: ['p1', 'p2'], slow: ['p2'] } },
      config: { iterations: 9 },
    });
    await engine.run();
    // p1 steps at shared's updates 2, 4, 6, 8; p2 at 4 and 8 (when slow is ready too). The shared
    // inner loop restarts only when no parent is still waiting on it: after updates 4 and 8 (at its
    // next step).
    expect(p1.updates).toBe(4);
    expect(p2.updates).toBe(2);
    expect(starts).toEqual([4, 8]);
    engine.dispose();
  });

  it('batches from a function source are freed once no longer needed (no leak), also under unrolled', async () => {
    const make = () => ({ x: tf.randomNormal([8]) });
    for (const method of [{ method: 'cg', iterations: 2 }, { method: 'unrolled' }] as HypergradientOptions[]) {
      const inner = new ImplicitProblem<P, { x: tf.Tensor }>({
        name: 'inner', module: { params: tf.scalar(0) }, optimizer: sgd({ lr: 0.1 }), data: make, config: { hypergradient: method, unrollSteps: 3 },
        trainingStep: (b, ctx) => tf.mean(tf.square(tf.sub(tf.mul(ctx.params, b.x), ctx.get<tf.Tensor>('outer')))),
      });
      const outer = new ImplicitProblem<P, { x: tf.Tensor }>({
        name: 'outer', module: { params: tf.scalar(1) }, optimizer: sgd({ lr: 0.01 }), data: make,
        trainingStep: (b, ctx) => tf.mean(tf.square(tf.sub(tf.mul(ctx.get<tf.Tensor>('inner'), b.x), 2))),
      });
      const engine = new Engine({ problems: [outer, inner], dependencies: { u2l: { outer: ['inner'] }, l2u: { inner: ['outer'] } }, config: { iterations: 30 } });
      await engine.run();
      const before = tf.memory().numTensors;
      await engine.run();
      await engine.run();
      expect(tf.memory().numTensors).toBe(before);
      engine.dispose();
    }
  });

  it('async iterable data is drawn in order and cycled', async () => {
    const drawn: number[] = [];
    async function* gen() { for (const v of [1, 2, 3]) yield v; }
    const only = new ImplicitProblem<P, number>({
      name: 'solo', module: { params: tf.scalar(0) }, optimizer: sgd({ lr: 0.1 }), data: { [Symbol.asyncIterator]: gen },
      trainingStep: (b, ctx) => { drawn.push(b); return tf.square(tf.sub(ctx.params, b)); },
    });
    const engine = new Engine({ problems: [only], dependencies: {}, config: { iterations: 7 } });
    await engine.run();
    expect(drawn).toEqual([1, 2, 3, 1, 2, 3, 1]);
    engine.dispose();
  });

  it('validation, early stopping and JSON-lines logging (readable line by line)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hypergrad-'));
    const file = join(dir, 'log', 'run.jsonl');
    const solo = scalarProblem('solo', 0, (_b, ctx) => ({ loss: tf.square(tf.sub(ctx.params, 1)), param: ctx.params, constant: 7 }));
    let v = 10;
    const engine = new Engine({
      problems: [solo], dependencies: {},
      config: {
        iterations: 100, validEvery: 5, validation: () => ({ score: v > 7 ? --v : v }),
        earlyStopping: { metric: 'score', patience: 2 }, logging: { file },
      },
    });
    const result = await engine.run();
    expect(result.stoppedEarly).toBe(true);
    expect(result.validations.map((x) => x.metrics.score)).toEqual([9, 8, 7, 7, 7]);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const steps = lines.filter((l) => l.problem === 'solo');
    expect(steps).toHaveLength(25);
    expect(steps[0]).toMatchObject({ step: 1, constant: 7, param: 0 });
    expect(steps[0].loss).toBeCloseTo(1);
    expect(lines.filter((l) => l.validation === true)).toHaveLength(5);
    engine.dispose();
  });

  it('memory: 2,000 iterations of a bilevel program leave tf.memory().numTensors flat', async () => {
    const t = dartsToy({ method: 'cg', iterations: 2 });
    const engine = t.engine(100);
    await engine.run();
    const before = tf.memory().numTensors;
    const long = new Engine({ problems: [t.outer, t.inner], dependencies: { u2l: { outer: ['inner'] }, l2u: { inner: ['outer'] } }, config: { iterations: 2000 } });
    await long.run();
    expect(tf.memory().numTensors).toBe(before);
    const u = dartsToy({ method: 'unrolled' }, true, 5);
    const e2 = u.engine(50);
    await e2.run();
    const before2 = tf.memory().numTensors;
    const long2 = new Engine({ problems: [u.outer, u.inner], dependencies: { u2l: { outer: ['inner'] }, l2u: { inner: ['outer'] } }, config: { iterations: 500 } });
    await long2.run();
    expect(tf.memory().numTensors).toBe(before2);
    long.dispose();
    long2.dispose();
  });
});

describe('construction errors', () => {
  const a = () => scalarProblem('a', 0, (_b, ctx) => tf.square(ctx.params));
  const b = () => scalarProblem('b', 0, (_b, ctx) => tf.square(ctx.params));
  const mk = (deps: object, problems = [a(), b()]) => () => new Engine({ problems, dependencies: deps, config: { iterations: 1 } });
  it('names the problem and the edge', () => {
    expect(mk({ u2l: { a: ['zz'] } })).toThrow(/dependencies\.u2l\['a'\] names unknown problem 'zz'; problems: a, b/);
    expect(mk({ l2u: { q: ['a'] } })).toThrow(/dependencies\.l2u names unknown problem 'q'/);
    expect(mk({ u2l: { a: ['a'] }, l2u: { b: ['a'] } })).toThrow(/problem 'a' depends on itself in dependencies\.u2l/);
    expect(mk({ l2u: { a: ['b'], b: ['a'] } })).toThrow(/dependencies\.l2u has a cycle: a -> b -> a/);
    expect(mk({ u2l: {} })).toThrow(/problem 'a' has neither parents nor children/);
    expect(mk({}, [a(), a()])).toThrow(/two problems are named 'a'/);
    expect(() => new Engine({ problems: [a()], dependencies: {}, config: { iterations: 0 } })).toThrow(/config\.iterations must be a positive integer, got 0/);
  });
  it('problem options are checked on construction', () => {
    const base = { name: 'p', module: { params: tf.scalar(0) }, optimizer: sgd({ lr: 0.1 }), data: [0], trainingStep: () => tf.scalar(0) };
    expect(() => new ImplicitProblem({ ...base, optimizer: undefined as never })).toThrow(/problem 'p': optimizer is missing/);
    expect(() => new ImplicitProblem({ ...base, data: undefined as never })).toThrow(/problem 'p': data is missing/);
    expect(() => new ImplicitProblem({ ...base, config: { unrollSteps: 0 } })).toThrow(/config\.unrollSteps must be an integer >= 1, got 0/);
    expect(() => new ImplicitProblem({ ...base, config: { hypergradient: { method: 'cg', iterations: -2 } } })).toThrow(/config\.hypergradient: iterations must be a positive integer, got -2/);
    expect(() => new ImplicitProblem({ ...base, config: { hypergradient: { method: 'magic' } as never } })).toThrow(/method must be one of unrolled, neumann, cg, fixedPoint, finiteDifference, firstOrder, sama, es, custom, got 'magic'/);
    expect(() => new ImplicitProblem({ ...base, config: { hypergradient: { method: 'neumann', iterations: 5, alpha: 0 } } })).toThrow(/alpha must be a positive number, got 0/);
  });
  it('ctx.get of a problem that is neither an upper nor a lower is refused', async () => {
    const x = scalarProblem('x', 0, (_b, ctx) => tf.square(tf.sub(ctx.params, ctx.get<tf.Tensor>('y'))));
    const y = scalarProblem('y', 0, (_b, ctx) => tf.square(tf.sub(ctx.params, ctx.get<tf.Tensor>('z'))));
    const z = scalarProblem('z', 0, (_b, ctx) => tf.square(ctx.params));
    const engine = new Engine({ problems: [x, y, z], dependencies: { u2l: { x: ['y'], y: ['z'] } }, config: { iterations: 1 } });
    await expect(engine.run()).rejects.toThrow(/problem 'x': ctx\.get\('y'\) is not allowed: 'x' can read its uppers \[\] .* and its lowers \[\]/);
  });
});
