/**
 * Per-parameter L2 hyperparameter optimisation (as in hypertorch and BETTY): logistic regression on
 * n = 1000 points in d = 20 dimensions, labels `1[x . w0 + 0.1 eps > 0]`, a 50/50 train/validation
 * split, an equally sized test set. Inner: BCE + `1/2 w^T diag(lambda) w` with SGD (lr 0.1);
 * outer: lambda (one per coefficient, clamped at 1e-8) on the validation BCE, SGD lr 1 momentum 0.9.
 * Reported: test BCE of the tuned model against the untuned start (lambda = 1).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  Engine, type HypergradientOptions, ImplicitProblem, IterativeProblem, type ProblemOptions, normalTensor, seededRandom, sgd,
  sigmoidCrossEntropy,
} from '../src/index.js';
import { COMPARED_WITH_ES, hypergradientAfter, learningRate, readScalar, replaysInnerLoop, stepsBefore, trackOuterSteps } from './harness.js';
import type { ProblemReport, ProblemRunOptions, ProblemSpec } from './types.js';

type Batch = { x: tf.Tensor2D; y: tf.Tensor1D };
/** The state: the coefficients and the penalties. */
export interface L2State {
  /** Coefficients w. */
  w: number[];
  /** Penalties lambda. */
  lambda: number[];
}

const D = 20;
const logits = (w: tf.Tensor, b: Batch) => tf.squeeze(tf.matMul(b.x, tf.reshape(w, [D, 1])), [1]);

function data(seed: number): { train: Batch; valid: Batch; test: Batch; dispose: () => void } {
  const rand = seededRandom(seed);
  const w0 = normalTensor([D, 1], rand);
  const make = (n: number): Batch => tf.tidy(() => {
    const x = normalTensor([n, D], rand) as tf.Tensor2D;
    const y = tf.cast(tf.greater(tf.squeeze(tf.add(tf.matMul(x, w0), tf.mul(0.1, normalTensor([n, 1], rand))), [1]), 0), 'float32') as tf.Tensor1D;
    return { x, y };
  });
  const [train, valid, test] = [make(500), make(500), make(500)] as [Batch, Batch, Batch];
  return { train, valid, test, dispose: () => tf.dispose([w0, train.x, train.y, valid.x, valid.y, test.x, test.y]) };
}

function problems(method: HypergradientOptions, innerSteps: number, d: { train: Batch; valid: Batch }, state?: L2State, lr?: ProblemRunOptions['learningRates']) {
  const w0 = state ? tf.tensor1d(state.w) : tf.zeros([D]);
  const lambda0 = state ? tf.tensor1d(state.lambda) : tf.ones([D]);
  const innerOptions: ProblemOptions<tf.Tensor, Batch> = {
    name: 'inner', module: { params: w0 }, optimizer: sgd({ lr: learningRate(lr, 'inner', 0.1) }), data: [d.train],
    config: { hypergradient: method, unrollSteps: innerSteps },
    trainingStep: (b, ctx) => tf.add(sigmoidCrossEntropy(b.y, logits(ctx.params, b)), tf.mul(0.5, tf.sum(tf.mul(ctx.get<tf.Tensor>('outer'), tf.square(ctx.params))))),
  };
  const inner = replaysInnerLoop(method) && state === undefined ? new IterativeProblem(innerOptions) : new ImplicitProblem(innerOptions);
  const outer = new ImplicitProblem<tf.Tensor, Batch>({
    name: 'outer', module: { params: lambda0 }, optimizer: sgd({ lr: learningRate(lr, 'outer', 1), momentum: 0.9 }), data: [d.valid],
    paramCallback: (lam) => tf.maximum(lam, 1e-8),
    trainingStep: (b, ctx) => sigmoidCrossEntropy(b.y, logits(ctx.get<tf.Tensor>('inner'), b)),
  });
  tf.dispose([w0, lambda0]); // the problems hold copies
  inner.setBatch(d.train);
  outer.setBatch(d.valid);
  // One outer step per engine.run().
  const engine = new Engine({ problems: [outer, inner], dependencies: { u2l: { outer: ['inner'] }, l2u: { inner: ['outer'] } }, config: { iterations: innerSteps } });
  return { inner, outer, engine };
}

const bce = (w: tf.Tensor, b: Batch): Promise<number> => readScalar(tf.tidy(() => sigmoidCrossEntropy(b.y, logits(w, b))));

/** Runs the L2 HPO; see the module comment. */
export async function l2Hpo({ method = { method: 'cg', iterations: 3 }, outerSteps = 20, innerSteps = 100, seed = 0, onOuterStep, ...run }: ProblemRunOptions = {}): Promise<ProblemReport<L2State>> {
  const d = data(seed);
  const { inner, outer, engine } = problems(method, innerSteps, d, undefined, run.learningRates);
  const tracked = await trackOuterSteps(engine, outerSteps, () => bce(inner.params, d.valid), 1, onOuterStep, run);
  await engine.stepOnly('inner', innerSteps); // the inner optimum under the final lambda
  const state: L2State = { w: Array.from(await inner.params.data()), lambda: Array.from(await outer.params.data()) };
  const tuned = await bce(inner.params, d.test);
  const validationLoss = await bce(inner.params, d.valid);
  engine.dispose();
  // Untuned: the same inner training with lambda fixed at its start (1).
  const base = problems({ method: 'firstOrder' }, innerSteps, d, undefined, run.learningRates);
  await base.engine.stepOnly('inner', innerSteps * (outerSteps + 1));
  const baseline = await bce(base.inner.params, d.test);
  base.engine.dispose();
  d.dispose();
  return {
    validationLoss, test: { name: 'test BCE', value: tuned, baseline, higherIsBetter: false },
    extras: { meanLambda: state.lambda.reduce((a, b) => a + b, 0) / D }, ...tracked, state,
  };
}

/** The hypergradient d(validation BCE)/d(lambda) at a state (unrolled: through innerSteps steps from it). */
export async function l2HpoHypergradient(state: L2State, method: HypergradientOptions, { innerSteps = 100, seed = 0, learningRates }: ProblemRunOptions = {}): Promise<number[]> {
  const d = data(seed);
  const { engine } = problems(method, innerSteps, d, state, learningRates);
  const out = await hypergradientAfter(engine, 'inner', 'outer', stepsBefore(method, innerSteps));
  d.dispose();
  return out;
}

/** The problem's CLI entry. */
export const l2HpoProblem: ProblemSpec<L2State> = {
  name: 'l2-hpo',
  description: 'per-parameter L2 penalties of a logistic regression (n = 1000, d = 20), tuned on validation BCE',
  defaults: { run: [20, 100], compare: [10, 100], alpha: 1 },
  learningRates: { inner: 0.1, outer: 1 },
  reference: { method: 'cg', iterations: 100 },
  compareMethods: COMPARED_WITH_ES,
  run: l2Hpo,
  hypergradientAt: l2HpoHypergradient,
};
