import * as tf from '@tensorflow/tfjs-core';
import * as math from 'mathjs';
import {
  Engine, type GradientTransformation, type HypergradientOptions, ImplicitProblem, IterativeProblem, type Precision, type StepContext, type Tree, meanSquaredError,
  seededRandom, sgd,
} from '../../src/index.js';

/** A ridge-regression bilevel problem with its float64 closed forms. */
export interface Ridge {
  X: number[][]; y: number[]; Xv: number[][]; yv: number[]; lambda: number[];
  /** w* = (X^T X / n + diag(lambda))^-1 X^T y / n. */
  wStar: number[];
  /** dL_val/dlambda = -diag(w*) A^-1 g_val. */
  exact: number[];
  /** The finiteDifference (identity inverse Hessian) answer: -diag(w*) g_val. */
  identityHessian: number[];
  /** A = X^T X / n + diag(lambda). */
  A: number[][];
}

export function makeRidge(seed: number, n = 40, nv = 30, d = 5): Ridge {
  const r = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r());
  const wTrue = Array.from({ length: d }, gauss);
  const data = (m: number) => {
    const X = Array.from({ length: m }, () => Array.from({ length: d }, gauss));
    const y = X.map((row) => row.reduce((s, x, j) => s + x * (wTrue[j] as number), 0) + 0.5 * gauss());
    return { X, y };
  };
  const { X, y } = data(n);
  const { X: Xv, y: yv } = data(nv);
  const lambda = Array.from({ length: d }, () => 0.05 + 0.3 * r());
  const Xt = math.transpose(X);
  const A = math.add(math.divide(math.multiply(Xt, X), n), math.diag(lambda)) as number[][];
  const b = math.divide(math.multiply(Xt, y), n) as number[];
  const Ainv = math.inv(A);
  const wStar = math.multiply(Ainv, b) as number[];
  const resid = math.subtract(math.multiply(Xv, wStar), yv) as number[];
  const gVal = math.divide(math.multiply(math.transpose(Xv), resid), nv) as number[];
  const AinvG = math.multiply(Ainv, gVal) as number[];
  return {
    X, y, Xv, yv, lambda, wStar, A,
    exact: wStar.map((w, j) => -w * (AinvG[j] as number)),
    identityHessian: wStar.map((w, j) => -w * (gVal[j] as number)),
  };
}

type Batch = { x: tf.Tensor2D; y: tf.Tensor1D };

/** The engine for a ridge problem: inner w (ridge loss), outer lambda (validation MSE / 2). */
export function ridgeEngine(rd: Ridge, method: HypergradientOptions, options: { iterative?: boolean; innerLr?: number; unrollSteps?: number; outerLr?: number; precision?: Precision; momentum?: number; optimizer?: GradientTransformation<Tree> } = {}) {
  const train: Batch = { x: tf.tensor2d(rd.X), y: tf.tensor1d(rd.y) };
  const valid: Batch = { x: tf.tensor2d(rd.Xv), y: tf.tensor1d(rd.yv) };
  const d = rd.lambda.length;
  const predict = (w: tf.Tensor, x: tf.Tensor2D) => tf.squeeze(tf.matMul(x, tf.reshape(w, [d, 1])), [1]);
  const innerOptions = {
    name: 'inner',
    module: { params: tf.zeros([d]) as tf.Tensor },
    optimizer: options.optimizer ?? sgd({ lr: options.innerLr ?? 0.1, ...(options.momentum ? { momentum: options.momentum } : {}) }),
    data: [train],
    config: { hypergradient: method, unrollSteps: options.unrollSteps ?? 1, precision: options.precision ?? 'fp32' },
    trainingStep: (b: Batch, ctx: StepContext<tf.Tensor>) => {
      const lam = ctx.get<tf.Tensor>('outer');
      return tf.add(tf.mul(0.5, meanSquaredError(b.y, predict(ctx.params, b.x))), tf.mul(0.5, tf.sum(tf.mul(lam, tf.square(ctx.params)))));
    },
  };
  const inner = options.iterative ? new IterativeProblem(innerOptions) : new ImplicitProblem(innerOptions);
  const outer = new ImplicitProblem({
    name: 'outer',
    module: { params: tf.tensor1d(rd.lambda) as tf.Tensor },
    optimizer: sgd({ lr: options.outerLr ?? 0.01 }),
    data: [valid],
    config: { precision: options.precision ?? 'fp32' },
    trainingStep: (b: Batch, ctx) => tf.mul(0.5, meanSquaredError(b.y, predict(ctx.get<tf.Tensor>('inner'), b.x))),
  });
  inner.setBatch(train);
  outer.setBatch(valid);
  const engine = new Engine({
    problems: [outer, inner], dependencies: { u2l: { outer: ['inner'] }, l2u: { inner: ['outer'] } }, config: { iterations: 1 },
  });
  return { engine, inner, outer, dispose: () => { engine.dispose(); tf.dispose([train.x, train.y, valid.x, valid.y]); } };
}

/** Relative error ||a - b|| / ||b||. */
export function relErr(a: ArrayLike<number>, b: readonly number[]): number {
  let num = 0;
  let den = 0;
  b.forEach((bi, i) => {
    num += ((a[i] as number) - bi) ** 2;
    den += bi ** 2;
  });
  return Math.sqrt(num / den);
}
