/**
 * `npm run bench -- multilevel`: the cost of the Problem/Engine layer. Each case runs one
 * algorithm twice, through the public API and written by hand with the same differentiation
 * primitives (`grad`, `hvp`, `mixedHvp`, tfjs ops) and no Problem or Engine, and reports the median
 * of interleaved repeats of each (`repeats`) and their ratio (library / hand-written).
 *
 * Cases: L2-regularisation HPO on a logistic regression (1000 x 20, 100 inner steps per outer
 * step) and on an MLP (32-64-4, 20 inner steps), per method; and BETTY's own regression test as a
 * workload (logistic-regression L2 HPO, 2,000 inner SGD steps, 20 hypergradients; see
 * `bettyRegression.ts`).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import * as tf from '@tensorflow/tfjs-core';
import {
  Engine, type HypergradientOptions, ImplicitProblem, IterativeProblem, type ProblemOptions, grad, hvp, initBackend,
  mixedHvp, normalTensor, seededRandom, sgd, sigmoidCrossEntropy, softmaxCrossEntropy, solveCg, solveNeumann,
  type Tree, tidyTree, treeAddScaled, treeLeaves, treeNorm, treeScale, treeSub,
} from '../src/index.js';
import { BETTY_OUTER_STEPS, bettyWorkload } from './bettyRegression.js';
import { report } from './report.js';

type Batch = { x: tf.Tensor2D; y: tf.Tensor };

/** A bilevel L2-regularisation HPO: inner loss(w, lambda) = data loss + 1/2 sum(lambda w^2); outer = validation loss. */
export interface Task {
  name: string;
  init: () => Tree;
  lambda: () => tf.Tensor;
  dataLoss: (w: Tree, b: Batch) => tf.Scalar;
  train: Batch;
  valid: Batch;
  innerSteps: number;
  outerSteps: number;
}

const l2 = (w: Tree, lam: tf.Tensor) => {
  const leaves = Array.isArray(w) ? (w as tf.Tensor[]) : [w as tf.Tensor];
  return tf.mul(0.5, tf.addN(leaves.map((t) => tf.sum(tf.mul(tf.mean(lam), tf.square(t))))));
};

export function logregTask(): Task {
  const r = seededRandom(0);
  const x = normalTensor([1000, 20], r) as tf.Tensor2D;
  const y = tf.tidy(() => tf.cast(tf.greater(tf.squeeze(tf.matMul(x, normalTensor([20, 1], r)), [1]), 0), 'float32'));
  const [xt, xv] = tf.split(x, 2) as [tf.Tensor2D, tf.Tensor2D];
  const [yt, yv] = tf.split(y, 2);
  return {
    name: 'logreg-1000x20', init: () => tf.zeros([20]), lambda: () => tf.ones([20]), innerSteps: 100, outerSteps: 5,
    dataLoss: (w, b) => sigmoidCrossEntropy(b.y, tf.squeeze(tf.matMul(b.x, tf.reshape(w as tf.Tensor, [20, 1])), [1])) as tf.Scalar,
    train: { x: xt, y: yt as tf.Tensor }, valid: { x: xv, y: yv as tf.Tensor },
  };
}

export function mlpTask(): Task {
  const r = seededRandom(1);
  const x = normalTensor([512, 32], r) as tf.Tensor2D;
  const labels = tf.tidy(() => tf.argMax(tf.matMul(x, normalTensor([32, 4], r)), 1));
  const y = tf.oneHot(labels as tf.Tensor1D, 4);
  const [xt, xv] = tf.split(x, 2) as [tf.Tensor2D, tf.Tensor2D];
  const [yt, yv] = tf.split(y, 2);
  return {
    name: 'mlp-32-64-4', lambda: () => tf.fill([1], 0.01), innerSteps: 20, outerSteps: 5,
    init: () => [tf.mul(normalTensor([32, 64], seededRandom(2)), 0.2), tf.zeros([64]), tf.mul(normalTensor([64, 4], seededRandom(3)), 0.2), tf.zeros([4])],
    dataLoss: (w, b) => {
      const [w1, b1, w2, b2] = w as tf.Tensor[];
      const h = tf.tanh(tf.add(tf.matMul(b.x, w1 as tf.Tensor2D), b1 as tf.Tensor));
      return softmaxCrossEntropy(b.y, tf.add(tf.matMul(h, w2 as tf.Tensor2D), b2 as tf.Tensor)) as tf.Scalar;
    },
    train: { x: xt, y: yt as tf.Tensor }, valid: { x: xv, y: yv as tf.Tensor },
  };
}

/** One outer step at a time (its inner steps included), and the disposal of what it holds. */
export interface OuterStepper {
  /** Runs one outer step. */
  step(): void | Promise<void>;
  /** Frees its tensors. */
  dispose(): void;
}

/** The library version: one `engine.run()` per outer step. */
export function viaEngine(task: Task, method: HypergradientOptions): OuterStepper {
  const innerOptions: ProblemOptions<Tree, Batch> = {
    name: 'inner', module: { params: task.init() }, optimizer: sgd({ lr: 0.1 }), data: [task.train],
    config: { hypergradient: method, unrollSteps: task.innerSteps },
    trainingStep: (b, ctx) => tf.add(task.dataLoss(ctx.params, b), l2(ctx.params, ctx.get<tf.Tensor>('outer'))),
  };
  const inner = method.method === 'unrolled' ? new IterativeProblem(innerOptions) : new ImplicitProblem(innerOptions);
  const outer = new ImplicitProblem<tf.Tensor, Batch>({
    name: 'outer', module: { params: task.lambda() }, optimizer: sgd({ lr: 1, momentum: 0.9 }), data: [task.valid],
    paramCallback: (l) => tf.maximum(l, 1e-8),
    trainingStep: (b, ctx) => task.dataLoss(ctx.get('inner'), b),
  });
  const engine = new Engine({ problems: [outer, inner], dependencies: { u2l: { outer: ['inner'] }, l2u: { inner: ['outer'] } }, config: { iterations: task.innerSteps } });
  return { step: async () => { await engine.run(); }, dispose: () => engine.dispose() };
}

/** The same algorithm written by hand with hypergrad's differentiation primitives and no Problem/Engine. */
export function byHand(task: Task, method: HypergradientOptions): OuterStepper {
  let w: Tree = task.init();
  let lam = task.lambda();
  let mom: tf.Tensor = tf.zerosLike(lam);
  const w0 = task.init();
  const inner = (p: Tree, l: tf.Tensor) => tf.add(task.dataLoss(p, task.train), l2(p, l));
  const sgdStep = (p: Tree, l: tf.Tensor) => treeAddScaled(p, -0.1, grad((q: Tree) => inner(q, l))(p));
  const step = () => {
    const [nw, nl, nm] = tidyTree(() => {
      let hyper: tf.Tensor;
      let p: Tree = w;
      if (method.method === 'unrolled') {
        hyper = grad((l: tf.Tensor) => {
          let q: Tree = w0;
          for (let k = 0; k < task.innerSteps; k++) q = sgdStep(q, l);
          return task.dataLoss(q, task.valid);
        })(lam);
      } else {
        for (let k = 0; k < task.innerSteps; k++) p = tidyTree(() => sgdStep(p, lam));
        const v = grad((q: Tree) => task.dataLoss(q, task.valid))(p);
        const H = (u: Tree) => hvp((q: Tree) => inner(q, lam), p, u);
        const cross = (x: Tree) => treeScale(mixedHvp((l: tf.Tensor, q: Tree) => inner(q, l), lam, p, x), -1);
        if (method.method === 'cg') hyper = cross(solveCg(H, v, { iterations: method.iterations })) as tf.Tensor;
        else if (method.method === 'neumann') hyper = cross(solveNeumann(H, v, { iterations: method.iterations, alpha: method.alpha })) as tf.Tensor;
        else {
          const eps = 0.01 / (treeNorm(v).dataSync()[0] as number);
          const gl = (q: Tree) => grad((l: tf.Tensor) => inner(q, l))(lam);
          hyper = tf.mul(treeSub(gl(treeAddScaled(p, eps, v)), gl(treeAddScaled(p, -eps, v))), -1 / (2 * eps)) as tf.Tensor;
        }
      }
      const m = tf.add(tf.mul(mom, 0.9), hyper);
      return [p, tf.maximum(tf.sub(lam, m), 1e-8), m];
    }) as [Tree, tf.Tensor, tf.Tensor];
    if (nw !== w) tf.dispose(treeLeaves(w));
    tf.dispose([lam, mom]);
    [w, lam, mom] = [nw, nl, nm];
  };
  return { step, dispose: () => tf.dispose([...treeLeaves(w), ...treeLeaves(w0), lam, mom]) };
}

/** V8's full collection (exposed at run time, so `npm run bench` needs no flag). */
const collectGarbage: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/**
 * Advances `lib` and `hand` in lockstep, one outer step each, alternating which goes first, for
 * `steps` pairs after one warm-up step of each; returns the milliseconds of each outer step. Interleaving step by step exposes both to the same load on a shared machine, and the
 * median ignores GC pauses and other jobs' bursts.
 */
export async function lockstep(lib: OuterStepper, hand: OuterStepper, steps: number): Promise<{ lib: number[]; hand: number[] }> {
  const time = async (s: OuterStepper) => {
    collectGarbage(); // untimed: each step starts from a collected heap, whichever ran before it
    const t0 = performance.now();
    await s.step();
    return performance.now() - t0;
  };
  await time(lib);
  await time(hand);
  const l: number[] = [];
  const h: number[] = [];
  for (let r = 0; r < steps; r++) {
    if (r % 2 === 0) {
      h.push(await time(hand));
      l.push(await time(lib));
    } else {
      l.push(await time(lib));
      h.push(await time(hand));
    }
  }
  return { lib: l, hand: h };
}

/** Overhead per method and problem (median of interleaved outer steps), then BETTY's regression workload. */
export async function multilevelBench(): Promise<void> {
  const backend = await initBackend();
  const repeats = Number(process.env.HYPERGRAD_BENCH_REPEATS ?? 41);
  const methods: HypergradientOptions[] = [
    { method: 'cg', iterations: 3 }, { method: 'neumann', iterations: 5, alpha: 1 }, { method: 'finiteDifference' }, { method: 'unrolled' },
  ];
  for (const task of [logregTask(), mlpTask()]) {
    for (const method of methods) {
      const lib = viaEngine(task, method);
      const hand = byHand(task, method);
      const m = await lockstep(lib, hand, repeats);
      lib.dispose();
      hand.dispose();
      report({ bench: 'multilevel', case: `${task.name}/${method.method}/${backend}`, metric: 'outer-step-overhead', value: median(m.lib), unit: 'ms', baseline: median(m.hand), repeats });
    }
  }
  // BETTY's regression test: two whole runs (20 outer steps of 100 inner steps each) in lockstep.
  for (const method of [{ method: 'cg', iterations: 3 }, { method: 'neumann', iterations: 5, alpha: 1 }, { method: 'finiteDifference' }] as HypergradientOptions[]) {
    const l: number[] = [];
    const h: number[] = [];
    for (let run = 0; run < 2; run++) {
      const w = bettyWorkload(method);
      const m = await lockstep(w.lib, w.hand, BETTY_OUTER_STEPS - 1); // the warm-up step is the run's first
      w.dispose();
      l.push(...m.lib);
      h.push(...m.hand);
    }
    report({ bench: 'multilevel', case: `betty-logreg-l2-2000-inner-20-outer/${method.method}/${backend}`, metric: 'outer-step-overhead', value: median(l), unit: 'ms',
      baseline: median(h), repeats: l.length });
  }
}
