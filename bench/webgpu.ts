/**
 * `npm run bench -- webgpu`: the same work on webgpu and on wasm in one process, interleaved, with
 * the wasm time as the baseline (ratio < 1: webgpu faster). Every timed step ends with an
 * asynchronous read of one scalar, so GPU time is counted, not only the encoding of commands.
 * Cases: one SGD step and one HVP of a 784-256-10 MLP (batch 128), the same step 4096 wide (only on
 * a real GPU: on llvmpipe it takes minutes), and one outer step of the main job (hyper-cleaning,
 * CG(10), 2,000 digits, 30 inner steps). On llvmpipe (no GPU) the lines check that everything runs;
 * they say nothing about GPU speed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hyperCleaning } from '../problems/hyperCleaning.js';
import { describeBackend, hvp, initBackend, softmaxCrossEntropy, valueAndGrad, webgpuInfo } from '../src/index.js';
import { report } from './report.js';

type Mlp = { w1: tf.Tensor2D; b1: tf.Tensor1D; w2: tf.Tensor2D; b2: tf.Tensor1D };
type Backend = 'webgpu' | 'wasm';

/** One timed unit of work on the current backend; resolves once its result is on the host. */
type Work = () => Promise<void>;

/** An MLP of the given width with its data, an SGD step and an HVP, built on the current backend. */
function mlpWork(width: number, batch: number): { step: Work; hvpStep: Work; dispose: () => void } {
  const p: Mlp = {
    w1: tf.randomNormal([784, width], 0, 0.05, 'float32', 1), b1: tf.zeros([width]),
    w2: tf.randomNormal([width, 10], 0, 0.05, 'float32', 2), b2: tf.zeros([10]),
  };
  const v: Mlp = {
    w1: tf.randomNormal([784, width], 0, 1, 'float32', 5), b1: tf.randomNormal([width], 0, 1, 'float32', 6),
    w2: tf.randomNormal([width, 10], 0, 1, 'float32', 7), b2: tf.randomNormal([10], 0, 1, 'float32', 8),
  };
  const x = tf.randomNormal([batch, 784], 0, 1, 'float32', 3) as tf.Tensor2D;
  const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 4) as tf.Tensor1D, 10) as tf.Tensor2D;
  const loss = (q: Mlp) => softmaxCrossEntropy(y, tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(x, q.w1), q.b1)), q.w2), q.b2));
  let params = p;
  const step: Work = async () => {
    const { value, grads } = valueAndGrad(loss)(params);
    const next = tf.tidy(() => ({
      w1: tf.sub(params.w1, tf.mul(grads.w1, 0.1)), b1: tf.sub(params.b1, tf.mul(grads.b1, 0.1)),
      w2: tf.sub(params.w2, tf.mul(grads.w2, 0.1)), b2: tf.sub(params.b2, tf.mul(grads.b2, 0.1)),
    })) as Mlp;
    tf.dispose([grads, params]);
    params = next;
    await value.data();
    value.dispose();
  };
  const hvpStep: Work = async () => {
    const h = hvp(loss, params, v);
    const s = tf.sum(h.w2);
    await s.data();
    tf.dispose([h, s]);
  };
  return { step, hvpStep, dispose: () => tf.dispose([params, v, x, y]) };
}

/** Median milliseconds of `work[b]` per backend over `reps` interleaved repeats, after one warm-up each. */
async function interleaved(work: Record<Backend, Work>, reps: number): Promise<Record<Backend, number>> {
  const times: Record<Backend, number[]> = { webgpu: [], wasm: [] };
  for (let r = -1; r < reps; r++) {
    for (const b of ['webgpu', 'wasm'] as Backend[]) {
      await tf.setBackend(b);
      const t0 = performance.now();
      await work[b]();
      if (r >= 0) times[b].push(performance.now() - t0);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, c) => a - c)[Math.floor(xs.length / 2)] as number;
  return { webgpu: median(times.webgpu), wasm: median(times.wasm) };
}

/** Builds the same work on both backends (tensors stay on the backend that made them). */
async function onBoth<T>(make: () => T): Promise<Record<Backend, T>> {
  await tf.setBackend('webgpu');
  const webgpu = make();
  await tf.setBackend('wasm');
  return { webgpu, wasm: make() };
}

/** See the module comment. */
export async function webgpuBench(): Promise<void> {
  try {
    await initBackend('webgpu');
  } catch (e) {
    process.stderr.write(`bench webgpu: skipped, ${(e as Error).message}\n`);
    return;
  }
  await initBackend('wasm');
  const info = webgpuInfo();
  const adapter = describeBackend('webgpu');
  process.stderr.write(`bench webgpu: ${adapter}${info?.software ? ' -- llvmpipe: these lines check correctness of the run, not GPU speed' : ''}\n`);
  const tag = info?.software ? 'llvmpipe' : 'gpu';
  const widths = info?.software ? [256] : [256, 4096];
  for (const width of widths) {
    const batch = width === 256 ? 128 : 512;
    const w = await onBoth(() => mlpWork(width, batch));
    const reps = info?.software ? 5 : 20;
    const step = await interleaved({ webgpu: w.webgpu.step, wasm: w.wasm.step }, reps);
    report({ bench: 'webgpu', case: `mlp-784-${width}-10-b${batch}/${tag}`, metric: 'sgd-step', value: step.webgpu, unit: 'ms', baseline: step.wasm, repeats: reps });
    if (width === 256) {
      const h = await interleaved({ webgpu: w.webgpu.hvpStep, wasm: w.wasm.hvpStep }, reps);
      report({ bench: 'webgpu', case: `mlp-784-${width}-10-b${batch}/${tag}`, metric: 'hvp', value: h.webgpu, unit: 'ms', baseline: h.wasm, repeats: reps });
    }
    await tf.setBackend('webgpu');
    w.webgpu.dispose();
    await tf.setBackend('wasm');
    w.wasm.dispose();
  }
  // The main job: seconds per outer step of hyper-cleaning with CG(10), 2 outer steps per repeat.
  const outer: Record<Backend, number> = { webgpu: NaN, wasm: NaN };
  for (const b of ['webgpu', 'wasm'] as Backend[]) {
    await tf.setBackend(b);
    try {
      const r = await hyperCleaning({ method: { method: 'cg', iterations: 10 }, outerSteps: 2, innerSteps: 30 });
      outer[b] = r.secondsPerOuterStep;
    } catch (e) {
      process.stderr.write(`bench webgpu: the main job on ${b} failed: ${(e as Error).message.split('\n')[0]}\n`);
    }
  }
  if (Number.isFinite(outer.webgpu)) {
    report({ bench: 'webgpu', case: `hyper-cleaning-cg10/${tag}`, metric: 'outer-step', value: outer.webgpu, unit: 's', baseline: outer.wasm, repeats: 1 });
  }
}
