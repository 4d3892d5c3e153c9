/**
 * Bilevel hyperparameter optimisation with the Engine: per-feature L2 penalties of a logistic
 * regression tuned on validation loss (BETTY's regression problem), once per hypergradient method.
 *
 * Two setups of the inner problem: warm-started across outer steps (`ImplicitProblem`, as the
 * `l2-hpo` problem does), and restarted from w = 0 at every outer step (`IterativeProblem`), which
 * is what BETTY's own regression test does (its `on_inner_loop_start` zeroes w).
 *
 * Run: `npm run example` (builds first). Prints, per method and setup, the validation loss before
 * and after 2,000 inner steps (20 outer steps; then 100 inner steps under the final lambda) and
 * the time taken.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  Engine, type HypergradientOptions, ImplicitProblem, IterativeProblem, type ProblemOptions, initBackend, normalTensor,
  seededRandom, sgd, sigmoidCrossEntropy,
} from '../src/index.js';

type Batch = { x: tf.Tensor2D; y: tf.Tensor1D };

const backend = await initBackend();
const rand = seededRandom(0);
const x = normalTensor([1000, 20], rand) as tf.Tensor2D;
const y = tf.tidy(() => tf.cast(tf.greater(tf.squeeze(tf.add(tf.matMul(x, normalTensor([20, 1], rand)), tf.mul(0.1, normalTensor([1000, 1], rand))), [1]), 0), 'float32')) as tf.Tensor1D;
const [xt, xv] = tf.split(x, 2) as [tf.Tensor2D, tf.Tensor2D];
const [yt, yv] = tf.split(y, 2) as [tf.Tensor1D, tf.Tensor1D];
const train: Batch = { x: xt, y: yt };
const valid: Batch = { x: xv, y: yv };
const logits = (w: tf.Tensor, b: Batch) => tf.squeeze(tf.matMul(b.x, tf.reshape(w, [20, 1])), [1]);

async function tune(method: HypergradientOptions, restart: boolean): Promise<[number, number, number]> {
  // The lower problem: weights w, trained on BCE + 1/2 sum(lambda w^2); lambda read from 'outer'.
  const innerOptions: ProblemOptions<tf.Tensor, Batch> = {
    name: 'inner', module: { params: tf.zeros([20]) }, optimizer: sgd({ lr: 0.1 }), data: [train],
    config: { hypergradient: method, unrollSteps: 100 },
    trainingStep: (b, ctx) => tf.add(sigmoidCrossEntropy(b.y, logits(ctx.params, b)), tf.mul(0.5, tf.sum(tf.mul(ctx.get<tf.Tensor>('outer'), tf.square(ctx.params))))),
  };
  const inner = restart || method.method === 'unrolled' ? new IterativeProblem(innerOptions) : new ImplicitProblem(innerOptions);
  // The upper problem: lambda, trained on the validation loss of the inner optimum.
  const outer = new ImplicitProblem<tf.Tensor, Batch>({
    name: 'outer', module: { params: tf.ones([20]) }, optimizer: sgd({ lr: 1, momentum: 0.9 }), data: [valid],
    paramCallback: (lam) => tf.maximum(lam, 1e-8),
    trainingStep: (b, ctx) => sigmoidCrossEntropy(b.y, logits(ctx.get<tf.Tensor>('inner'), b)),
  });
  const validLoss = () => tf.tidy(() => sigmoidCrossEntropy(valid.y, logits(inner.params, valid)).dataSync()[0] as number);
  const engine = new Engine({
    problems: [outer, inner],
    dependencies: { u2l: { outer: ['inner'] }, l2u: { inner: ['outer'] } },
    config: { iterations: 2000 },
  });
  await engine.stepOnly('inner', 100);
  const before = validLoss();
  const t0 = performance.now();
  await engine.run();
  const seconds = (performance.now() - t0) / 1000;
  await engine.stepOnly('inner', 100); // the inner optimum under the final lambda
  const after = validLoss();
  engine.dispose();
  return [before, after, seconds];
}

const methods: HypergradientOptions[] = [
  { method: 'cg', iterations: 3 }, { method: 'neumann', iterations: 5, alpha: 1 }, { method: 'finiteDifference' },
  { method: 'sama' }, { method: 'unrolled' }, { method: 'firstOrder' },
];
for (const restart of [false, true]) {
  console.log(`\nL2 hyperparameter optimisation of logistic regression (n = 1000, d = 20), backend ${backend}`);
  console.log(restart ? "inner problem restarted at w = 0 every outer step (BETTY's own regression test)" : 'inner problem warm-started across outer steps');
  console.log('method             valid loss before  after   seconds');
  for (const m of restart ? methods.filter((x) => x.method !== 'unrolled') : methods) {
    const [before, after, s] = await tune(m, restart);
    console.log(`${m.method.padEnd(18)} ${before.toFixed(4).padStart(17)}  ${after.toFixed(4)}  ${s.toFixed(2).padStart(6)}`);
  }
}
