import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Engine, type EngineConfig, type HypergradientOptions, ImplicitProblem, IterativeProblem, type ProblemConfig, adam, checkpointFile, loadCheckpointFile,
  normalTensor, saveCheckpointFile, seededRandom, sgd, treeLeaves,
} from '../../src/index.js';
import { useBackend } from '../helpers/backends.js';

beforeAll(async () => useBackend('wasm'));
const dir = mkdtempSync(join(tmpdir(), 'hg-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const K = 3;

interface Setup {
  /** The inner problem's method. */
  method: HypergradientOptions;
  /** Iterative inner problem. */
  iterative: boolean;
  /** Extra inner configuration. */
  config: ProblemConfig;
  /** Batches from a seeded function (else a 3-batch iterable). */
  functionData: boolean;
}

/**
 * A bilevel program whose every piece of state matters for the next step: Adam states, a
 * seeded batch function or a cycled iterable, fp16 loss scaling that changes scale, ES draws.
 */
function build(s: Setup, config: Partial<EngineConfig> = {}) {
  const rand = seededRandom(11);
  const fixed = [0, 1, 2].map(() => normalTensor([4, 3], rand));
  const target = tf.tensor2d([[0.5], [-1], [2]]);
  const w0 = { w: tf.zeros([3, 1]), b: tf.zeros([1]) };
  const a0 = tf.tensor1d([0.3, -0.2, 0.1]);
  const inner = new (s.iterative ? IterativeProblem : ImplicitProblem)<{ w: tf.Tensor; b: tf.Tensor }, tf.Tensor>({
    name: 'inner', module: { params: w0 }, optimizer: adam({ lr: 0.05 }),
    data: s.functionData ? () => normalTensor([4, 3], rand) : fixed,
    config: { hypergradient: s.method, unrollSteps: K, ...s.config },
    trainingStep: (x, ctx) => {
      const y = tf.matMul(x, target);
      const pred = tf.add(tf.matMul(x, ctx.params.w), ctx.params.b);
      return tf.add(tf.mean(tf.square(tf.sub(pred, y))), tf.sum(tf.mul(tf.reshape(ctx.get<tf.Tensor>('outer'), [3, 1]), tf.square(ctx.params.w))));
    },
  });
  // With a batch function, the outer problem draws from the same generator as the inner one.
  const outer = new ImplicitProblem<tf.Tensor, unknown>({
    name: 'outer', module: { params: a0 }, optimizer: adam({ lr: 0.02 }), data: s.functionData ? () => normalTensor([2], rand) : [0],
    trainingStep: (_b, ctx) => tf.sum(tf.square(tf.sub(ctx.get<{ w: tf.Tensor }>('inner').w, tf.tensor2d([[1], [-1], [1]])))),
  });
  tf.dispose([w0.w, w0.b, a0]);
  const engine = new Engine({ problems: [outer, inner], dependencies: { u2l: { outer: ['inner'] }, l2u: { inner: ['outer'] } }, config: { iterations: K * (s.config.gradientAccumulation ?? 1), ...config } });
  const values = () => [...treeLeaves(inner.params), ...treeLeaves(inner.optimizerState), outer.params, ...treeLeaves(outer.optimizerState)]
    .map((t) => Array.from(t.dataSync()));
  return { engine, inner, outer, values, dispose: () => { engine.dispose(); tf.dispose([...fixed, target]); } };
}

const setups: [string, Setup][] = [
  ['iterative, plain unrolled (deferred), fp16 loss scaling that grows, batch functions sharing one seeded generator', {
    method: { method: 'unrolled' }, iterative: true, functionData: true, config: { precision: 'fp16', lossScale: { initial: 2 ** 4, growthInterval: 2 } },
  }],
  ['implicit with rollBack, ES (its random draws), a cycled 3-batch iterable, gradient accumulation', {
    method: { method: 'es', samples: 2, seed: 5 }, iterative: false, functionData: false, config: { rollBack: true, gradientAccumulation: 2 },
  }],
  ['iterative, checkpointed unrolled (fp32 snapshots), bf16', {
    method: { method: 'unrolled', checkpoints: 'fp32' }, iterative: true, functionData: true, config: { precision: 'bf16' },
  }],
];

describe('training checkpoints: a run cut and resumed equals the uninterrupted run, exactly', () => {
  for (const [name, s] of setups) {
    it(name, async () => {
      const before = tf.memory().numTensors;
      const full = build(s);
      for (let i = 0; i < 6; i++) await full.engine.run();
      const expected = full.values();
      const scaler = full.inner.scaler;
      full.dispose();

      const cut = build(s);
      for (let i = 0; i < 3; i++) await cut.engine.run();
      const path = join(dir, `${name.slice(0, 8).replace(/\W/g, '_')}.json`);
      saveCheckpointFile(path, cut.engine.checkpoint({ note: 'after 3 outer steps' }));
      cut.dispose();

      const resumed = build(s);
      const saved = loadCheckpointFile(path);
      expect(saved.user).toEqual({ note: 'after 3 outer steps' });
      await resumed.engine.restore(saved);
      expect(resumed.engine.iterationsDone).toBe(3 * K * (s.config.gradientAccumulation ?? 1));
      for (let i = 0; i < 3; i++) await resumed.engine.run();
      expect(resumed.values()).toEqual(expected);
      expect(resumed.inner.scaler).toEqual(scaler);
      resumed.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('EngineConfig.checkpoint saves every N iterations; resuming from the last file equals never stopping', async () => {
    const s = setups[0]?.[1] as Setup;
    const path = join(dir, 'scheduled.json');
    const full = build(s, { iterations: 6 * K });
    await full.engine.run();
    const expected = full.values();
    full.dispose();
    // Killed (here: stopped) after 5 outer steps; the last checkpoint is the one after step 4.
    const first = build(s, { iterations: 5 * K, checkpoint: checkpointFile(path, 2 * K) });
    await first.engine.run();
    first.dispose();
    const saved = JSON.parse(readFileSync(path, 'utf8'));
    expect(saved.iterations).toBe(4 * K);
    const resumed = build(s, { iterations: 2 * K });
    await resumed.engine.restore(loadCheckpointFile(path));
    await resumed.engine.run();
    expect(resumed.values()).toEqual(expected);
    resumed.dispose();
  });

  it('refuses a checkpoint inside an inner loop, and a checkpoint of another program, naming the problem', async () => {
    const s = setups[0]?.[1] as Setup;
    const a = build(s, { iterations: 1 });
    await a.engine.run();
    expect(() => a.engine.checkpoint()).toThrow("Engine.checkpoint: after iteration 1, problem 'inner' is inside an inner loop (1 updates recorded since its parents last stepped); checkpoint right after its parents step");
    await a.engine.run();
    await a.engine.run();
    const c = a.engine.checkpoint();
    a.dispose();
    const b = build(s);
    const bad = structuredClone(c);
    (bad.problems.outer as { params: { shape: number[] }[] }).params[0] = { ...(bad.problems.outer?.params[0] as object), shape: [4] } as never;
    await expect(b.engine.restore(bad)).rejects.toThrow("Engine.restore: problem 'outer' parameters: tensor 0 is float32 [4] in the checkpoint, float32 [3] in the problem");
    await expect(b.engine.restore({ ...c, format: 'x' } as never)).rejects.toThrow('Engine.restore: not a version 1 hypergrad engine checkpoint');
    b.dispose();
    expect(() => loadCheckpointFile(join(dir, 'missing.json'))).toThrow(/checkpoint .*missing.json: cannot read it \(ENOENT\)/);
  });
});
