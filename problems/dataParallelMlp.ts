/**
 * A data-parallel bilevel problem: an MLP (784-H-10, ReLU) trained on MNIST with the weight decay
 * `exp(a)/2 (|W1|^2 + |W2|^2)`, `a` tuned on validation cross-entropy. The MLP's loss runs on
 * {@link DataParallel} replicas: this module is what every replica loads (`program`, or
 * `smallProgram` for tests), and {@link dataParallelMlp} builds the engine around it.
 *
 * Global batch `key` is the `batchSize` training digits from `key * batchSize` (cycling through
 * the training split); replica r of R takes its r-th contiguous part.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type DataParallel, Engine, type HypergradientOptions, ImplicitProblem, type ReplicaProgram, type Shard, programTrainingStep, seededRandom, sgd, sparseSoftmaxCrossEntropy } from '../src/index.js';
import { type Digits, mnistSplits } from '../src/data/mnist.js';
import { type Mlp, initMlp as heInitMlp, mlpLogits } from '../src/models/mlp.js';

export { type Mlp, mlpLogits };
/** A batch of digits. */
export type DigitBatch = { x: tf.Tensor2D; y: tf.Tensor1D };

/** Sizes of the problem. */
export interface MlpSizes {
  /** Hidden units. */
  hidden: number;
  /** Global batch size (divisible by the replicas). */
  batchSize: number;
  /** Training digits. */
  trainSize: number;
}
/** The benchmark's sizes. */
export const DEFAULT_SIZES: MlpSizes = { hidden: 256, batchSize: 512, trainSize: 8192 };
/** The tests' sizes. */
export const SMALL_SIZES: MlpSizes = { hidden: 16, batchSize: 64, trainSize: 512 };

/** The replica program for these sizes (MNIST split with seed 0: training, then validation). */
export function mlpProgram(sizes: MlpSizes): ReplicaProgram<DigitBatch> {
  const [train] = mnistSplits([sizes.trainSize], 0) as [Digits];
  return {
    loss: (params, uppers, b) => {
      const p = params as Mlp;
      const decay = tf.exp(uppers.decay as tf.Tensor);
      const l2 = tf.add(tf.sum(tf.square(p.w1)), tf.sum(tf.square(p.w2)));
      return tf.add(sparseSoftmaxCrossEntropy(b.y, mlpLogits(p, b.x)), tf.mul(tf.mul(0.5, decay), l2)) as tf.Scalar;
    },
    batch: (key: number, shard: Shard) => {
      if (sizes.batchSize % shard.count !== 0) throw new Error(`batchSize ${sizes.batchSize} is not divisible by ${shard.count} replicas`);
      const per = sizes.batchSize / shard.count;
      const start = (key * sizes.batchSize + shard.index * per) % sizes.trainSize;
      const idx = Array.from({ length: per }, (_v, i) => (start + i) % sizes.trainSize);
      // A contiguous run of digits is a view of the (never modified) training split: no copy.
      let x = train.x.subarray(start * 784, (start + per) * 784);
      if (start + per > sizes.trainSize) {
        x = new Float32Array(per * 784);
        idx.forEach((src, k) => x.set(train.x.subarray(src * 784, src * 784 + 784), k * 784));
      }
      return { x: tf.tensor2d(x, [per, 784]), y: tf.tensor1d(idx.map((i) => train.y[i] as number), 'int32') };
    },
    disposeBatch: (b) => tf.dispose([b.x, b.y]),
  };
}

/** What every replica loads for the benchmark: {@link mlpProgram} at `sizes` (default {@link DEFAULT_SIZES}). */
export const program = (sizes?: unknown) => mlpProgram((sizes as MlpSizes | undefined) ?? DEFAULT_SIZES);
/** What every replica loads for the tests. */
export const smallProgram = () => mlpProgram(SMALL_SIZES);

/** Initial MLP parameters for these sizes (seeded). */
export function initMlp(sizes: MlpSizes): Mlp {
  return heInitMlp(sizes.hidden, seededRandom(3));
}

/**
 * The bilevel engine: `mlp` (data-parallel on `dp`, or in this thread when `dp` is null, with
 * `local` as its program) under `decay`. `innerSteps` MLP steps per outer step.
 */
export function dataParallelMlp(o: { dp: DataParallel | null; local: ReplicaProgram<DigitBatch>; sizes: MlpSizes; method: HypergradientOptions; innerSteps: number; validSize?: number }) {
  const [, valid] = mnistSplits([o.sizes.trainSize, o.validSize ?? 500], 0) as [Digits, Digits];
  const vb: DigitBatch = { x: tf.tensor2d(valid.x, [valid.n, 784]), y: tf.tensor1d(valid.y, 'int32') };
  let key = 0;
  const m0 = initMlp(o.sizes);
  const a0 = tf.scalar(Math.log(1e-3));
  const mlp = new ImplicitProblem<Mlp, number>({
    name: 'mlp', module: { params: m0 }, optimizer: sgd({ lr: 0.1 }), data: () => key++,
    config: { hypergradient: o.method, unrollSteps: o.innerSteps },
    ...(o.dp ? { parallel: o.dp } : { trainingStep: programTrainingStep<Mlp>(o.local as ReplicaProgram, ['decay']) }),
  });
  const decay = new ImplicitProblem<tf.Tensor, DigitBatch>({
    name: 'decay', module: { params: a0 }, optimizer: sgd({ lr: 0.5 }), data: [vb],
    trainingStep: (b, ctx) => sparseSoftmaxCrossEntropy(b.y, mlpLogits(ctx.get<Mlp>('mlp'), b.x)),
  });
  tf.dispose([...Object.values(m0), a0]);
  decay.setBatch(vb);
  const engine = new Engine({ problems: [decay, mlp], dependencies: { u2l: { decay: ['mlp'] }, l2u: { mlp: ['decay'] } }, config: { iterations: o.innerSteps } });
  return { engine, mlp, decay, dispose: () => { engine.dispose(); tf.dispose([vb.x, vb.y]); } };
}
