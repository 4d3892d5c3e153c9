/**
 * A small data hyper-cleaning run (Franceschi et al. 2017) for the browser page and its Node check:
 * a linear classifier on a few hundred MNIST digits, half of whose labels are replaced by random
 * ones, trained with per-example weights `sigmoid(lambda_i)`; the weights are tuned on the
 * validation cross-entropy by implicit differentiation (CG). The same code runs in the page and
 * under Node, so the end-to-end test can compare their numbers.
 */
import * as tf from '@tensorflow/tfjs-core';
// Module by module, not from src/index.js: the entry also imports hypergrad's Node-only parts
// (PNG plots through a native addon, worker threads), which a browser bundle cannot hold.
import { registerRules } from '../../../src/autodiff/registerRules.js';
import { sparseSoftmaxCrossEntropy } from '../../../src/losses/losses.js';
import { Engine } from '../../../src/multilevel/engine.js';
import type { HypergradientOptions } from '../../../src/multilevel/hypergradients/types.js';
import { ImplicitProblem } from '../../../src/multilevel/problem.js';
import { adam, sgd } from '../../../src/optim/optimizers.js';
import { seededRandom } from '../../../src/util/random.js';

/** Digits as flat arrays: `x` is `[n, 784]` in [0, 1]. */
export interface DemoDigits {
  x: Float32Array;
  y: Int32Array;
  n: number;
}

/** Options of {@link runCleaningDemo}. */
export interface CleaningDemoOptions {
  /** Outer steps; default 12. */
  outerSteps?: number;
  /** Inner SGD steps per outer step; default 20. */
  innerSteps?: number;
  /** Hypergradient method; default CG with 5 iterations. */
  method?: HypergradientOptions;
  /** Seed of the label corruption; default 1. */
  seed?: number;
  /** The engine's `config.readEvery`; default the backend's (see `defaultReadEvery`). */
  readEvery?: number;
  /** Called after each outer step with its number (from 1) and the validation loss. */
  onStep?: (step: number, validationLoss: number) => void;
}

/** What {@link runCleaningDemo} measured. */
export interface CleaningDemoResult {
  /** Validation cross-entropy after each outer step. */
  validationLoss: number[];
  /** Validation cross-entropy of the untrained classifier (ln 10). */
  initialLoss: number;
  /** Of the training labels flagged (weight < 1/2), the fraction truly corrupted. */
  precision: number;
  /** Seconds per outer step. */
  secondsPerOuterStep: number;
}

type Linear = { w: tf.Tensor2D; b: tf.Tensor1D };
type Batch = { x: tf.Tensor2D; y: tf.Tensor1D };

const logits = (p: Linear, x: tf.Tensor2D) => tf.add(tf.matMul(x, p.w), p.b) as tf.Tensor2D;

/** Reads a scalar asynchronously (the read every backend allows, webgpu in Node included). */
async function scalar(t: tf.Tensor): Promise<number> {
  const v = (await t.data())[0] as number;
  t.dispose();
  return v;
}

/**
 * Runs the demo on the current backend: `train` gets its labels corrupted with probability 1/2,
 * `valid` stays clean. Returns the validation loss after each outer step.
 */
export async function runCleaningDemo(train: DemoDigits, valid: DemoDigits, o: CleaningDemoOptions = {}): Promise<CleaningDemoResult> {
  const { outerSteps = 12, innerSteps = 20, method = { method: 'cg', iterations: 5 }, seed = 1 } = o;
  registerRules();
  const rand = seededRandom(seed);
  const noisy = Int32Array.from(train.y, (y) => (rand() < 0.5 ? Math.floor(rand() * 10) : y));
  const trainB: Batch = { x: tf.tensor2d(train.x, [train.n, 784]), y: tf.tensor1d(noisy, 'int32') };
  const validB: Batch = { x: tf.tensor2d(valid.x, [valid.n, 784]), y: tf.tensor1d(valid.y, 'int32') };
  const classifier = new ImplicitProblem<Linear, Batch>({
    name: 'classifier', optimizer: sgd({ lr: 0.5 }), data: [trainB], config: { hypergradient: method, unrollSteps: innerSteps },
    module: { params: { w: tf.zeros([784, 10]), b: tf.zeros([10]) } },
    trainingStep: (b, ctx) => {
      const ce = sparseSoftmaxCrossEntropy(b.y, logits(ctx.params, b.x), { reduction: 'none' });
      return tf.add(tf.mean(tf.mul(tf.sigmoid(ctx.get<tf.Tensor>('weights')), ce)), tf.mul(5e-4, tf.sum(tf.square(ctx.params.w))));
    },
  });
  const weights = new ImplicitProblem<tf.Tensor1D, Batch>({
    name: 'weights', module: { params: tf.zeros([train.n]) }, optimizer: adam({ lr: 0.3 }), data: [validB],
    trainingStep: (b, ctx) => sparseSoftmaxCrossEntropy(b.y, logits(ctx.get<Linear>('classifier'), b.x)),
  });
  classifier.setBatch(trainB);
  weights.setBatch(validB);
  const engine = new Engine({
    problems: [weights, classifier], dependencies: { u2l: { weights: ['classifier'] }, l2u: { classifier: ['weights'] } },
    config: { iterations: innerSteps, ...(o.readEvery !== undefined ? { readEvery: o.readEvery } : {}) },
  });
  const validCe = () => scalar(tf.tidy(() => sparseSoftmaxCrossEntropy(validB.y, logits(classifier.params, validB.x))));
  const initialLoss = await validCe();
  const validationLoss: number[] = [];
  const t0 = performance.now();
  for (let s = 1; s <= outerSteps; s++) {
    await engine.run();
    validationLoss.push(await validCe());
    o.onStep?.(s, validationLoss[s - 1] as number);
  }
  const secondsPerOuterStep = (performance.now() - t0) / 1000 / outerSteps;
  const w = tf.tidy(() => tf.sigmoid(weights.params));
  const wv = await w.data();
  w.dispose();
  let flagged = 0;
  let hits = 0;
  wv.forEach((wi, i) => {
    if (wi < 0.5) {
      flagged++;
      if (noisy[i] !== train.y[i]) hits++;
    }
  });
  engine.dispose();
  tf.dispose([trainB.x, trainB.y, validB.x, validB.y]);
  return { validationLoss, initialLoss, precision: flagged === 0 ? 0 : hits / flagged, secondsPerOuterStep };
}
