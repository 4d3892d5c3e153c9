import * as tf from '@tensorflow/tfjs-core';
import { type Digits, mnistSplits } from '../data/mnist.js';
import { type LrWdProgram, lrWdProgram, randomBatches } from '../models/lrWdProgram.js';
import { readMlpValidation } from '../models/mlp.js';
import { seededRandom } from '../util/random.js';
import { checkPositive, checkPositiveInteger, checkSeed } from '../util/validate.js';
import type { AskTellOptimizer, EvalResult, Trial } from './types.js';

/** Options of {@link gradientHpo}. */
export interface GradientHpoOptions {
  /** Training digits (as the mnist-mlp benchmark); default 4000. */
  trainSize?: number;
  /** Validation digits; default 2000. */
  validSize?: number;
  /** Seed of the data split (as the benchmark's); default 0. */
  dataSeed?: number;
  /** Hidden units of the MLP; default 64. */
  hidden?: number;
  /** Minibatch size; default 64. */
  batchSize?: number;
  /** Inner SGD steps per segment (and per hypergradient step); default 20. */
  segmentSteps?: number;
  /** Adam step on (log lr, log weight decay); default 0.1. */
  outerLr?: number;
  /** Initial learning rate; each run starts at it times a seeded factor in [1/3, 3]. */
  initialLr?: number;
  /** Initial weight decay; default 1e-4. */
  initialWeightDecay?: number;
  /** Seed, an integer in [0, 2^32); default 0. */
  seed?: number;
  /**
   * The clock that measures a segment's training time, in seconds (its runtime on the simulated
   * clock); default `performance.now() / 1000`. A deterministic clock makes whole runs reproducible.
   */
  now?: () => number;
}

/** A gradient-based HPO optimizer: an ask/tell optimizer that holds tensors, so it must be disposed. */
export interface GradientHpo extends AskTellOptimizer {
  /** Frees every run's model and optimizer state and the data (about 21 MiB); the optimizer is unusable after. */
  dispose(): void;
}

interface Run extends LrWdProgram {
  steps: number;
}

/**
 * Gradient-based HPO of an MLP on MNIST as an ask/tell optimizer (`gradient`): the learning rate
 * and weight decay are tuned by hypergradient with the multilevel Engine. Each trial is a segment
 * of one run, evaluated by the optimizer itself (`Trial.evaluate`): `segmentSteps` inner SGD steps
 * (momentum 0.9) on the training split at the trial's hyperparameters, then one outer Adam step on
 * (log lr, log wd) from the validation loss, differentiated through those steps (deferred
 * `unrolled`). The learning rate enters as a factor on the inner loss under a unit-rate SGD, which
 * is exactly SGD at that rate. The trial reports its validation error and, as runtime, the measured
 * training time, so it competes with black-box optimizers on the same simulated clock. Each
 * simulated worker continues its own run (a population of independent runs). Call `dispose()`
 * when done.
 */
export function gradientHpo(o: GradientHpoOptions = {}): GradientHpo {
  const { trainSize = 4000, validSize = 2000, dataSeed = 0, hidden = 64, batchSize = 64, segmentSteps = 20, outerLr = 0.1,
    initialLr = 0.01, initialWeightDecay = 1e-4, seed = 0 } = o;
  for (const [k, v] of Object.entries({ trainSize, validSize, hidden, batchSize, segmentSteps })) checkPositiveInteger('gradientHpo', k, v);
  for (const [k, v] of Object.entries({ outerLr, initialLr, initialWeightDecay })) checkPositive('gradientHpo', k, v);
  checkSeed('gradientHpo', 'seed', seed);
  checkSeed('gradientHpo', 'dataSeed', dataSeed);
  const now = o.now ?? (() => performance.now() / 1000);
  let data: { train: Digits; valid: Digits; tx: tf.Tensor2D; ty: tf.Tensor1D; vx: tf.Tensor2D; vy: tf.Tensor1D } | null = null;
  const rand = seededRandom(seed);
  const runs: Run[] = [];
  const free: Run[] = [];
  let disposed = false;

  const load = () => {
    if (data !== null) return data;
    const [train, valid] = mnistSplits([trainSize, validSize], dataSeed) as [Digits, Digits];
    data = { train, valid, tx: tf.tensor2d(train.x, [train.n, 784]), ty: tf.tensor1d(train.y, 'int32'), vx: tf.tensor2d(valid.x, [valid.n, 784]), vy: tf.tensor1d(valid.y, 'int32') };
    return data;
  };
  const newRun = (): Run => {
    const d = load();
    const r = seededRandom(Math.floor(rand() * 2 ** 30));
    const program = lrWdProgram({
      hidden, segmentSteps, outerLr, initialLr: initialLr * 3 ** (2 * r() - 1), initialWeightDecay, rand: r,
      trainBatches: randomBatches(d.tx, d.ty, d.train.n, batchSize, r), validBatches: randomBatches(d.vx, d.vy, d.valid.n, batchSize, r),
    });
    const run = { ...program, steps: 0 };
    runs.push(run);
    return run;
  };
  /** Trains one segment of `run`; reports the validation error after it and the measured training time. */
  const segment = async (run: Run): Promise<EvalResult> => {
    if (disposed) throw new Error('gradientHpo: the optimizer was disposed; build a new one');
    const t0 = now();
    await run.engine.run();
    const runtime = now() - t0;
    run.steps += segmentSteps;
    const d = load();
    const { error, loss } = await readMlpValidation(run.inner.params, d.vx, d.vy);
    return { loss: error, validCrossEntropy: loss, runtime };
  };

  const runOf = new WeakMap<Trial, Run>();
  return {
    ask: () => {
      if (disposed) throw new Error('gradientHpo: the optimizer was disposed; build a new one');
      const run = free.shift() ?? newRun();
      // Read asynchronously (no dataSync), so the optimizer runs on webgpu too.
      return run.outer.params.data().then((h) => {
        const trial: Trial = {
          config: { learning_rate: Math.exp(h[0] as number), weight_decay: Math.exp(h[1] as number), hidden_units: hidden, batch_size: batchSize },
          fidelity: Math.max(1, Math.ceil(((run.steps + segmentSteps) * batchSize) / load().train.n)),
          evaluate: () => segment(run),
        };
        runOf.set(trial, run);
        return trial;
      });
    },
    tell: (trial) => {
      const run = runOf.get(trial);
      if (run !== undefined) free.push(run);
    },
    dispose: () => {
      if (disposed) return;
      disposed = true;
      for (const run of runs) run.engine.dispose();
      if (data !== null) tf.dispose([data.tx, data.ty, data.vx, data.vy]);
      runs.length = 0;
      free.length = 0;
      data = null;
    },
  };
}
