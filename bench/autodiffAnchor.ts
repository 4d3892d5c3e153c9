import * as tf from '@tensorflow/tfjs-core';
import { applyUpdates, hvp, initBackend, sgd, softmaxCrossEntropy, valueAndGrad } from '../src/index.js';
import { report, timeMs } from './report.js';

export type Mlp = { w1: tf.Tensor; b1: tf.Tensor; w2: tf.Tensor; b2: tf.Tensor };
const LR = 0.01;

/** The workload: a 784-256-10 ReLU MLP on a batch of 128, softmax cross-entropy. */
export function workload() {
  const p: Mlp = {
    w1: tf.randomNormal([784, 256], 0, 0.05, 'float32', 1), b1: tf.zeros([256]),
    w2: tf.randomNormal([256, 10], 0, 0.05, 'float32', 2), b2: tf.zeros([10]),
  };
  const v: Mlp = {
    w1: tf.randomNormal([784, 256], 0, 1, 'float32', 5), b1: tf.randomNormal([256], 0, 1, 'float32', 6),
    w2: tf.randomNormal([256, 10], 0, 1, 'float32', 7), b2: tf.randomNormal([10], 0, 1, 'float32', 8),
  };
  const x = tf.randomNormal([128, 784], 0, 1, 'float32', 3);
  const y = tf.oneHot(tf.randomUniform([128], 0, 10, 'int32', 4) as tf.Tensor1D, 10);
  return { p, v, x, y, dispose: () => tf.dispose([p, v, x, y]) };
}

/** Hand-written backprop of the ReLU MLP: plain matMuls of explicitly transposed operands. */
function handGrad(p: Mlp, x: tf.Tensor, y: tf.Tensor): tf.Tensor[] {
  const z1 = tf.add(tf.matMul(x, p.w1), p.b1);
  const h = tf.relu(z1);
  const dz2 = tf.div(tf.sub(tf.softmax(tf.add(tf.matMul(h, p.w2), p.b2)), y), x.shape[0] as number);
  const dz1 = tf.mul(tf.matMul(dz2, tf.transpose(p.w2)), tf.step(z1));
  return [tf.matMul(tf.transpose(x), dz1), tf.sum(dz1, 0), tf.matMul(tf.transpose(h), dz2), tf.sum(dz2, 0)];
}

/** Hand-written exact `H v` (Pearlmutter's R-operator: forward tangents, then the backward pass's). */
function handHvp(p: Mlp, v: Mlp, x: tf.Tensor, y: tf.Tensor): tf.Tensor[] {
  const n = x.shape[0] as number;
  const z1 = tf.add(tf.matMul(x, p.w1), p.b1);
  const mask = tf.step(z1);
  const h = tf.relu(z1);
  const prob = tf.softmax(tf.add(tf.matMul(h, p.w2), p.b2));
  const rh = tf.mul(tf.add(tf.matMul(x, v.w1), v.b1), mask);
  const rz2 = tf.add(tf.add(tf.matMul(rh, p.w2), tf.matMul(h, v.w2)), v.b2);
  const dz2 = tf.div(tf.sub(prob, y), n);
  const rdz2 = tf.div(tf.mul(prob, tf.sub(rz2, tf.sum(tf.mul(prob, rz2), 1, true))), n);
  const rw2 = tf.add(tf.matMul(tf.transpose(rh), dz2), tf.matMul(tf.transpose(h), rdz2));
  const rdh = tf.add(tf.matMul(rdz2, tf.transpose(p.w2)), tf.matMul(dz2, tf.transpose(v.w2)));
  const rdz1 = tf.mul(rdh, mask);
  return [tf.matMul(tf.transpose(x), rdz1), tf.sum(rdz1, 0), rw2, tf.sum(rdz2, 0)];
}

/** Kernels `fn` runs once warm. */
async function kernelCount(fn: () => void): Promise<number> {
  fn();
  return (await tf.profile(fn)).kernels.length;
}

/**
 * Median over `rounds` of per-round medians of `a` and of `b`, the two timed in alternating order
 * within each round (same process, interleaved, so drift and load hit both alike).
 */
function interleaved(a: () => void, b: () => void, rounds: number, reps: number): [number, number] {
  const ta: number[] = [];
  const tb: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      ta.push(timeMs(a, reps, 1));
      tb.push(timeMs(b, reps, 1));
    } else {
      tb.push(timeMs(b, reps, 1));
      ta.push(timeMs(a, reps, 1));
    }
  }
  const median = (xs: number[]) => [...xs].sort((s, t) => s - t)[Math.floor(xs.length / 2)] as number;
  return [median(ta), median(tb)];
}

/**
 * hypergrad's SGD step and Hessian-vector product on the ReLU MLP against the same written by
 * hand in tfjs (same backend, same run, interleaved medians), with each one's kernel count.
 * Issue 19's targets on wasm: HVP at most 1.3x the hand-written one, step at most 1.15x.
 */
export async function autodiffAnchorBench(backends: readonly ('wasm' | 'cpu')[] = ['wasm'], rounds = 7): Promise<void> {
  for (const backend of backends) {
    await initBackend(backend);
    const { p, v, x, y, dispose } = workload();
    const yf = tf.cast(y, 'float32');
    const loss = (q: Mlp) => softmaxCrossEntropy(y, tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, q.w1), q.b1)), q.w2), q.b2));
    const opt = sgd({ lr: LR });
    const state = opt.init(p);
    const ours = {
      step: () => tf.tidy(() => {
        const { value, grads } = valueAndGrad(loss)(p);
        value.dispose();
        const [updates] = opt.update(grads, state, p, 0);
        return applyUpdates(p, updates);
      }),
      hvp: () => hvp(loss, p, v),
    };
    const hand = {
      step: () => tf.tidy(() => {
        const g = handGrad(p, x, yf);
        return [p.w1, p.b1, p.w2, p.b2].map((w, i) => tf.sub(w, tf.mul(g[i] as tf.Tensor, LR)));
      }),
      hvp: () => tf.tidy(() => handHvp(p, v, x, yf)),
    };
    const caseName = `mlp-relu-784-256-10-b128/${backend}`;
    for (const metric of ['step', 'hvp'] as const) {
      const run = (fn: () => unknown) => () => tf.dispose(fn() as tf.TensorContainer);
      const [mine, theirs] = interleaved(run(ours[metric]), run(hand[metric]), rounds, backend === 'cpu' ? 2 : 10);
      report({ bench: 'autodiff', case: caseName, metric: `${metric}-vs-hand`, value: mine, unit: 'ms', baseline: theirs, repeats: rounds });
      const kernels = await kernelCount(run(ours[metric]));
      const handKernels = await kernelCount(run(hand[metric]));
      report({ bench: 'autodiff', case: caseName, metric: `${metric}-kernels`, value: kernels, unit: 'kernels', baseline: handKernels });
    }
    yf.dispose();
    dispose();
  }
}
