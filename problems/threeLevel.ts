/**
 * A 3-level program: a hyperparameter of the meta-learner, above a reweighting meta-network, above
 * a classifier (Meta-Weight-Net's setting, {@link metaWeightNet}, with one level more).
 *
 * - Level 3, `classifier` (bottom): the linear classifier on the long-tailed MNIST training set,
 *   loss `sum_i v_i CE_i / sum_i v_i + 0.01/2 |W|^2` with `v_i = V(stopGradient(CE_i); phi)`.
 * - Level 2, `meta`: the meta-network `phi`, loss `CE_meta(W*(phi)) + exp(a)/2 |phi|^2` on the
 *   balanced meta set (10 digits per class): the meta-learner with a weight decay.
 * - Level 1, `decay` (top): `a`, the meta-network's log weight decay, trained on a second balanced
 *   split (20 per class) by the cross-entropy of the classifier at the bottom, `CE_hyper(W*(phi*(a)))`.
 *
 * The top level's hypergradient passes through two optima: `d phi* / d a` by the meta problem's
 * method, whose Hessian-vector products differentiate the classifier's response (third
 * derivatives of the classifier's loss), and `d W* / d phi` by the classifier's method. `method`
 * sets both. The classifier steps every iteration, the meta-network after each classifier step, the
 * top level after every `innerSteps` meta steps (one outer step).
 *
 * Reported: balanced test accuracy against the classifier trained with uniform weights; also
 * against the 2-level program with `a` held at its start (`fixedDecayAcc`) and the learned decay.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Engine, type HypergradientOptions, ImplicitProblem, adam, sgd, sparseSoftmaxCrossEntropy } from '../src/index.js';
import { type SavedRecord, hypergradientAfter, learningRate, loadRecord, saveRecord, trackOuterSteps } from './harness.js';
import {
  type Batch, type Data, INNER_LR, type Linear, type MetaNet, classAccuracies, crossEntropyOn, initMeta, logits, longTailedMnist, mean, uniformBaseline,
  weightedLoss, zerosLinear,
} from './metaWeightNet.js';
import type { ProblemReport, ProblemRunOptions, ProblemSpec } from './types.js';

/** The state of all three levels. */
export interface ThreeLevelState {
  /** Classifier `{w, b}`. */
  classifier: SavedRecord;
  /** Meta-network. */
  meta: SavedRecord;
  /** The log weight decay `a`. */
  decay: number;
}

/** The methods this problem supports: implicit ones (each level's optimum is solved for). */
export const THREE_LEVEL_METHODS = ['cg', 'neumann', 'fixedPoint', 'firstOrder'] as const;
/** The meta-network's log weight decay at the start. */
export const INITIAL_LOG_DECAY = Math.log(1e-2);

function checkMethod(method: HypergradientOptions): void {
  if (!(THREE_LEVEL_METHODS as readonly string[]).includes(method.method)) {
    throw new Error(`three-level: method '${method.method}' is not supported; use ${THREE_LEVEL_METHODS.join(', ')} (the classifier is read by two levels, so its inner loop is not unrolled)`);
  }
}

const data = (seed: number) => longTailedMnist(100, 400, seed, 20);
const hyperSplit = (d: Data) => d.hyper as Batch;

/** The program; `fixedDecay` leaves out the top level (a held at its start). */
function program(d: Data, method: HypergradientOptions, innerSteps: number, seed: number, state?: ThreeLevelState, fixedDecay = false, lr?: ProblemRunOptions['learningRates']) {
  checkMethod(method);
  const c0 = state ? loadRecord<Linear>(state.classifier) : zerosLinear();
  const m0 = state ? loadRecord<MetaNet>(state.meta) : initMeta(seed);
  const fixed = tf.scalar(INITIAL_LOG_DECAY);
  const classifier = new ImplicitProblem<Linear, Batch>({
    name: 'classifier', module: { params: c0 }, optimizer: sgd({ lr: learningRate(lr, 'classifier', INNER_LR) }), data: [d.train], config: { hypergradient: method },
    trainingStep: (b, ctx) => weightedLoss(ctx.params, b, ctx.get<MetaNet>('meta')),
  });
  const meta = new ImplicitProblem<MetaNet, Batch>({
    name: 'meta', module: { params: m0 }, optimizer: adam({ lr: learningRate(lr, 'meta', 0.05) }), data: [d.meta], config: { hypergradient: method, unrollSteps: innerSteps },
    trainingStep: (b, ctx) => {
      const a = fixedDecay ? fixed : ctx.get<tf.Tensor>('decay');
      const sq = tf.addN(Object.values(ctx.params).map((t) => tf.sum(tf.square(t))));
      return tf.add(sparseSoftmaxCrossEntropy(b.y, logits(ctx.get<Linear>('classifier'), b.x)), tf.mul(tf.mul(0.5, tf.exp(a)), sq));
    },
  });
  const a0 = tf.scalar(state?.decay ?? INITIAL_LOG_DECAY);
  const decay = new ImplicitProblem<tf.Tensor, Batch>({
    name: 'decay', module: { params: a0 }, optimizer: adam({ lr: learningRate(lr, 'decay', 0.1) }), data: [hyperSplit(d)],
    trainingStep: (b, ctx) => sparseSoftmaxCrossEntropy(b.y, logits(ctx.get<Linear>('classifier'), b.x)),
  });
  tf.dispose([...Object.values(c0), ...Object.values(m0), a0]); // the problems hold copies
  classifier.setBatch(d.train);
  meta.setBatch(d.meta);
  decay.setBatch(hyperSplit(d));
  const engine = fixedDecay
    ? new Engine({ problems: [meta, classifier], dependencies: { u2l: { meta: ['classifier'] }, l2u: { classifier: ['meta'] } }, config: { iterations: innerSteps } })
    : new Engine({
      problems: [decay, meta, classifier],
      dependencies: { u2l: { decay: ['meta'], meta: ['classifier'] }, l2u: { classifier: ['meta', 'decay'], meta: ['decay'] } },
      config: { iterations: innerSteps },
    });
  return { classifier, meta, decay, engine, fixed, dispose: () => { engine.dispose(); if (fixedDecay) decay.dispose(); fixed.dispose(); } };
}

/**
 * Runs the 3-level program, the 2-level one with the decay fixed, and the uniform-weight baseline.
 * The default method is cg(5) damped by 10: the classifier's Hessian is indefinite early on (11 of
 * its 49 eigenvalues negative after 5 steps), where an undamped truncated CG's answer turns on
 * float32 rounding (changing only the order of its sums swung the held-out balanced accuracy from
 * 0.65 to 0.40, and damping 1 gave 0.41); damped by 10, both orders give 0.64.
 */
export async function threeLevel({ method = { method: 'cg', iterations: 5, damping: 10 }, outerSteps = 20, innerSteps = 5, seed = 0, onOuterStep, ...run }: ProblemRunOptions = {}): Promise<ProblemReport<ThreeLevelState>> {
  const d = data(seed);
  const p = program(d, method, innerSteps, seed, undefined, false, run.learningRates);
  const hyperCe = () => crossEntropyOn(p.classifier.params, hyperSplit(d));
  const tracked = await trackOuterSteps(p.engine, outerSteps, hyperCe, 1, onOuterStep, run);
  const tuned = await classAccuracies(p.classifier.params, d.test);
  const validationLoss = await hyperCe();
  const state: ThreeLevelState = { classifier: await saveRecord(p.classifier.params), meta: await saveRecord(p.meta.params), decay: (await p.decay.params.data())[0] as number };
  p.dispose();
  const two = program(d, method, innerSteps, seed, undefined, true, run.learningRates);
  for (let s = 0; s < outerSteps; s++) await two.engine.run();
  const fixedDecayAcc = mean(await classAccuracies(two.classifier.params, d.test));
  two.dispose();
  const base = await uniformBaseline(d, outerSteps * innerSteps);
  d.dispose();
  return {
    validationLoss, test: { name: 'bal. acc', value: mean(tuned), baseline: mean(base), higherIsBetter: true },
    extras: { fixedDecayAcc, decay: Math.exp(state.decay) }, ...tracked, state,
  };
}

/** The top level's hypergradient d(CE_hyper)/d(a) at a state, by `method` at both lower levels. */
export async function threeLevelHypergradient(state: ThreeLevelState, method: HypergradientOptions, { innerSteps = 5, seed = 0, learningRates }: ProblemRunOptions = {}): Promise<number[]> {
  const d = data(seed);
  const p = program(d, method, innerSteps, seed, state, false, learningRates);
  const out = await hypergradientAfter(p.engine, 'meta', 'decay', 0); // disposes the engine
  p.fixed.dispose();
  d.dispose();
  return out;
}

/** The problem's CLI entry. */
export const threeLevelProblem: ProblemSpec<ThreeLevelState> = {
  name: 'three-level',
  description: 'a 3-level program: the meta-network\'s weight decay, above Meta-Weight-Net, above a classifier (long-tailed MNIST)',
  defaults: { run: [20, 5], compare: [10, 5], alpha: 0.5, damping: 10 }, // damping: see threeLevel's TSDoc
  learningRates: { classifier: INNER_LR, meta: 0.05, decay: 0.1 },
  reference: { method: 'cg', iterations: 15 },
  methods: THREE_LEVEL_METHODS,
  // Neumann and fixed-point, 20 iterations at each of two nested levels, take minutes per outer step.
  compareMethods: ['cg', 'firstOrder'],
  run: threeLevel,
  hypergradientAt: threeLevelHypergradient,
};
