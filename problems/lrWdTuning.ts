/**
 * Learning-rate and weight-decay tuning by hypergradient of an MLP (784-64-10) on MNIST: the inner
 * problem trains the MLP with SGD (momentum 0.9) at `exp(log lr)` with L2 `exp(log wd)`; the outer
 * problem moves `[log lr, log wd]` by Adam on the validation cross-entropy, through the recorded
 * inner steps (`unrolled`; implicit methods only see the weight decay, since the learning rate does
 * not move the optimum). Reported: test accuracy against the same training with the initial
 * hyperparameters held fixed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type HypergradientOptions, seededRandom } from '../src/index.js';
import { type Digits, mnistSplits } from '../src/data/mnist.js';
import { type Mlp, lrWdProgram, randomBatches, readMlpValidation } from '../src/models/index.js';
import { COMPARED_WITH_ES, type SavedRecord, hypergradientAfter, learningRate, loadRecord, saveRecord, stepsBefore, trackOuterSteps } from './harness.js';
import type { ProblemReport, ProblemRunOptions, ProblemSpec } from './types.js';

/** The state: MLP parameters and `[log lr, log wd]`. */
export interface LrWdState {
  /** MLP parameters, by name. */
  mlp: SavedRecord;
  /** `[log lr, log wd]`. */
  h: number[];
}

const SIZES = [4000, 2000, 2000];

function setup(seed: number) {
  const [train, valid, test] = mnistSplits(SIZES, seed) as [Digits, Digits, Digits];
  const t = (d: Digits) => ({ x: tf.tensor2d(d.x, [d.n, 784]), y: tf.tensor1d(d.y, 'int32'), n: d.n });
  const [tr, va, te] = [t(train), t(valid), t(test)];
  return { tr, va, te, dispose: () => tf.dispose([tr.x, tr.y, va.x, va.y, te.x, te.y]) };
}

function build(d: ReturnType<typeof setup>, method: HypergradientOptions, innerSteps: number, seed: number, lr?: ProblemRunOptions['learningRates']) {
  const rand = seededRandom(seed + 7);
  return lrWdProgram({
    hidden: 64, segmentSteps: innerSteps, outerLr: learningRate(lr, 'outer', 0.1), initialLr: 0.01, initialWeightDecay: 1e-4, rand, method,
    trainBatches: randomBatches(d.tr.x, d.tr.y, d.tr.n, 64, rand), validBatches: randomBatches(d.va.x, d.va.y, d.va.n, 256, rand),
  });
}

async function train(method: HypergradientOptions, outerSteps: number, innerSteps: number, seed: number, d: ReturnType<typeof setup>, onOuterStep?: ProblemRunOptions['onOuterStep'],
  run: ProblemRunOptions = {}) {
  const p = build(d, method, innerSteps, seed, run.learningRates);
  return { p, ...(await trackOuterSteps(p.engine, outerSteps, async () => (await readMlpValidation(p.inner.params, d.va.x, d.va.y)).loss, 1, onOuterStep, run)) };
}

/** Runs the tuning and its fixed-hyperparameter baseline; see the module comment. */
export async function lrWdTuning({ method = { method: 'unrolled' }, outerSteps = 30, innerSteps = 20, seed = 0, onOuterStep, ...rest }: ProblemRunOptions = {}): Promise<ProblemReport<LrWdState>> {
  const d = setup(seed);
  const run = await train(method, outerSteps, innerSteps, seed, d, onOuterStep, rest);
  const tuned = await readMlpValidation(run.p.inner.params, d.te.x, d.te.y);
  const validationLoss = (await readMlpValidation(run.p.inner.params, d.va.x, d.va.y)).loss;
  const mlp = await saveRecord(run.p.inner.params);
  const h = Array.from(await run.p.outer.params.data());
  run.p.engine.dispose();
  const base = await train({ method: 'firstOrder' }, outerSteps, innerSteps, seed, d);
  const baseline = await readMlpValidation(base.p.inner.params, d.te.x, d.te.y);
  base.p.engine.dispose();
  d.dispose();
  return {
    validationLoss, test: { name: 'test acc', value: 1 - tuned.error, baseline: 1 - baseline.error, higherIsBetter: true },
    extras: { lr: Math.exp(h[0] as number), weightDecay: Math.exp(h[1] as number) }, history: run.history,
    secondsPerOuterStep: run.secondsPerOuterStep, peakBytes: run.peakBytes, state: { mlp, h },
  };
}

/** The hypergradient with respect to `[log lr, log wd]` at a state (unrolled: through innerSteps steps from it). */
export async function lrWdHypergradient(state: LrWdState, method: HypergradientOptions, { innerSteps = 20, seed = 0, learningRates }: ProblemRunOptions = {}): Promise<number[]> {
  const d = setup(seed);
  const p = build(d, method, innerSteps, seed, learningRates);
  const mlp = loadRecord<Mlp>(state.mlp);
  p.inner.setParams(mlp);
  tf.dispose(Object.values(mlp));
  const h = tf.tensor1d(state.h);
  p.outer.setParams(h);
  h.dispose();
  await p.inner.nextBatch();
  await p.outer.nextBatch();
  const out = await hypergradientAfter(p.engine, 'inner', 'outer', stepsBefore(method, innerSteps));
  d.dispose();
  return out;
}

/** The problem's CLI entry. */
export const lrWdTuningProblem: ProblemSpec<LrWdState> = {
  name: 'lr-wd-tuning',
  description: 'learning rate and weight decay of an MLP on MNIST, tuned by hypergradient through the training steps',
  defaults: { run: [30, 20], compare: [15, 20], alpha: 0.05 },
  // The inner learning rate is the tuned hyperparameter; the outer one can be set.
  learningRates: { outer: 0.1 },
  reference: { method: 'unrolled' },
  runMethod: 'unrolled',
  compareMethods: COMPARED_WITH_ES,
  run: lrWdTuning,
  hypergradientAt: lrWdHypergradient,
};
