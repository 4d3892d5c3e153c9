import * as tf from '@tensorflow/tfjs-core';
import { type Digits, mnistSplits } from '../data/mnist.js';
import { sparseSoftmaxCrossEntropy } from '../losses/losses.js';
import { Engine } from '../multilevel/engine.js';
import type { HypergradientOptions } from '../multilevel/hypergradients/types.js';
import { ImplicitProblem } from '../multilevel/problem.js';
import { adam, sgd } from '../optim/optimizers.js';
import type { AskTellOptimizer, Trial } from '../simulator/types.js';
import { type Mlp, initMlp, mlpLogits, mlpValidation } from '../simulator/benchmarks/mnistMlp.js';
import { seededRandom } from '../util/random.js';

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
  /** Seed; default 0. */
  seed?: number;
}

/** A minibatch of digits. */
export interface Batch {
  /** Pixels `[b, 784]`. */
  x: tf.Tensor2D;
  /** Labels `[b]`. */
  y: tf.Tensor1D;
}

/** The bilevel program tuning an MLP's learning rate and weight decay (see {@link lrWdProgram}). */
export interface LrWdProgram {
  /** The engine (one outer step per `segmentSteps` inner steps). */
  engine: Engine;
  /** The MLP, trained by SGD (unit rate, momentum 0.9) on `exp(log lr) * (CE + exp(log wd)/2 |W|^2)`. */
  inner: ImplicitProblem<Mlp, Batch>;
  /** `[log lr, log wd]`, trained by Adam on the validation cross-entropy. */
  outer: ImplicitProblem<tf.Tensor1D, Batch>;
}

/**
 * Builds the program: the learning rate enters as a factor on the inner loss under a unit-rate SGD
 * (exactly SGD at that rate), so a hypergradient through the recorded steps (`unrolled`, the
 * default) reaches it; implicit methods see only the weight decay (the rate does not move the optimum).
 */
export function lrWdProgram(o: { hidden: number; segmentSteps: number; outerLr: number; initialLr: number; initialWeightDecay: number;
  rand: () => number; trainBatches: () => Batch; validBatches: () => Batch; method?: HypergradientOptions }): LrWdProgram {
  const inner = new ImplicitProblem<Mlp, Batch>({
    name: 'inner', module: { params: initMlp(o.hidden, o.rand) }, optimizer: sgd({ lr: 1, momentum: 0.9 }), data: o.trainBatches,
    config: { hypergradient: o.method ?? { method: 'unrolled' }, unrollSteps: o.segmentSteps },
    trainingStep: (b, ctx) => {
      const [logLr, logWd] = tf.unstack(ctx.get<tf.Tensor1D>('outer')) as [tf.Scalar, tf.Scalar];
      const p = ctx.params;
      const l2 = tf.addN([tf.sum(tf.square(p.w1)), tf.sum(tf.square(p.w2))]);
      return tf.mul(tf.exp(logLr), tf.add(sparseSoftmaxCrossEntropy(b.y, mlpLogits(p, b.x)), tf.mul(0.5, tf.mul(tf.exp(logWd), l2))));
    },
  });
  const outer = new ImplicitProblem<tf.Tensor1D, Batch>({
    name: 'outer', module: { params: tf.tensor1d([Math.log(o.initialLr), Math.log(o.initialWeightDecay)]) }, optimizer: adam({ lr: o.outerLr }),
    data: o.validBatches,
    paramCallback: (h) => tf.clipByValue(h, Math.log(1e-6), Math.log(1)) as tf.Tensor1D,
    trainingStep: (b, ctx) => sparseSoftmaxCrossEntropy(b.y, mlpLogits(ctx.get<Mlp>('inner'), b.x)),
  });
  const engine = new Engine({ problems: [outer, inner], dependencies: { u2l: { outer: ['inner'] }, l2u: { inner: ['outer'] } }, config: { iterations: o.segmentSteps } });
  return { engine, inner, outer };
}

interface Run extends LrWdProgram {
  steps: number;
}


/**
 * Gradient-based HPO of an MLP on MNIST as an ask/tell optimizer (`gradient`): the learning rate
 * and weight decay are tuned by hypergradient with the multilevel Engine. Each `ask` trains one
 * segment: `segmentSteps` inner SGD steps (momentum 0.9) on the training split, then one outer Adam
 * step on (log lr, log wd) from the validation loss, differentiated through those steps (deferred
 * `unrolled`). The learning rate enters as a factor on the inner loss under a unit-rate SGD, which
 * is exactly SGD at that rate. The trial carries its validation error and, as runtime, the
 * measured training time, so it competes with black-box optimizers on the same simulated clock.
 * Each simulated worker continues its own run (a population of independent runs).
 */
export function gradientHpo(o: GradientHpoOptions = {}): AskTellOptimizer {
  const { trainSize = 4000, validSize = 2000, dataSeed = 0, hidden = 64, batchSize = 64, segmentSteps = 20, outerLr = 0.1,
    initialLr = 0.01, initialWeightDecay = 1e-4, seed = 0 } = o;
  let data: { train: Digits; valid: Digits; tx: tf.Tensor2D; ty: tf.Tensor1D; vx: tf.Tensor2D; vy: tf.Tensor1D } | null = null;
  const rand = seededRandom(seed);
  const free: Run[] = [];

  const load = () => {
    if (data !== null) return data;
    const [train, valid] = mnistSplits([trainSize, validSize], dataSeed) as [Digits, Digits];
    data = { train, valid, tx: tf.tensor2d(train.x, [train.n, 784]), ty: tf.tensor1d(train.y, 'int32'), vx: tf.tensor2d(valid.x, [valid.n, 784]), vy: tf.tensor1d(valid.y, 'int32') };
    return data;
  };
  const batches = (x: tf.Tensor2D, y: tf.Tensor1D, n: number, r: () => number) => randomBatches(x, y, n, batchSize, r);

  const newRun = (): Run => {
    const d = load();
    const r = seededRandom(Math.floor(rand() * 2 ** 30));
    const program = lrWdProgram({
      hidden, segmentSteps, outerLr, initialLr: initialLr * 3 ** (2 * r() - 1), initialWeightDecay, rand: r,
      trainBatches: batches(d.tx, d.ty, d.train.n, r), validBatches: batches(d.vx, d.vy, d.valid.n, r),
    });
    const run = { ...program, steps: 0 };
    return run;
  };

  const runOf = new WeakMap<Trial, Run>();
  return {
    ask: async () => {
      const run = free.shift() ?? newRun();
      const t0 = performance.now();
      await run.engine.run();
      const seconds = (performance.now() - t0) / 1000;
      run.steps += segmentSteps;
      const d = load();
      const { error: err, loss: ce } = mlpValidation(run.inner.params, d.vx, d.vy);
      const h = run.outer.params.dataSync();
      const trial: Trial = {
        config: { learning_rate: Math.exp(h[0] as number), weight_decay: Math.exp(h[1] as number), hidden_units: hidden, batch_size: batchSize },
        fidelity: Math.max(1, Math.ceil((run.steps * batchSize) / d.train.n)),
        result: { loss: err, validCrossEntropy: ce, runtime: seconds },
      };
      runOf.set(trial, run);
      return trial;
    },
    tell: (trial) => {
      const run = runOf.get(trial);
      if (run !== undefined) free.push(run);
    },
  };
}

/** A function drawing random minibatches of `size` from `(x, y)` (n rows) with `rand`. */
export function randomBatches(x: tf.Tensor2D, y: tf.Tensor1D, n: number, size: number, rand: () => number): () => Batch {
  return () => tf.tidy(() => {
    const idx = tf.tensor1d(Array.from({ length: size }, () => Math.floor(rand() * n)), 'int32');
    return { x: tf.keep(tf.gather(x, idx)) as tf.Tensor2D, y: tf.keep(tf.gather(y, idx)) as tf.Tensor1D };
  });
}
