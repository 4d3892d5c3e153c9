import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_SIZES, dataParallelMlp, initMlp, mlpProgram } from '../problems/dataParallelMlp.js';
import { DataParallel, initBackend } from '../src/index.js';
import { report } from './report.js';

const SPIN = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const tf = require('@tensorflow/tfjs-core');
  require('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  const a = tf.randomNormal([256, 784]);
  const b = tf.randomNormal([784, 256]);
  // The callbacks return nothing: tf.tidy walks what its callback returns, and a returned typed
  // array of 65k floats costs more than the matmul (an earlier version of this line measured that).
  const step = () => tf.tidy(() => { tf.matMul(a, b).dataSync(); });
  for (let i = 0; i < 5; i++) step();
  const t = performance.now();
  for (let i = 0; i < workerData.n; i++) step();
  parentPort.postMessage(performance.now() - t);
})();`;

/** Matmuls per second of R plain tfjs workers running at once: what this machine's cores allow. */
async function matmulThroughput(R: number, n = 40): Promise<number> {
  const ws = Array.from({ length: R }, () => new Worker(SPIN, { eval: true, workerData: { n } }));
  const times = await Promise.all(ws.map((w) => new Promise<number>((r) => w.once('message', r))));
  await Promise.all(ws.map((w) => w.terminate()));
  return (R * n) / (Math.max(...times) / 1000);
}

/**
 * `npm run bench -- parallel`: throughput of the data-parallel MLP (784-256-10, CG(5)
 * hypergradients of its weight decay every 5 steps, 8,192 training digits) with 1 and 2 replicas,
 * at global batches of 512, 2048 and 4096 (what each replica does per call besides its shard's
 * work weighs less as the shard grows), and, for scale, what 2 plain workers doing only matmuls get
 * over 1 on this machine.
 */
export async function parallelBench(): Promise<void> {
  const backend = await initBackend('wasm');
  const module = new URL('../problems/dataParallelMlp.js', import.meta.url);
  const innerSteps = 5;
  const outerSteps = 3;
  for (const batchSize of [512, 2048, 4096]) {
    const sizes = { ...DEFAULT_SIZES, batchSize };
    const local = mlpProgram(sizes);
    const rate: Record<number, { examples: number; outer: number }> = {};
    for (const R of [1, 2]) {
      const t = { w: initMlp(sizes), decay: tf.scalar(0) };
      const dp = await DataParallel.create({ module, exportName: 'program', args: sizes, replicas: R, params: t.w, uppers: { decay: t.decay }, local });
      tf.dispose([...Object.values(t.w), t.decay]);
      const p = dataParallelMlp({ dp, local, sizes, method: { method: 'cg', iterations: 5 }, innerSteps });
      await p.engine.run(); // warm-up
      let t0 = performance.now();
      const steps = 30;
      await p.engine.stepOnly('mlp', steps);
      const examples = (steps * batchSize) / ((performance.now() - t0) / 1000);
      t0 = performance.now();
      for (let i = 0; i < outerSteps; i++) await p.engine.run();
      const outer = outerSteps / ((performance.now() - t0) / 1000);
      rate[R] = { examples, outer };
      p.dispose();
      await dp.dispose();
    }
    const r1 = rate[1] as { examples: number; outer: number };
    const r2 = rate[2] as { examples: number; outer: number };
    report({ bench: 'parallel', case: `mlp-784-256-10-batch${batchSize}/examples-per-second/${backend}`, metric: 'speedup', value: r2.examples, unit: 'examples/s', baseline: r1.examples });
    report({ bench: 'parallel', case: `mlp-784-256-10-batch${batchSize}/outer-steps-per-second/${backend}`, metric: 'speedup', value: r2.outer, unit: 'outer steps/s', baseline: r1.outer });
  }
  const m1 = await matmulThroughput(1);
  const m2 = await matmulThroughput(2);
  report({ bench: 'parallel', case: `plain-workers-matmul-256x784x256/${backend}`, metric: 'speedup', value: m2, unit: 'matmuls/s', baseline: m1 });
}
