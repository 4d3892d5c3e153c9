/**
 * BETTY's own regression test (logistic-regression L2 HPO) as a benchmark workload: n = 1000,
 * d = 20, labels `1[x . w0 + 0.1 eps > 0]`, a 50/50 train/validation split; inner BCE +
 * `1/2 w^T diag(lambda) w` from w = 0 by SGD (lr 0.1), warm-started, 100 steps per outer step;
 * outer SGD (lr 1, momentum 0.9) on lambda, clamped at 1e-8; 20 outer steps (2,000 inner steps,
 * 20 hypergradients). Once through the public API (Problem and Engine), once as a hand-written
 * loop with the same differentiation primitives, both steppable one outer step at a time.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  Engine, type HypergradientOptions, ImplicitProblem, grad, hvp, mixedHvp, normalTensor, seededRandom, sgd, sigmoidCrossEntropy,
  solveCg, solveNeumann, treeAddScaled, treeNorm, treeScale, treeSub,
} from '../src/index.js';
import type { OuterStepper } from './multilevel.js';

type Batch = { x: tf.Tensor2D; y: tf.Tensor1D };
const D = 20;
const INNER = 100;
/** Outer steps of the workload (one hypergradient each). */
export const BETTY_OUTER_STEPS = 20;

function data(): { train: Batch; valid: Batch; dispose: () => void } {
  const rand = seededRandom(0);
  const x = normalTensor([1000, D], rand) as tf.Tensor2D;
  const w0 = normalTensor([D, 1], rand);
  const eps = normalTensor([1000, 1], rand);
  const y = tf.tidy(() => tf.cast(tf.greater(tf.squeeze(tf.add(tf.matMul(x, w0), tf.mul(0.1, eps)), [1]), 0), 'float32')) as tf.Tensor1D;
  const [xt, xv] = tf.split(x, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
  const [yt, yv] = tf.split(y, 2, 0) as [tf.Tensor1D, tf.Tensor1D];
  return { train: { x: xt, y: yt }, valid: { x: xv, y: yv }, dispose: () => tf.dispose([x, w0, eps, y, xt, xv, yt, yv]) };
}

const logits = (w: tf.Tensor, b: Batch) => tf.squeeze(tf.matMul(b.x, tf.reshape(w, [D, 1])), [1]);
const innerLoss = (w: tf.Tensor, lam: tf.Tensor, b: Batch) => tf.add(sigmoidCrossEntropy(b.y, logits(w, b)), tf.mul(0.5, tf.sum(tf.mul(lam, tf.square(w)))));
const outerLoss = (w: tf.Tensor, b: Batch) => sigmoidCrossEntropy(b.y, logits(w, b));

/** The workload through `ImplicitProblem` and `Engine` (what a user porting the test writes). */
function viaEngine(d: ReturnType<typeof data>, method: HypergradientOptions): OuterStepper {
  const inner = new ImplicitProblem<tf.Tensor, Batch>({
    name: 'inner', module: { params: tf.zeros([D]) }, optimizer: sgd({ lr: 0.1 }), data: [d.train],
    config: { hypergradient: method, unrollSteps: INNER },
    trainingStep: (b, ctx) => innerLoss(ctx.params, ctx.get<tf.Tensor>('outer'), b),
  });
  const outer = new ImplicitProblem<tf.Tensor, Batch>({
    name: 'outer', module: { params: tf.ones([D]) }, optimizer: sgd({ lr: 1, momentum: 0.9 }), data: [d.valid],
    paramCallback: (lam) => tf.maximum(lam, 1e-8),
    trainingStep: (b, ctx) => outerLoss(ctx.get<tf.Tensor>('inner'), b),
  });
  const engine = new Engine({ problems: [outer, inner], dependencies: { u2l: { outer: ['inner'] }, l2u: { inner: ['outer'] } }, config: { iterations: INNER } });
  return { step: async () => { await engine.run(); }, dispose: () => engine.dispose() };
}

/** The same workload as a hand-written loop: plain SGD steps, the hypergradient, momentum on lambda. */
function byHand(d: ReturnType<typeof data>, method: HypergradientOptions): OuterStepper {
  let w: tf.Tensor = tf.zeros([D]);
  let lam: tf.Tensor = tf.ones([D]);
  let mom: tf.Tensor = tf.zeros([D]);
  const step = () => {
    for (let k = 0; k < INNER; k++) {
      const next = tf.tidy(() => treeAddScaled(w, -0.1, grad((q: tf.Tensor) => innerLoss(q, lam, d.train))(w)));
      w.dispose();
      w = next;
    }
    const [nl, nm] = tf.tidy(() => {
      const v = grad((q: tf.Tensor) => outerLoss(q, d.valid))(w);
      const H = (u: tf.Tensor) => hvp((q: tf.Tensor) => innerLoss(q, lam, d.train), w, u);
      const cross = (x: tf.Tensor) => treeScale(mixedHvp((l: tf.Tensor, q: tf.Tensor) => innerLoss(q, l, d.train), lam, w, x), -1);
      let g: tf.Tensor;
      if (method.method === 'cg') g = cross(solveCg((u) => H(u as tf.Tensor), v, { iterations: method.iterations }) as tf.Tensor);
      else if (method.method === 'neumann') g = cross(solveNeumann((u) => H(u as tf.Tensor), v, { iterations: method.iterations, alpha: method.alpha }) as tf.Tensor);
      else {
        const eps = 0.01 / (treeNorm(v).dataSync()[0] as number);
        const gl = (q: tf.Tensor) => grad((l: tf.Tensor) => innerLoss(q, l, d.train))(lam);
        g = treeScale(treeSub(gl(treeAddScaled(w, eps, v)), gl(treeAddScaled(w, -eps, v))), -1 / (2 * eps));
      }
      const m = tf.add(tf.mul(mom, 0.9), g);
      return [tf.maximum(tf.sub(lam, m), 1e-8), m];
    });
    tf.dispose([lam, mom]);
    [lam, mom] = [nl, nm];
  };
  return { step, dispose: () => tf.dispose([w, lam, mom]) };
}

/** Both versions of the workload on one data set, and a disposer of all three. */
export function bettyWorkload(method: HypergradientOptions): { lib: OuterStepper; hand: OuterStepper; dispose: () => void } {
  const d = data();
  const lib = viaEngine(d, method);
  const hand = byHand(d, method);
  return { lib, hand, dispose: () => { lib.dispose(); hand.dispose(); d.dispose(); } };
}
