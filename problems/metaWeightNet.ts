/**
 * Data reweighting with a meta-network (Meta-Weight-Net, Shu et al. 2019) on a long-tailed MNIST.
 *
 * Data: from a seeded pool of digits, class `c` keeps `round(nMax * imbalance^(-c/9))` training
 * examples (400 down to 4 at imbalance 100); a balanced meta set (10 per class) and a test set of
 * 2,000 digits (the pool's natural, nearly uniform, class mix) are disjoint from it.
 *
 * Lower problem (classifier, a linear softmax model `W x + b`): full-batch gradient steps on the
 * normalised weighted loss `sum_i v_i CE_i / sum_i v_i + 0.01/2 |W|^2`, with `v_i = V(stopGradient(CE_i); phi)`.
 * Upper problem (the meta-network `V`, an MLP 1-16-1 with a sigmoid output, as in the paper): `phi`
 * trained on the meta set's cross-entropy through the classifier. The weights read the loss as a
 * constant, as in the paper, so the classifier's update is `-lr * sum_i v_i grad CE_i / sum_i v_i`.
 * By default one classifier step per meta step, with `unrolled`: the paper's one-step look-ahead,
 * and the exact derivative of that step. With more inner steps, `unrolled` differentiates the
 * detached dynamics (each step's weights read its losses as constants, as `.detach()` in the
 * paper's code); the implicit methods use the Hessian of the same weighted loss.
 *
 * Reported: balanced test accuracy (mean of per-class accuracies) against the same classifier
 * trained for the same steps with uniform weights; also the mean accuracy on the five rarest classes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Engine, type HypergradientOptions, ImplicitProblem, type ProblemOptions, adam, normalTensor, seededRandom, sgd, sparseSoftmaxCrossEntropy, stopGradient } from '../src/index.js';
import { type Digits, mnistSplits } from '../src/data/mnist.js';
import { COMPARED_METHODS, type SavedRecord, hypergradientAfter, learningRate, loadRecord, readScalar, saveRecord, stepsBefore, trackOuterSteps } from './harness.js';
import type { ProblemReport, ProblemRunOptions, ProblemSpec } from './types.js';

/** Options of {@link metaWeightNet} beyond the common ones. */
export interface MetaWeightNetOptions extends ProblemRunOptions {
  /** Ratio of the most to the least frequent class's count; default 100. */
  imbalance?: number;
  /** Training examples of the most frequent class; default 400. */
  nMax?: number;
}

/** The state: the classifier and the meta-network. */
export interface MetaWeightNetState {
  /** Classifier `{w, b}`. */
  classifier: SavedRecord;
  /** Meta-network `{w1, b1, w2, b2}`. */
  meta: SavedRecord;
}

/** A linear classifier. */
export type Linear = { w: tf.Tensor; b: tf.Tensor; [k: string]: tf.Tensor };
/** The meta-network's parameters. */
export type MetaNet = { w1: tf.Tensor; b1: tf.Tensor; w2: tf.Tensor; b2: tf.Tensor; [k: string]: tf.Tensor };
/** Digits and labels. */
export type Batch = { x: tf.Tensor2D; y: tf.Tensor1D };

const HIDDEN = 16;
/** The classifier's learning rate. */
export const INNER_LR = 0.5;
/** L2 on the classifier's weights: without it a linear model fits every training digit and no weighting of losses matters. */
const L2 = 0.01;
/** The classifier's logits. */
export const logits = (p: Linear, x: tf.Tensor2D) => tf.add(tf.matMul(x, p.w), p.b);
/** The meta-network: per-example losses `[n]` to weights in (0, 1). */
export const metaWeights = (m: MetaNet, losses: tf.Tensor): tf.Tensor =>
  tf.squeeze(tf.sigmoid(tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(tf.reshape(losses, [-1, 1]), m.w1), m.b1)), m.w2), m.b2)), [1]);

/** The normalised weighted loss of the classifier, weights from the meta-network (or uniform). */
export function weightedLoss(p: Linear, b: Batch, meta: MetaNet | null): tf.Tensor {
  const ce = sparseSoftmaxCrossEntropy(b.y, logits(p, b.x), { reduction: 'none' });
  const reg = tf.mul(0.5 * L2, tf.sum(tf.square(p.w)));
  if (meta === null) return tf.add(tf.mean(ce), reg);
  const v = metaWeights(meta, stopGradient(ce));
  return tf.add(tf.div(tf.sum(tf.mul(v, ce)), tf.add(tf.sum(v), 1e-8)), reg);
}

/**
 * Long-tailed training set, balanced meta set (10 per class), test set; the same for a seed. With
 * `hyperPerClass > 0`, also a balanced third split of that many digits per class (drawn first).
 */
export function longTailedMnist(imbalance: number, nMax: number, seed: number, hyperPerClass = 0) {
  if (!(imbalance >= 1)) throw new Error(`metaWeightNet: imbalance must be a number >= 1, got ${imbalance}`);
  if (!(Number.isInteger(nMax) && nMax >= 10 && nMax <= 500)) throw new Error(`metaWeightNet: nMax must be an integer in [10, 500], got ${nMax}`);
  const [pool, test] = mnistSplits([7000, 2000], seed) as [Digits, Digits];
  const counts = Array.from({ length: 10 }, (_v, c) => Math.max(1, Math.round(nMax * imbalance ** (-c / 9))));
  const meta: number[] = [];
  const train: number[] = [];
  const hyper: number[] = [];
  const metaLeft = Array(10).fill(10) as number[];
  const hyperLeft = Array(10).fill(hyperPerClass) as number[];
  const trainLeft = counts.slice();
  for (let i = 0; i < pool.n; i++) {
    const c = pool.y[i] as number;
    if ((hyperLeft[c] as number) > 0) {
      hyperLeft[c] = (hyperLeft[c] as number) - 1;
      hyper.push(i);
    } else if ((metaLeft[c] as number) > 0) {
      metaLeft[c] = (metaLeft[c] as number) - 1;
      meta.push(i);
    } else if ((trainLeft[c] as number) > 0) {
      trainLeft[c] = (trainLeft[c] as number) - 1;
      train.push(i);
    }
  }
  const pick = (idx: number[]): Batch => {
    const x = new Float32Array(idx.length * 784);
    idx.forEach((src, k) => x.set(pool.x.subarray(src * 784, src * 784 + 784), k * 784));
    return { x: tf.tensor2d(x, [idx.length, 784]), y: tf.tensor1d(idx.map((i) => pool.y[i] as number), 'int32') };
  };
  const [tr, me] = [pick(train), pick(meta)];
  const hy = hyperPerClass > 0 ? pick(hyper) : null;
  const te: Batch = { x: tf.tensor2d(test.x, [test.n, 784]), y: tf.tensor1d(test.y, 'int32') };
  return {
    train: tr, meta: me, hyper: hy, test: te, counts,
    dispose: () => tf.dispose([tr.x, tr.y, me.x, me.y, te.x, te.y, ...(hy ? [hy.x, hy.y] : [])]),
  };
}
/** The splits. */
export type Data = ReturnType<typeof longTailedMnist>;

/** The classifier's mean cross-entropy on a batch, as a number (read asynchronously). */
export const crossEntropyOn = (p: Linear, b: Batch): Promise<number> => readScalar(tf.tidy(() => sparseSoftmaxCrossEntropy(b.y, logits(p, b.x))));

/** Per-class test accuracies of a classifier. */
export async function classAccuracies(p: Linear, b: Batch): Promise<number[]> {
  const predicted = tf.tidy(() => tf.argMax(logits(p, b.x), 1));
  const [pred, y] = [await predicted.data(), await b.y.data()] as [Int32Array, Int32Array];
  predicted.dispose();
  const hit = Array(10).fill(0) as number[];
  const all = Array(10).fill(0) as number[];
  y.forEach((c, i) => {
    all[c] = (all[c] as number) + 1;
    if (pred[i] === c) hit[c] = (hit[c] as number) + 1;
  });
  return hit.map((h, c) => h / Math.max(1, all[c] as number));
}
/** The mean of a list. */
export const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

/** A meta-network near uniform weights. */
export function initMeta(seed: number): MetaNet {
  const rand = seededRandom(seed + 11);
  // Starts near uniform weights (b2 = 0: v = 1/2 whatever the loss), with room to grow either way.
  return tf.tidy(() => ({ w1: tf.mul(normalTensor([1, HIDDEN], rand), 1), b1: tf.mul(normalTensor([HIDDEN], rand), 0.1), w2: tf.mul(normalTensor([HIDDEN, 1], rand), 0.1), b2: tf.zeros([1]) }));
}
/** A zero classifier. */
export const zerosLinear = (): Linear => ({ w: tf.zeros([784, 10]), b: tf.zeros([10]) });

/** The bilevel program (from scratch, or from a state); one meta step per `engine.run()`. */
export function mwnProgram(d: Data, method: HypergradientOptions, innerSteps: number, seed: number, state?: MetaWeightNetState, lr?: ProblemRunOptions['learningRates']) {
  const c0 = state ? loadRecord<Linear>(state.classifier) : zerosLinear();
  const m0 = state ? loadRecord<MetaNet>(state.meta) : initMeta(seed);
  const classifierOptions: ProblemOptions<Linear, Batch> = {
    name: 'classifier', module: { params: c0 }, optimizer: sgd({ lr: learningRate(lr, 'classifier', INNER_LR) }),
    data: [d.train], config: { hypergradient: method, unrollSteps: innerSteps },
    trainingStep: (b, ctx) => weightedLoss(ctx.params, b, ctx.get<MetaNet>('meta')),
  };
  // The classifier keeps training across meta steps (an IterativeProblem would restart it).
  const classifier = new ImplicitProblem(classifierOptions);
  const meta = new ImplicitProblem<MetaNet, Batch>({
    name: 'meta', module: { params: m0 }, optimizer: adam({ lr: learningRate(lr, 'meta', 0.05) }), data: [d.meta],
    trainingStep: (b, ctx) => sparseSoftmaxCrossEntropy(b.y, logits(ctx.get<Linear>('classifier'), b.x)),
  });
  tf.dispose([...Object.values(c0), ...Object.values(m0)]); // the problems hold copies
  classifier.setBatch(d.train);
  meta.setBatch(d.meta);
  const engine = new Engine({
    problems: [meta, classifier], dependencies: { u2l: { meta: ['classifier'] }, l2u: { classifier: ['meta'] } }, config: { iterations: innerSteps },
  });
  return { classifier, meta, engine };
}

/** Per-class test accuracies of the classifier trained for `steps` with uniform weights. */
export async function uniformBaseline(d: Data, steps: number): Promise<number[]> {
  const c0 = zerosLinear();
  const p = new ImplicitProblem<Linear, Batch>({
    name: 'baseline', module: { params: c0 }, optimizer: sgd({ lr: INNER_LR }), data: [d.train],
    trainingStep: (b, ctx) => weightedLoss(ctx.params, b, null),
  });
  tf.dispose(Object.values(c0));
  const engine = new Engine({ problems: [p], dependencies: {}, config: { iterations: steps } });
  await engine.run();
  const acc = await classAccuracies(p.params, d.test);
  engine.dispose();
  return acc;
}

/** Runs Meta-Weight-Net and the uniform-weight baseline; see the module comment. */
export async function metaWeightNet(o: MetaWeightNetOptions = {}): Promise<ProblemReport<MetaWeightNetState>> {
  const { method = { method: 'unrolled' }, outerSteps = 500, innerSteps = 1, seed = 0, imbalance = 100, nMax = 400 } = o;
  const d = longTailedMnist(imbalance, nMax, seed);
  const { classifier, meta, engine } = mwnProgram(d, method, innerSteps, seed, undefined, o.learningRates);
  const metaCe = () => crossEntropyOn(classifier.params, d.meta);
  const tracked = await trackOuterSteps(engine, outerSteps, metaCe, Math.max(1, Math.floor(outerSteps / 50)), o.onOuterStep, o);
  const tuned = await classAccuracies(classifier.params, d.test);
  const state: MetaWeightNetState = { classifier: await saveRecord(classifier.params), meta: await saveRecord(meta.params) };
  const validationLoss = await metaCe();
  engine.dispose();
  const base = await uniformBaseline(d, outerSteps * innerSteps);
  d.dispose();
  return {
    validationLoss, test: { name: 'bal. acc', value: mean(tuned), baseline: mean(base), higherIsBetter: true },
    extras: { rareAcc: mean(tuned.slice(5)), rareBase: mean(base.slice(5)) }, ...tracked, state,
  };
}

/** The hypergradient (flattened) with respect to the meta-network at a state. */
export async function metaWeightNetHypergradient(state: MetaWeightNetState, method: HypergradientOptions, o: MetaWeightNetOptions = {}): Promise<number[]> {
  const { innerSteps = 1, seed = 0, imbalance = 100, nMax = 400 } = o;
  const d = longTailedMnist(imbalance, nMax, seed);
  const { engine } = mwnProgram(d, method, innerSteps, seed, state, o.learningRates);
  const out = await hypergradientAfter(engine, 'classifier', 'meta', stepsBefore(method, innerSteps));
  d.dispose();
  return out;
}

/** The problem's CLI entry. */
export const metaWeightNetProblem: ProblemSpec<MetaWeightNetState> = {
  name: 'meta-weight-net',
  description: 'Meta-Weight-Net on long-tailed MNIST (imbalance 100): an MLP maps each example\'s loss to its weight',
  // alpha: the Neumann step. Its Hessian's curvature reaches 10.8 during training (0.5 diverges
  // within 30 outer steps: the series needs alpha < 2 / lambda_max <= 0.185); 0.05 runs all 500.
  defaults: { run: [500, 1], compare: [250, 1], alpha: 0.05 },
  learningRates: { classifier: INNER_LR, meta: 0.05 },
  reference: { method: 'unrolled' },
  runMethod: 'unrolled',
  // ES is left out: the meta-network has too many parameters for a zero-order estimate.
  compareMethods: COMPARED_METHODS,
  run: metaWeightNet,
  hypergradientAt: metaWeightNetHypergradient,
};
