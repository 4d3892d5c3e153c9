import * as tf from '@tensorflow/tfjs-core';
import { Engine, type HypergradientOptions, ImplicitProblem, IterativeProblem, type Precision, initBackend, normalTensor, seededRandom, sgd, sparseSoftmaxCrossEntropy } from '../src/index.js';
import { type Digits, mnistSplits } from '../src/data/mnist.js';
import { snapshotBytes } from '../src/precision/snapshot.js';
import { report } from './report.js';

type Mlp = { w1: tf.Tensor; b1: tf.Tensor; w2: tf.Tensor; b2: tf.Tensor; [k: string]: tf.Tensor };
type Batch = { x: tf.Tensor2D; y: tf.Tensor1D };
const HIDDEN = 128;

function data() {
  const [tr, va] = mnistSplits([256, 256], 0) as [Digits, Digits];
  const b = (d: Digits): Batch => ({ x: tf.tensor2d(d.x, [d.n, 784]), y: tf.tensor1d(d.y, 'int32') });
  return { train: b(tr), valid: b(va) };
}

function init(): Mlp {
  const r = seededRandom(1);
  return tf.tidy(() => ({ w1: tf.mul(normalTensor([784, HIDDEN], r), 0.05), b1: tf.zeros([HIDDEN]), w2: tf.mul(normalTensor([HIDDEN, 10], r), 0.1), b2: tf.zeros([10]) }));
}

/** An MLP 784-128-10 on 256 MNIST digits (SGD, momentum 0.9), its log weight decay above it. */
function program(method: HypergradientOptions, K: number, precision: Precision, d: ReturnType<typeof data>) {
  const m0 = init();
  const inner = new IterativeProblem<Mlp, Batch>({
    name: 'inner', module: { params: m0 }, optimizer: sgd({ lr: 0.1, momentum: 0.9 }), data: [d.train], config: { hypergradient: method, unrollSteps: K, precision },
    trainingStep: (b, ctx) => {
      const p = ctx.params;
      // ctx.round rounds to the problem's precision (the identity in fp32).
      const h = ctx.round(tf.relu(tf.add(tf.matMul(b.x, p.w1), p.b1)));
      const logits = ctx.round(tf.add(tf.matMul(h, p.w2), p.b2));
      const decay = tf.exp(ctx.get<tf.Tensor>('outer'));
      return tf.add(sparseSoftmaxCrossEntropy(b.y, logits), tf.mul(tf.mul(0.5, decay), tf.add(tf.sum(tf.square(p.w1)), tf.sum(tf.square(p.w2)))));
    },
  });
  const a0 = tf.scalar(Math.log(1e-3));
  const outer = new ImplicitProblem<tf.Tensor, Batch>({
    name: 'outer', module: { params: a0 }, optimizer: sgd({ lr: 0.1 }), data: [d.valid],
    trainingStep: (b, ctx) => {
      const p = ctx.get<Mlp>('inner');
      return sparseSoftmaxCrossEntropy(b.y, tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(b.x, p.w1), p.b1)), p.w2), p.b2));
    },
  });
  tf.dispose([...Object.values(m0), a0]);
  inner.setBatch(d.train);
  outer.setBatch(d.valid);
  const engine = new Engine({ problems: [outer, inner], dependencies: { u2l: { outer: ['inner'] }, l2u: { inner: ['outer'] } }, config: { iterations: K } });
  return { inner, outer, engine };
}

type TrackEngine = {
  state: { tensorInfo: WeakMap<object, { bytes: number }> };
  trackTensor(a: tf.Tensor, backend: unknown): void;
  removeDataId(dataId: unknown, backend: unknown): void;
};

/**
 * Peak bytes of tensor buffers (each buffer once, however many tensors share it) while `fn`
 * runs, above those live at the start. `tf.memory().numBytes` and `tf.profile` count bytes per
 * tensor, so they count a shared buffer several times.
 */
async function peakBufferBytes(fn: () => void | Promise<void>): Promise<number> {
  const e = tf.engine() as unknown as TrackEngine;
  // Relative to the start (tfjs keeps buffer info in a WeakMap, which cannot be summed).
  let cur = 0;
  let peak = 0;
  const track = e.trackTensor;
  const remove = e.removeDataId;
  e.trackTensor = function (this: TrackEngine, a, backend) {
    const fresh = !this.state.tensorInfo.has(a.dataId as object);
    track.call(this, a, backend);
    if (fresh) {
      cur += this.state.tensorInfo.get(a.dataId as object)?.bytes ?? 0;
      peak = Math.max(peak, cur);
    }
  };
  e.removeDataId = function (this: TrackEngine, dataId, backend) {
    cur -= this.state.tensorInfo.get(dataId as object)?.bytes ?? 0;
    remove.call(this, dataId, backend);
  };
  try {
    await fn();
  } finally {
    e.trackTensor = track;
    e.removeDataId = remove;
  }
  return peak;
}

/**
 * Peak memory of an unrolled hypergradient over K inner steps: the peak bytes of tensor buffers
 * while the hypergradient is computed, plus the snapshots the inner steps stored on the host.
 */
async function unrolledMemory(K: number, checkpoints: Precision | undefined, d: ReturnType<typeof data>): Promise<{ bytes: number; host: number }> {
  const p = program({ method: 'unrolled', ...(checkpoints ? { checkpoints } : {}) }, K, 'fp32', d);
  await p.engine.stepOnly('inner', K);
  const host = p.inner.innerLoop.snapshots.reduce((s, x) => s + snapshotBytes(x), 0);
  const peak = await peakBufferBytes(() => {
    const g = p.engine.hypergradient<tf.Tensor>('outer');
    g.dispose();
  });
  p.engine.dispose();
  return { bytes: peak + host, host };
}

/** `npm run bench -- precision`: see README. */
export async function precisionBench(): Promise<void> {
  const backend = await initBackend();
  const d = data();
  for (const K of [10, 50, 100]) {
    const full = await unrolledMemory(K, undefined, d);
    const fp32 = await unrolledMemory(K, 'fp32', d);
    report({ bench: 'precision', case: `unrolled-K${K}/fp32-checkpoints-vs-full-tape/${backend}`, metric: 'memory', value: fp32.bytes / 2 ** 20, unit: 'MiB', baseline: full.bytes / 2 ** 20 });
    for (const fmt of ['fp16', 'bf16'] as const) {
      const half = await unrolledMemory(K, fmt, d);
      report({ bench: 'precision', case: `unrolled-K${K}/${fmt}-vs-fp32-checkpoints/${backend}`, metric: 'memory', value: half.bytes / 2 ** 20, unit: 'MiB', baseline: fp32.bytes / 2 ** 20 });
      report({ bench: 'precision', case: `unrolled-K${K}/${fmt}-vs-fp32-checkpoints/${backend}`, metric: 'snapshot-memory', value: half.host / 2 ** 20, unit: 'MiB', baseline: fp32.host / 2 ** 20 });
    }
  }
  // The rounding's time overhead: one training step of the inner MLP in 16-bit against fp32.
  const step = async (precision: Precision) => {
    const p = program({ method: 'cg', iterations: 1 }, 1, precision, d);
    await p.engine.stepOnly('inner', 3);
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      await p.engine.stepOnly('inner', 1);
      times.push(performance.now() - t0);
    }
    p.engine.dispose();
    return times.sort((a, b) => a - b)[7] as number;
  };
  const base = await step('fp32');
  for (const fmt of ['fp16', 'bf16'] as const) {
    report({ bench: 'precision', case: `mlp-step/${fmt}-rounding/${backend}`, metric: 'time-per-step', value: await step(fmt), unit: 'ms', baseline: base });
  }
  tf.dispose([d.train.x, d.train.y, d.valid.x, d.valid.y]);
}
