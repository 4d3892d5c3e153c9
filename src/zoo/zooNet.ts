import * as tf from '@tensorflow/tfjs-core';
import { valueAndGrad } from '../autodiff/grad.js';
import type { DenseWeights, MlpWeights } from '../gp/encoders/weightGraph.js';
import { sparseSoftmaxCrossEntropy } from '../losses/losses.js';
import { sgd } from '../optim/optimizers.js';
import { applyUpdates, disposeState } from '../optim/transforms.js';
import { type Tree, tidyTree, treeDispose } from '../tree/tree.js';
import { normalTensor, shuffleInPlace } from '../util/random.js';
import { PIXELS, type SmallDigits } from './digits.js';
import type { Architecture } from './zooSpec.js';
import { CLIP_NORM } from './zooSpec.js';

/** A zoo network's parameters: dense layers, input to output. */
export type NetParams = { w: tf.Tensor2D; b: tf.Tensor1D }[];

/** The layer sizes of an architecture: `[49, ...hidden, 10]`. */
export const layerSizes = (a: Architecture): number[] => [PIXELS, ...a.hidden, 10];

/** Fresh parameters: He-normal weights for ReLU layers, Glorot-normal for tanh and the output; zero biases. */
export function initNet(a: Architecture, rand: () => number): NetParams {
  const sizes = layerSizes(a);
  return sizes.slice(1).map((out, i) => {
    const inDim = sizes[i] as number;
    const std = i < sizes.length - 2 && a.activation === 'relu' ? Math.sqrt(2 / inDim) : Math.sqrt(2 / (inDim + out));
    return { w: tf.tidy(() => tf.mul(normalTensor([inDim, out], rand), std)) as tf.Tensor2D, b: tf.zeros([out]) as tf.Tensor1D };
  });
}

/** The logits `[n, 10]` of the network on `x` `[n, 49]`. */
export function netLogits(p: NetParams, a: Architecture, x: tf.Tensor2D): tf.Tensor2D {
  let h: tf.Tensor2D = x;
  p.forEach((l, i) => {
    h = tf.add(tf.matMul(h, l.w), l.b) as tf.Tensor2D;
    if (i < p.length - 1) h = (a.activation === 'relu' ? tf.relu(h) : tf.tanh(h)) as tf.Tensor2D;
  });
  return h;
}

/** The host copy of the parameters, as a checkpoint. */
export function netWeights(p: NetParams): DenseWeights[] {
  return p.map((l) => ({
    weights: Float32Array.from(l.w.dataSync()), bias: Float32Array.from(l.b.dataSync()), inDim: l.w.shape[0], outDim: l.w.shape[1],
  }));
}

/** Parameters from a checkpoint. */
export function netFromWeights(w: MlpWeights): NetParams {
  return w.map((l) => ({ w: tf.tensor2d(l.weights, [l.inDim, l.outDim]), b: tf.tensor1d(l.bias) }));
}

/** Error rate (fraction misclassified) and mean cross-entropy of the network on `d`. */
export function evaluateNet(p: NetParams, a: Architecture, d: SmallDigits): { error: number; crossEntropy: number } {
  return tf.tidy(() => {
    const z = netLogits(p, a, tf.tensor2d(d.x, [d.n, PIXELS]));
    const y = tf.tensor1d(d.y, 'int32');
    const wrong = tf.sum(tf.cast(tf.notEqual(tf.argMax(z, 1), y), 'float32')).dataSync()[0] as number;
    const ce = sparseSoftmaxCrossEntropy(y, z).dataSync()[0] as number;
    return { error: wrong / d.n, crossEntropy: ce };
  });
}

/** SGD's settings for {@link trainEpoch}. */
export interface SgdSettings {
  /** Learning rate. */
  lr: number;
  /** Momentum. */
  momentum: number;
  /** L2 weight decay. */
  weightDecay: number;
  /** Mini-batch size. */
  batchSize: number;
}

/** A training run's mutable state: the trainable layers' parameters and SGD's state. */
export interface TrainState {
  /** All layers' parameters (frozen ones included). */
  params: NetParams;
  /** Which layers train. */
  trainable: readonly boolean[];
  /** SGD's state for the trainable layers. */
  optState: Tree[];
  /** Updates made so far. */
  step: number;
}

/** A training state starting from `params` (owned by the state from now on), with `trainable` layers. */
export function startTraining(params: NetParams, trainable: readonly boolean[], s: SgdSettings): TrainState {
  const opt = sgd({ lr: s.lr, momentum: s.momentum, weightDecay: s.weightDecay });
  const train = params.filter((_l, i) => trainable[i]);
  return { params, trainable, optState: opt.init(train) as Tree[], step: 0 };
}

/**
 * One epoch of mini-batch SGD (momentum, L2 weight decay, global gradient norm clipped at
 * {@link CLIP_NORM}) on the trainable layers, in a shuffled order drawn from `rand`; frozen layers
 * stay as they are. Full batches only (the last partial batch is dropped). Returns the new state
 * (the old one's tensors are freed).
 */
export function trainEpoch(st: TrainState, a: Architecture, d: SmallDigits, s: SgdSettings, rand: () => number): TrainState {
  const opt = sgd({ lr: s.lr, momentum: s.momentum, weightDecay: s.weightDecay });
  const xs = tf.tensor2d(d.x, [d.n, PIXELS]);
  const ys = tf.tensor1d(d.y, 'int32');
  const order = shuffleInPlace(Array.from({ length: d.n }, (_v, i) => i), rand);
  let { params, optState, step } = st;
  const frozenOf = (ps: NetParams) => ps.map((l, i) => (st.trainable[i] ? null : l));
  const loss = (train: NetParams, frozen: (NetParams[number] | null)[], x: tf.Tensor2D, y: tf.Tensor1D) => {
    let k = 0;
    const all = frozen.map((l) => l ?? (train[k++] as NetParams[number]));
    return sparseSoftmaxCrossEntropy(y, netLogits(all, a, x));
  };
  for (let at = 0; at + s.batchSize <= d.n; at += s.batchSize) {
    const train = params.filter((_l, i) => st.trainable[i]);
    const [nextTrain, nextOpt] = tidyTree(() => {
      const idx = tf.tensor1d(order.slice(at, at + s.batchSize), 'int32');
      const { grads } = valueAndGrad(loss)(train, frozenOf(params), tf.gather(xs, idx) as tf.Tensor2D, tf.gather(ys, idx) as tf.Tensor1D);
      const norm = Math.sqrt(grads.reduce((acc, l) => acc + (tf.sum(tf.square(l.w)).dataSync()[0] as number) + (tf.sum(tf.square(l.b)).dataSync()[0] as number), 0));
      const clipped = norm > CLIP_NORM ? grads.map((l) => ({ w: tf.mul(l.w, CLIP_NORM / norm), b: tf.mul(l.b, CLIP_NORM / norm) })) : grads;
      const [u, next] = opt.update(clipped, optState, train, step);
      return [applyUpdates(train, u), next];
    }) as [NetParams, Tree[]];
    let k = 0;
    params = params.map((l, i) => (st.trainable[i] ? (nextTrain[k++] as NetParams[number]) : l));
    treeDispose(train);
    disposeState(optState);
    optState = nextOpt;
    step++;
  }
  tf.dispose([xs, ys]);
  for (const l of params) {
    const ok = tf.tidy(() => tf.all(tf.isFinite(tf.concat([tf.reshape(l.w, [-1]), l.b]))));
    const finite = ok.dataSync()[0] === 1;
    ok.dispose();
    if (!finite) {
      throw new Error(`zoo: training produced non-finite weights (learning rate ${s.lr}, momentum ${s.momentum}); this should not happen with gradient clipping`);
    }
  }
  return { params, trainable: st.trainable, optState, step };
}

/** Frees a training state's tensors. */
export function disposeTraining(st: TrainState): void {
  treeDispose(st.params);
  disposeState(st.optState);
}
