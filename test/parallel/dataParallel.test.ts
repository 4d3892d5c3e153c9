import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMALL_SIZES, dataParallelMlp, initMlp, mlpProgram } from '../../problems/dataParallelMlp.js';
import { DataParallel, type Tree, treeLeaves } from '../../src/index.js';
import { replicaOps } from '../../src/parallel/replicaOps.js';
import { useBackend } from '../helpers/backends.js';

// Replicas load compiled JavaScript: `npm test` builds dist/ first.
const moduleUrl = new URL('../../dist/problems/dataParallelMlp.js', import.meta.url);
const built = existsSync(moduleUrl) && existsSync(new URL('../../dist/src/parallel/worker.js', import.meta.url));

const flat = (t: Tree) => treeLeaves(t).flatMap((x) => Array.from(x.dataSync()));
const relErr = (a: number[], b: number[]) => Math.hypot(...a.map((x, i) => x - (b[i] as number))) / Math.hypot(...b);

describe.skipIf(!built)('data parallelism (worker_threads replicas, SharedArrayBuffer all-reduce)', () => {
  const local = mlpProgram(SMALL_SIZES);
  let dp: DataParallel;
  const template = () => ({ w: initMlp(SMALL_SIZES), decay: tf.scalar(Math.log(1e-3)) });

  beforeAll(async () => {
    await useBackend('wasm');
    const t = template();
    dp = await DataParallel.create({ module: moduleUrl, exportName: 'smallProgram', replicas: 2, params: t.w, uppers: { decay: t.decay }, local });
    tf.dispose([...Object.values(t.w), t.decay]);
  }, 60_000);
  afterAll(async () => dp?.dispose());

  it('gradient, Hessian-vector and mixed products over 2 replicas equal the whole-batch ones in this thread', () => {
    const t = template();
    const uppers = { decay: t.decay };
    const v = initMlp({ ...SMALL_SIZES });
    for (const key of [0, 5]) {
      const batch = local.batch(key, { index: 0, count: 1 });
      const one = tf.tidy(() => {
        const g = replicaOps.gradient(local, t.w, uppers, batch);
        return { loss: g.loss.dataSync()[0] as number, g: flat(g.grads), h: flat(replicaOps.hessianVector(local, t.w, uppers, batch, v)), m: flat(replicaOps.mixedVector(local, t.w, uppers, batch, v)) };
      });
      local.disposeBatch?.(batch);
      const two = tf.tidy(() => {
        const g = dp.gradient(t.w, uppers, key);
        return { loss: g.loss, g: flat(g.grads), h: flat(dp.hessianVector(t.w, uppers, key, v)), m: flat(dp.mixedVector(t.w, uppers, key, v)) };
      });
      expect(two.loss).toBeCloseTo(one.loss, 5);
      expect(relErr(two.g, one.g)).toBeLessThan(1e-5);
      expect(relErr(two.h, one.h)).toBeLessThan(1e-5);
      expect(relErr(two.m, one.m)).toBeLessThan(1e-5);
    }
    tf.dispose([...Object.values(t.w), t.decay, ...Object.values(v)]);
  });

  it('an engine run (CG hypergradients through the data-parallel MLP) equals the single-process run; tensors stay flat', async () => {
    const out: Record<string, number[]> = {};
    for (const mode of ['single', 'parallel'] as const) {
      const p = dataParallelMlp({ dp: mode === 'parallel' ? dp : null, local, sizes: SMALL_SIZES, method: { method: 'cg', iterations: 5 }, innerSteps: 4 });
      await p.engine.run();
      const mid = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) await p.engine.run();
      expect(tf.memory().numTensors).toBe(mid);
      out[mode] = [...flat(p.decay.params), ...flat(p.mlp.params)];
      p.dispose();
    }
    expect(relErr(out.parallel as number[], out.single as number[])).toBeLessThan(1e-5);
    expect(out.single?.[0]).not.toBeCloseTo(Math.log(1e-3), 4); // the hyperparameter moved
  });

  it('bad use gets clear errors', async () => {
    await expect(DataParallel.create({ module: moduleUrl, replicas: 0, params: tf.zeros([1]) })).rejects.toThrow(/replicas must be an integer >= 1, got 0/);
    const t = template();
    // 64 digits do not split into 3 equal shards: the replica's error comes back with its index.
    const three = await DataParallel.create({ module: moduleUrl, exportName: 'smallProgram', replicas: 3, params: t.w, uppers: { decay: t.decay }, local });
    expect(() => three.gradient(t.w, { decay: t.decay }, 0)).toThrow(/replica \d: Error: batchSize 64 is not divisible by 3 replicas/);
    expect(() => three.gradient(t.w, {}, 0)).toThrow(/uppers decay missing/);
    await three.dispose();
    expect(() => three.gradient(t.w, { decay: t.decay }, 0)).toThrow(/used after dispose/);
    expect(() => dataParallelMlp({ dp, local, sizes: SMALL_SIZES, method: { method: 'unrolled' }, innerSteps: 2 }))
      .toThrow(/problem 'mlp' is data-parallel, but its hypergradient method is 'unrolled'/);
    tf.dispose([...Object.values(t.w), t.decay]);
  }, 60_000);

  it('passes args to the program in every replica, and 3 replicas all-reduce chunks of uneven size', async () => {
    // 48 digits in 3 shards of 16; 8 hidden units: 6,370 parameters + the loss, not a multiple of 3.
    const sizes = { hidden: 8, batchSize: 48, trainSize: 480 };
    const small = mlpProgram(sizes);
    const w = initMlp(sizes);
    const decay = tf.scalar(-2);
    const three = await DataParallel.create({ module: moduleUrl, exportName: 'program', args: sizes, replicas: 3, params: w, uppers: { decay }, local: small });
    try {
      const batch = small.batch(2, { index: 0, count: 1 });
      const whole = tf.tidy(() => flat(replicaOps.gradient(small, w, { decay }, batch).grads));
      small.disposeBatch?.(batch);
      const split = tf.tidy(() => flat(three.gradient(w, { decay }, 2).grads));
      expect(split).toHaveLength(6370);
      expect(relErr(split, whole)).toBeLessThan(1e-5);
    } finally {
      await three.dispose();
      tf.dispose([...Object.values(w), decay]);
    }
  }, 60_000);
});
