/**
 * A problem of your own, run from the CLI like the built-in ones:
 *
 * ```sh
 * npm run build
 * node dist/src/cli/main.js run dist/examples/userProblem.js --method cg
 * node dist/src/cli/main.js compare dist/examples/userProblem.js
 * ```
 *
 * The module's default export is a `ProblemSpec` (from `hypergrad/problems`): a name, defaults, a
 * reference method for `compare`, `run(options)` resolving with a report, and
 * `hypergradientAt(state, method, options)`. The CLI prints the same table and writes the same
 * files and plots as for the built-in problems.
 *
 * The problem: ridge regression with a learned penalty. Inner: `w* = argmin_w |X w - y|^2 / n +
 * exp(a) / 2 |w|^2` by gradient descent on a training split; outer: `a` by Adam on the validation
 * MSE of `w*`. The optimum is in closed form, `w* = (X^T X / n * 2 + exp(a) I)^-1 X^T y / n * 2`,
 * so the hypergradient methods can be checked exactly (`compare` uses a 50-iteration CG as its
 * reference).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Engine, type HypergradientOptions, ImplicitProblem, IterativeProblem, type ProblemOptions, adam, meanSquaredError, normalTensor, seededRandom, sgd } from 'hypergrad';
import { type ProblemReport, type ProblemRunOptions, type ProblemSpec, hypergradientAfter, stepsBefore, trackOuterSteps } from 'hypergrad/problems';

/** A split: inputs and targets. */
interface Split { x: tf.Tensor2D; y: tf.Tensor1D }

/** What `compare` takes hypergradients at: the coefficients and the log-penalty. */
export interface RidgeState {
  /** Coefficients w. */
  w: number[];
  /** The log-penalty a. */
  logPenalty: number;
}

const D = 10;
const predict = (w: tf.Tensor, s: Split) => tf.squeeze(tf.matMul(s.x, tf.reshape(w, [D, 1])), [1]);

/** Seeded data: y = x . w0 + 0.5 noise, 100 training and 100 validation and 100 test points. */
function data(seed: number): { train: Split; valid: Split; test: Split; dispose: () => void } {
  const rand = seededRandom(seed);
  const w0 = normalTensor([D, 1], rand);
  const split = (n: number): Split => tf.tidy(() => {
    const x = normalTensor([n, D], rand) as tf.Tensor2D;
    return { x, y: tf.squeeze(tf.add(tf.matMul(x, w0), tf.mul(0.5, normalTensor([n, 1], rand))), [1]) as tf.Tensor1D };
  });
  const [train, valid, test] = [split(100), split(100), split(100)] as [Split, Split, Split];
  return { train, valid, test, dispose: () => tf.dispose([w0, train.x, train.y, valid.x, valid.y, test.x, test.y]) };
}

function program(method: HypergradientOptions, innerSteps: number, d: { train: Split; valid: Split }, state?: RidgeState) {
  const innerOptions: ProblemOptions<tf.Tensor, Split> = {
    name: 'ridge', module: { params: state ? tf.tensor1d(state.w) : tf.zeros([D]) }, optimizer: sgd({ lr: 0.05 }), data: [d.train],
    config: { hypergradient: method, unrollSteps: innerSteps },
    trainingStep: (s, ctx) => tf.add(meanSquaredError(predict(ctx.params, s), s.y),
      tf.mul(tf.mul(0.5, tf.exp(ctx.get<tf.Tensor>('penalty'))), tf.sum(tf.square(ctx.params)))),
  };
  // Unrolled differentiates the recorded steps from a fresh start; the implicit methods the optimum.
  const ridge = method.method === 'unrolled' && state === undefined ? new IterativeProblem(innerOptions) : new ImplicitProblem(innerOptions);
  const penalty = new ImplicitProblem<tf.Tensor, Split>({
    name: 'penalty', module: { params: tf.scalar(state?.logPenalty ?? 0) }, optimizer: adam({ lr: 0.1 }), data: [d.valid],
    trainingStep: (s, ctx) => meanSquaredError(predict(ctx.get<tf.Tensor>('ridge'), s), s.y),
  });
  ridge.setBatch(d.train);
  penalty.setBatch(d.valid);
  const engine = new Engine({ problems: [penalty, ridge], dependencies: { u2l: { penalty: ['ridge'] }, l2u: { ridge: ['penalty'] } }, config: { iterations: innerSteps } });
  return { ridge, penalty, engine };
}

const mse = (w: tf.Tensor, s: Split) => tf.tidy(() => meanSquaredError(predict(w, s), s.y).dataSync()[0] as number);

async function run({ method = { method: 'cg', iterations: 10 }, outerSteps = 20, innerSteps = 50, seed = 0, onOuterStep }: ProblemRunOptions = {}): Promise<ProblemReport<RidgeState>> {
  const d = data(seed);
  const { ridge, penalty, engine } = program(method, innerSteps, d);
  const tracked = await trackOuterSteps(engine, outerSteps, () => mse(ridge.params, d.valid), 1, onOuterStep);
  await engine.stepOnly('ridge', innerSteps);
  const state: RidgeState = { w: Array.from(ridge.params.dataSync()), logPenalty: penalty.params.dataSync()[0] as number };
  const validationLoss = mse(ridge.params, d.valid);
  const tuned = mse(ridge.params, d.test);
  engine.dispose();
  const untuned = program({ method: 'firstOrder' }, innerSteps, d);
  await untuned.engine.stepOnly('ridge', innerSteps * (outerSteps + 1));
  const baseline = mse(untuned.ridge.params, d.test);
  untuned.engine.dispose();
  d.dispose();
  return {
    validationLoss, test: { name: 'test MSE', value: tuned, baseline, higherIsBetter: false },
    extras: { penalty: Math.exp(state.logPenalty) }, ...tracked, state,
  };
}

/** The problem, as `hypergrad run ./userProblem.js` loads it. */
const ridgePenalty: ProblemSpec<RidgeState> = {
  name: 'ridge-penalty',
  description: 'ridge regression (n = 100, d = 10) with its penalty tuned on validation MSE',
  defaults: { run: [20, 50], compare: [10, 50], alpha: 0.2 },
  reference: { method: 'cg', iterations: 50 },
  run,
  async hypergradientAt(state, method, { innerSteps = 50, seed = 0 } = {}) {
    const d = data(seed);
    const { engine } = program(method, innerSteps, d, state);
    const g = await hypergradientAfter(engine, 'ridge', 'penalty', stepsBefore(method, innerSteps));
    d.dispose();
    return g;
  },
};

export default ridgePenalty;
