import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine, ImplicitProblem, IterativeProblem, sgd } from '../../src/index.js';
import { useBackend } from '../helpers/backends.js';

beforeAll(async () => useBackend('wasm'));

const N = 100_000;
const K = 10;

/** An unrolled bilevel program with N inner parameters; records the peak bytes seen inside the outer loss. */
function program(unrolledMemoryLimit?: number) {
  const target = tf.randomNormal([N], 0, 1, 'float32', 3);
  const w0 = tf.zeros([N]);
  const a0 = tf.scalar(0.5);
  const inner = new IterativeProblem<tf.Tensor, number>({
    name: 'inner', module: { params: w0 }, optimizer: sgd({ lr: 0.1 }), data: [0], config: { hypergradient: { method: 'unrolled' }, unrollSteps: K },
    trainingStep: (_b, ctx) => tf.sum(tf.square(tf.sub(ctx.params, tf.mul(ctx.get<tf.Tensor>('outer'), target)))),
  });
  const peak = { bytes: 0 };
  const outer = new ImplicitProblem<tf.Tensor, number>({
    name: 'outer', module: { params: a0 }, optimizer: sgd({ lr: 1e-6 }), data: [0],
    trainingStep: (_b, ctx) => {
      const w = ctx.get<tf.Tensor>('inner');
      peak.bytes = Math.max(peak.bytes, tf.memory().numBytes);
      return tf.sum(tf.square(tf.sub(w, 1)));
    },
  });
  tf.dispose([w0, a0]);
  const engine = new Engine({
    problems: [outer, inner], dependencies: { u2l: { outer: ['inner'] }, l2u: { inner: ['outer'] } },
    config: { iterations: K, ...(unrolledMemoryLimit === undefined ? {} : { unrolledMemoryLimit }) },
  });
  return { engine, inner, outer, peak, dispose: () => { engine.dispose(); target.dispose(); } };
}

describe('memory of unrolled hypergradients is estimated before they start', () => {
  it('the estimate is made at construction and is within 2x of the tape measured inside the outer loss', async () => {
    const p = program();
    const [plan] = p.engine.memoryPlan;
    expect(plan).toMatchObject({ problem: 'inner', steps: K, checkpointed: false, limitBytes: 2 ** 30 });
    expect(plan?.estimatedBytes).toBe(K * (8 * 4 * N + 0));
    const base = tf.memory().numBytes;
    await p.engine.run();
    const measured = p.peak.bytes - base;
    process.stderr.write(`[memory plan] estimated ${plan?.estimatedBytes} B, measured ${measured} B inside the outer loss\n`);
    expect(measured / (plan?.estimatedBytes as number)).toBeGreaterThan(0.5);
    expect(measured / (plan?.estimatedBytes as number)).toBeLessThan(2);
    p.dispose();
  });

  it('above unrolledMemoryLimit the problem runs with fp32 checkpoints: the same outer trajectory, far less memory', async () => {
    const plain = program();
    const small = program(1e6);
    expect(small.engine.memoryPlan[0]).toMatchObject({ checkpointed: true, limitBytes: 1e6 });
    expect(plain.inner.deferred).toBe(true);
    expect(small.inner.deferred).toBe(false);
    const base = tf.memory().numBytes;
    for (let i = 0; i < 2; i++) {
      await plain.engine.run();
      await small.engine.run();
    }
    expect(Array.from(small.outer.params.dataSync())).toBeAllClose(Array.from(plain.outer.params.dataSync()), { rtol: 1e-5 });
    expect(Array.from(small.inner.params.dataSync().slice(0, 100))).toBeAllClose(Array.from(plain.inner.params.dataSync().slice(0, 100)), { rtol: 1e-5, atol: 1e-6 });
    // Checkpointed: nothing of the inner loop's tape is alive while the outer loss is evaluated.
    expect(small.peak.bytes - base).toBeLessThan(0.25 * (plain.peak.bytes - base));
    plain.dispose();
    small.dispose();
    expect(() => program(0)).toThrow('Engine: config.unrolledMemoryLimit must be a positive number of bytes (or Infinity), got 0');
  });
});
