/**
 * Few-shot sinusoid regression (Finn et al. 2017): tasks y = A sin(x + phi), A ~ U[0.1, 5],
 * phi ~ U[0, pi], x ~ U[-5, 5]; an MLP 1-40-40-1 (ReLU). Meta-parameters theta; each task adapts
 * `theta + delta`, delta restarting at 0, by 5 SGD steps on 10 support points; the meta loss is the
 * MSE on 10 query points, one task per meta step (Adam 3e-3, meta-gradients clipped to norm 10).
 * `unrolled` gives MAML (second order, through the adaptation steps) and `firstOrder` first-order
 * MAML. iMAML (Rajeswaran et al. 2019: implicit methods with a proximal term) is refused for now:
 * with this inner solver it diverged in our runs (see problems/README.md). Reported: post-adaptation MSE on 50 held-out tasks against adapting from the initial theta.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  Engine, type HypergradientOptions, ImplicitProblem, IterativeProblem, type StepContext, adam, grad, normalTensor, seededRandom, sgd,
  type Tree, treeAdd, treeAddScaled, treeMap,
} from '../src/index.js';
import { type SavedRecord, hypergradientAfter, loadRecord, saveRecord, trackOuterSteps } from './harness.js';
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

/** Post-adaptation query MSE averaged over tasks: `steps` SGD steps on the support set from theta. */
function adaptedMse(theta: Net, tasks: Task[], steps: number): number {
  let total = 0;
  for (const t of tasks) {
    total += tf.tidy(() => {
      let p: Tree = theta;
      for (let s = 0; s < steps; s++) p = treeAddScaled(p, -INNER_LR, grad((q: Net) => mse(q, t.support))(p as Net));
      return mse(p as Net, t.query).dataSync()[0] as number;
    });
  }
  return total / tasks.length;
}

/** The methods this problem supports (see the module comment for why not the implicit ones yet). */
export const SINUSOID_METHODS = ['unrolled', 'firstOrder'] as const;

function checkMethod(method: HypergradientOptions): void {
  if (!(SINUSOID_METHODS as readonly string[]).includes(method.method)) {
    throw new Error(
      `sinusoid: method '${method.method}' is not supported yet; use ${SINUSOID_METHODS.join(' (MAML) or ')} (first-order MAML). ` +
        'iMAML (implicit methods) diverges here: 5 SGD steps leave the task far from its optimum, where the task Hessian of a ReLU MLP is indefinite',
    );
  }
}

function program(method: HypergradientOptions, innerSteps: number, rand: () => number, theta0?: Net) {
  checkMethod(method);
  let task = sampleTask(rand);
  const zeros = (t: Net) => treeMap((x) => tf.zerosLike(x), t) as Net;
  const thetaInit = theta0 ?? initNet(rand);
  const innerOptions = {
    name: 'task', module: { params: zeros(thetaInit) }, optimizer: sgd({ lr: INNER_LR }), data: () => task.support,
    config: { hypergradient: method, unrollSteps: innerSteps },
    onInnerLoopStart: () => {
      disposeTask(task);
      task = sampleTask(rand);
    },
    trainingStep: (b: Points, ctx: StepContext<Net>) => mse(treeAdd(ctx.get<Net>('meta'), ctx.params) as Net, b),
  };
  const inner = new IterativeProblem<Net, Points>(innerOptions);
  const meta = new ImplicitProblem<Net, Points>({
    name: 'meta', module: { params: thetaInit }, optimizer: adam({ lr: 3e-3 }), data: () => task.query,
    // Meta-gradients clipped to global norm 10 (an implicit step far from the task optimum can be large).
    gradCallback: (g) => {
      const norm = Math.sqrt(Object.values(g).reduce((acc, t) => acc + (tf.sum(tf.square(t)).dataSync()[0] as number), 0));
      return norm > 10 ? (treeMap((t) => tf.mul(t, 10 / norm), g) as Net) : g;
    },
    trainingStep: (b, ctx) => mse(treeAdd(ctx.params, ctx.get<Net>('task')) as Net, b),
  });
  const engine = new Engine({ problems: [meta, inner], dependencies: { u2l: { meta: ['task'] }, l2u: { task: ['meta'] } }, config: { iterations: innerSteps } });
  return { engine, inner, meta, dispose: () => { engine.dispose(); } };
}

/** Meta-trains and evaluates; see the module comment. */
export async function sinusoid({ method = { method: 'unrolled' }, outerSteps = 2000, innerSteps = 5, seed = 0, onOuterStep }: ProblemRunOptions = {}): Promise<ProblemReport<SinusoidState>> {
  checkMethod(method);
  const rand = seededRandom(seed);
  const evalRand = seededRandom(seed + 1000);
  const tasks = Array.from({ length: 50 }, () => sampleTask(evalRand));
  const untrained = initNet(seededRandom(seed + 1));
  const baseline = adaptedMse(untrained, tasks, innerSteps);
  const p = program(method, innerSteps, rand, treeMap((x) => tf.clone(x), untrained) as Net);
  const tracked = await trackOuterSteps(p.engine, outerSteps, () => adaptedMse(p.meta.params, tasks.slice(0, 10), innerSteps), Math.max(1, Math.floor(outerSteps / 20)), onOuterStep);
  const history = tracked.history;
  const tuned = adaptedMse(p.meta.params, tasks, innerSteps);
  const theta = saveRecord(p.meta.params);
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
export async function sinusoidHypergradient(state: SinusoidState, method: HypergradientOptions, { innerSteps = 5, seed = 0 }: ProblemRunOptions = {}): Promise<number[]> {
  const p = program(method, innerSteps, seededRandom(seed + 2000), loadRecord<Net>(state.theta));
  await p.engine.stepOnly('task', innerSteps); // the task restarts at delta = 0 for every method
  await p.meta.nextBatch();
  const out = await hypergradientAfter(p.engine, 'task', 'meta', 0);
  return out;
}

/** The problem's CLI entry. */
export const sinusoidProblem: ProblemSpec<SinusoidState> = {
  name: 'sinusoid',
  description: 'few-shot sinusoid regression, MLP 1-40-40-1: MAML (unrolled) or first-order MAML (firstOrder)',
  defaults: { run: [2000, 5], compare: [1000, 5], alpha: 0.05 },
  methods: SINUSOID_METHODS,
  reference: { method: 'unrolled' },
  runMethod: 'unrolled',
  run: sinusoid,
  hypergradientAt: sinusoidHypergradient,
};
