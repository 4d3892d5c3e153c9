/**
 * Few-shot sinusoid regression (Finn et al. 2017): tasks y = A sin(x + phi), A ~ U[0.1, 5],
 * phi ~ U[0, pi], x ~ U[-5, 5]; an MLP 1-40-40-1 (ReLU). Meta-parameters theta; each task adapts
 * `theta + delta`, delta restarting at 0, on 10 support points; the meta loss is the MSE on 10
 * query points, one task per meta step (Adam 3e-3, meta-gradients clipped to norm 10).
 * - `unrolled`: MAML (second order, through 5 SGD steps at 0.01); `firstOrder`: first-order MAML.
 * - `cg`: iMAML (Rajeswaran et al. 2019). The task minimises `mse(theta + delta) + lambda/2 |delta|^2`
 *   (lambda = 1) by SGD at 0.01 with its gradient clipped to norm 10 (which leaves the optimum
 *   alone); the meta-gradient is `lambda (G + lambda I)^-1 v` by CG, with a Gauss-Newton curvature
 *   `G` ({@link imamlGaussNewton}).
 * Reported: post-adaptation MSE on 50 held-out tasks (each method adapting as it trained) against
 * adapting from the initial theta.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  Engine, type HypergradientMethod, type HypergradientOptions, ImplicitProblem, IterativeProblem, type StepContext, adam, grad, jvp, normalTensor,
  type SeededRandom, seededRandom, sgd, solveCg, stopGradient, syncReadsCheap, tidyTree, treeScale, vjp,
  type Tree, treeAdd, treeAddScaled, treeMap, treeNorm,
} from '../src/index.js';
import { type ExtraState, type SavedRecord, hypergradientAfter, learningRate, loadRecord, readValues, saveRecord, trackOuterSteps } from './harness.js';
import type { ProblemReport, ProblemRunOptions, ProblemSpec } from './types.js';

type Net = { w1: tf.Tensor; b1: tf.Tensor; w2: tf.Tensor; b2: tf.Tensor; w3: tf.Tensor; b3: tf.Tensor; [k: string]: tf.Tensor };
type Points = { x: tf.Tensor2D; y: tf.Tensor2D };
type Task = { support: Points; query: Points };

/** The meta-parameters. */
export interface SinusoidState {
  /** Theta, by name. */
  theta: SavedRecord;
}

const INNER_LR = 0.01;
const net = (p: Net, x: tf.Tensor2D) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, p.w1), p.b1)), p.w2), p.b2)), p.w3), p.b3) as tf.Tensor2D;
const mse = (p: Net, d: Points) => tf.mean(tf.square(tf.sub(net(p, d.x), d.y)));

function initNet(rand: () => number): Net {
  const layer = (i: number, o: number) => tf.tidy(() => tf.mul(normalTensor([i, o], rand), Math.sqrt(2 / i)));
  return { w1: layer(1, 40), b1: tf.zeros([40]), w2: layer(40, 40), b2: tf.zeros([40]), w3: layer(40, 1), b3: tf.zeros([1]) };
}

function sampleTask(rand: () => number, k = 10): Task {
  const amp = 0.1 + 4.9 * rand();
  const phase = Math.PI * rand();
  const pts = (): Points => {
    const xs = Array.from({ length: k }, () => -5 + 10 * rand());
    return { x: tf.tensor2d(xs, [k, 1]), y: tf.tensor2d(xs.map((x) => amp * Math.sin(x + phase)), [k, 1]) };
  };
  return { support: pts(), query: pts() };
}
const disposeTask = (t: Task) => tf.dispose([t.support.x, t.support.y, t.query.x, t.query.y]);

/** iMAML's proximal strength, adaptation rate and inner-gradient clipping norm. */
export const IMAML = { lambda: 1, lr: 0.01, clip: 10 };
/** The adaptation a method trains for: MAML's plain SGD, or iMAML's proximal, clipped SGD. */
const adaptation = (method: HypergradientOptions, lr?: ProblemRunOptions['learningRates']) => {
  const ad = method.method === 'unrolled' || method.method === 'firstOrder' ? { lambda: 0, lr: INNER_LR, clip: Infinity } : IMAML;
  return { ...ad, lr: learningRate(lr, 'task', ad.lr) };
};
type Adaptation = ReturnType<typeof adaptation>;

/** The task loss of `theta + delta` on `d`, with the proximal term `lambda/2 |delta|^2`. */
const taskLoss = (theta: Net, delta: Net, d: Points, lambda: number) => {
  const fit = mse(treeAdd(theta, delta) as Net, d);
  return lambda === 0 ? fit : tf.add(fit, tf.mul(lambda / 2, tf.addN(Object.values(delta).map((t) => tf.sum(tf.square(t))))));
};

/**
 * Rescales a gradient to global norm `clip` when it is longer (the optimum, where it vanishes, is
 * unchanged): `g min(1, clip / |g|)`, the factor a constant to differentiation. Where synchronous
 * reads are cheap (cpu, wasm) `|g|` is read once and `g` is left alone when short; elsewhere
 * (webgpu) the factor is computed on the device (`stopGradient`) and always applied.
 */
function clipNorm<T extends Tree>(g: T, clip: number): T {
  if (clip === Infinity) return g;
  const length = treeNorm(g);
  if (syncReadsCheap()) {
    const norm = length.dataSync()[0] as number;
    length.dispose();
    return norm > clip ? (treeMap((t) => tf.mul(t, clip / norm), g) as T) : g;
  }
  const factor = tf.tidy(() => tf.minimum(1, tf.div(clip, length))); // |g| = 0: clip / 0 = Inf, so 1
  length.dispose();
  const scale = stopGradient(factor);
  factor.dispose();
  const out = treeMap((t) => tf.mul(t, scale), g) as T;
  scale.dispose();
  return out;
}

/**
 * Post-adaptation query MSE averaged over tasks: `steps` steps of the method's adaptation from
 * theta. One asynchronous read for all tasks (runs on webgpu).
 */
async function adaptedMse(theta: Net, tasks: Task[], steps: number, ad: Adaptation): Promise<number> {
  const losses = tasks.map((t) => tf.tidy(() => {
    let delta: Tree = treeMap((x) => tf.zerosLike(x), theta);
    for (let s = 0; s < steps; s++) delta = treeAddScaled(delta, -ad.lr, clipNorm(grad((q: Net) => taskLoss(theta, q, t.support, ad.lambda))(delta as Net), ad.clip));
    return mse(treeAdd(theta, delta) as Net, t.query);
  }));
  const all = tf.stack(losses);
  tf.dispose(losses);
  return (await readValues(all)).reduce((s, v) => s + v, 0) / tasks.length;
}

/** The methods this problem supports (see the module comment for why not the implicit ones yet). */
export const SINUSOID_METHODS = ['unrolled', 'firstOrder', 'cg'] as const;

/**
 * iMAML's meta-gradient through a task (Rajeswaran et al. 2019) with a Gauss-Newton curvature:
 * `(d delta* / d theta)^T v = -G (G + lambda I)^-1 v`, the inverse by `iterations` of CG, with
 * `G = (2/n) J^T J` and `J` the Jacobian of the network's outputs on the support points at
 * `theta + delta*`. The exact Hessian of the MSE adds a residual term that is indefinite far from a
 * fit, where CG on `H + lambda I` diverged; `G` is positive semi-definite, so `G + lambda I` is
 * positive definite and the meta-gradient `v - G (G + lambda I)^-1 v = lambda (G + lambda I)^-1 v`
 * is a damped, curvature-aware version of `v`.
 */
export function imamlGaussNewton(iterations: number, lambda: number, support: () => Points): HypergradientMethod {
  return (ctx, v) => tidyTree(() => {
    const theta = ctx.theta[0] as Net;
    const { x } = support();
    const n = x.shape[0];
    const outputs = (d: Net) => net(treeAdd(theta, d) as Net, x);
    const [, pullback] = vjp(outputs, ctx.w as Net);
    const gn = (u: Tree) => pullback(tf.mul(2 / n, jvp(outputs, ctx.w as Net, u as Net)[1]) as tf.Tensor2D);
    const solved = solveCg((u) => treeAddScaled(gn(u), lambda, u), v, { iterations });
    return [treeScale(gn(solved), -1)];
  });
}

function checkMethod(method: HypergradientOptions): void {
  if (!(SINUSOID_METHODS as readonly string[]).includes(method.method)) {
    throw new Error(
      `sinusoid: method '${method.method}' is not supported; use unrolled (MAML), firstOrder (first-order MAML) or cg (iMAML). ` +
        'cg is iMAML with a Gauss-Newton curvature; neumann and fixedPoint would need the exact task Hessian, which is indefinite far from a fit, and diverged',
    );
  }
}

function program(method: HypergradientOptions, innerSteps: number, rand: SeededRandom, theta0?: Net, lr?: ProblemRunOptions['learningRates']) {
  checkMethod(method);
  const ad = adaptation(method, lr);
  // The generator's state before the current task was drawn: a checkpoint redraws the task from it.
  let beforeTask = rand.state;
  let task = sampleTask(rand);
  const zeros = (t: Net) => treeMap((x) => tf.zerosLike(x), t) as Net;
  const thetaInit = theta0 ?? initNet(rand);
  const delta0 = zeros(thetaInit);
  const hypergradient: HypergradientOptions = method.method === 'cg'
    ? { method: 'custom', fn: imamlGaussNewton(method.iterations, ad.lambda, () => task.support) } : method;
  const innerOptions = {
    name: 'task', module: { params: delta0 }, optimizer: sgd({ lr: ad.lr }), data: () => task.support,
    gradCallback: (g: Net) => clipNorm(g, ad.clip),
    config: { hypergradient, unrollSteps: innerSteps },
    onInnerLoopStart: () => {
      disposeTask(task);
      beforeTask = rand.state;
      task = sampleTask(rand);
    },
    trainingStep: (b: Points, ctx: StepContext<Net>) => taskLoss(ctx.get<Net>('meta'), ctx.params, b, ad.lambda),
  };
  const inner = new IterativeProblem<Net, Points>(innerOptions);
  const meta = new ImplicitProblem<Net, Points>({
    name: 'meta', module: { params: thetaInit }, optimizer: adam({ lr: learningRate(lr, 'meta', 3e-3) }), data: () => task.query,
    // Meta-gradients clipped to global norm 10 (an implicit step far from the task optimum can be large).
    gradCallback: (g) => clipNorm(g, 10),
    trainingStep: (b, ctx) => mse(treeAdd(ctx.params, ctx.get<Net>('task')) as Net, b),
  });
  tf.dispose([...Object.values(thetaInit), ...Object.values(delta0)]); // the problems hold copies
  const engine = new Engine({ problems: [meta, inner], dependencies: { u2l: { meta: ['task'] }, l2u: { task: ['meta'] } }, config: { iterations: innerSteps } });
  const taskState: ExtraState = {
    save: () => ({ beforeTask }),
    load: (saved) => {
      disposeTask(task);
      rand.state = (saved as { beforeTask: number }).beforeTask;
      beforeTask = rand.state;
      task = sampleTask(rand);
    },
  };
  return { engine, inner, meta, taskState, releaseTask: () => disposeTask(task), dispose: () => { engine.dispose(); disposeTask(task); } };
}

/** Meta-trains and evaluates; see the module comment. */
export async function sinusoid({ method = { method: 'unrolled' }, outerSteps = 2000, innerSteps = 5, seed = 0, onOuterStep, ...run }: ProblemRunOptions = {}): Promise<ProblemReport<SinusoidState>> {
  checkMethod(method);
  const rand = seededRandom(seed);
  const evalRand = seededRandom(seed + 1000);
  const tasks = Array.from({ length: 50 }, () => sampleTask(evalRand));
  const untrained = initNet(seededRandom(seed + 1));
  const ad = adaptation(method, run.learningRates);
  const baseline = await adaptedMse(untrained, tasks, innerSteps, ad);
  const p = program(method, innerSteps, rand, treeMap((x) => tf.clone(x), untrained) as Net, run.learningRates);
  const tracked = await trackOuterSteps(p.engine, outerSteps, () => adaptedMse(p.meta.params, tasks.slice(0, 10), innerSteps, ad), Math.max(1, Math.floor(outerSteps / 20)), onOuterStep,
    { ...run, extra: p.taskState });
  const history = tracked.history;
  const tuned = await adaptedMse(p.meta.params, tasks, innerSteps, ad);
  const theta = await saveRecord(p.meta.params);
  p.dispose();
  tf.dispose(Object.values(untrained));
  tasks.forEach(disposeTask);
  return {
    validationLoss: history[history.length - 1]?.validationLoss ?? tuned,
    test: { name: 'test MSE', value: tuned, baseline, higherIsBetter: false },
    extras: {}, ...tracked, state: { theta },
  };
}

/** The meta-gradient (flattened) at a state on one fixed task, by `method`. */
export async function sinusoidHypergradient(state: SinusoidState, method: HypergradientOptions, { innerSteps = 5, seed = 0, learningRates }: ProblemRunOptions = {}): Promise<number[]> {
  const p = program(method, innerSteps, seededRandom(seed + 2000), loadRecord<Net>(state.theta), learningRates);
  await p.engine.stepOnly('task', innerSteps); // the task restarts at delta = 0 for every method
  await p.meta.nextBatch();
  const out = await hypergradientAfter(p.engine, 'task', 'meta', 0); // disposes the engine
  p.releaseTask();
  return out;
}

/** The problem's CLI entry. */
export const sinusoidProblem: ProblemSpec<SinusoidState> = {
  name: 'sinusoid',
  description: 'few-shot sinusoid regression, MLP 1-40-40-1: MAML (unrolled), first-order MAML (firstOrder), iMAML (cg)',
  defaults: { run: [2000, 5], compare: [1000, 5], alpha: 0.05 },
  learningRates: { task: INNER_LR, meta: 3e-3 },
  methods: SINUSOID_METHODS,
  reference: { method: 'unrolled' },
  runMethod: 'unrolled',
  run: sinusoid,
  hypergradientAt: sinusoidHypergradient,
};
