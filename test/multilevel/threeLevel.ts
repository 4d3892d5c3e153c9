import * as tf from '@tensorflow/tfjs-core';
import { Engine, type HypergradientOptions, ImplicitProblem, IterativeProblem, type StepContext, sgd } from '../../src/index.js';

/**
 * A 3-level program, small enough to solve exactly in float64:
 *   C (bottom): L_C(c; b) = |c - tanh(P b)|^2 / 2 + k/4 sum c^4
 *   B (middle): L_B(b; a, c*) = |b - Q a|^2 / 2 + k/4 sum b^4 + beta/2 |c* - t|^2
 *   A (top):    L_A(a; b*) = |b* - s|^2 / 2 + rho/2 |a|^2
 * C's Hessian depends on b, so the middle level's implicit derivative needs third derivatives.
 */
export const P = [[0.8, -0.5, 0.3], [0.2, 0.9, -0.4], [-0.6, 0.1, 0.7]];
export const Q = [[1.0, -0.3], [0.4, 0.8], [-0.7, 0.5]];
export const T = [0.5, -0.4, 0.3];
export const S = [0.6, -0.2, 0.9];
export const K = 0.5;
export const BETA = 1;
export const RHO = 0.1;
const C_LR = 0.3;

const matVec = (m: number[][], v: number[]) => m.map((row) => row.reduce((s, x, j) => s + x * (v[j] as number), 0));

/** c*(b) and its Jacobian d c_star / d b, with C solved exactly (implicit) or by `steps` of GD from 0 (unrolled). */
export function solveC(b: number[], steps?: number): { c: number[]; J: number[][] } {
  const pb = matVec(P, b);
  const u = pb.map(Math.tanh);
  const du = P.map((row, i) => row.map((p) => p * (1 - (u[i] as number) ** 2))); // du/db
  if (steps === undefined) {
    const c = u.map((ui) => {
      let x = ui;
      for (let k = 0; k < 60; k++) x -= (x - ui + K * x ** 3) / (1 + 3 * K * x * x);
      return x;
    });
    return { c, J: du.map((row, i) => row.map((d) => d / (1 + 3 * K * (c[i] as number) ** 2))) };
  }
  let c = u.map(() => 0);
  let J = du.map((row) => row.map(() => 0));
  for (let k = 0; k < steps; k++) {
    J = J.map((row, i) => row.map((jv, j) => jv - C_LR * ((1 + 3 * K * (c[i] as number) ** 2) * jv - (du[i]?.[j] as number))));
    c = c.map((ci, i) => ci - C_LR * (ci - (u[i] as number) + K * ci ** 3));
  }
  return { c, J };
}

/** b*(a): minimises F_B(b) = L_B(b, a, c*(b)) by gradient descent to float64 precision. */
export function solveB(a: number[], cSteps?: number): { b: number[]; c: number[] } {
  const qa = matVec(Q, a);
  let b = qa.slice();
  for (let it = 0; it < 20000; it++) {
    const { c, J } = solveC(b, cSteps);
    const r = c.map((ci, i) => BETA * (ci - (T[i] as number)));
    const g = b.map((bj, j) => bj - (qa[j] as number) + K * bj ** 3 + J.reduce((s, row, i) => s + (row[j] as number) * (r[i] as number), 0));
    b = b.map((bj, j) => bj - 0.2 * (g[j] as number));
    if (Math.hypot(...g) < 1e-13) break;
  }
  return { b, c: solveC(b, cSteps).c };
}

/** The total top-level loss a -> L_A(a, b*(a)). */
export function topLoss(a: number[], cSteps?: number): number {
  const { b } = solveB(a, cSteps);
  return b.reduce((s, bj, j) => s + (bj - (S[j] as number)) ** 2, 0) / 2 + (RHO / 2) * a.reduce((s, x) => s + x * x, 0);
}

/** The reference hypergradient: central differences of the whole nested solve (float64). */
export function referenceHypergradient(a: number[], cSteps?: number): number[] {
  const h = 1e-5;
  return a.map((_x, i) => {
    const up = a.map((x, j) => (j === i ? x + h : x));
    const dn = a.map((x, j) => (j === i ? x - h : x));
    return (topLoss(up, cSteps) - topLoss(dn, cSteps)) / (2 * h);
  });
}

/** The engine for the program, with per-level hypergradient methods. */
export function threeLevelEngine(methodB: HypergradientOptions, methodC: HypergradientOptions, cIterative = false) {
  const Pt = tf.tensor2d(P);
  const Qt = tf.tensor2d(Q);
  const Tt = tf.tensor1d(T);
  const St = tf.tensor1d(S);
  const mv = (m: tf.Tensor2D, v: tf.Tensor) => tf.squeeze(tf.matMul(m, tf.reshape(v, [-1, 1])), [1]);
  const quart = (x: tf.Tensor) => tf.mul(K / 4, tf.sum(tf.pow(x, 4)));
  const half = (x: tf.Tensor) => tf.mul(0.5, tf.sum(tf.square(x)));
  const cOptions = {
    name: 'C', module: { params: tf.zeros([3]) as tf.Tensor }, optimizer: sgd({ lr: C_LR }), data: [0], config: { hypergradient: methodC },
    trainingStep: (_b: number, ctx: StepContext<tf.Tensor>) =>
      tf.add(half(tf.sub(ctx.params, tf.tanh(mv(Pt, ctx.get<tf.Tensor>('B'))))), quart(ctx.params)),
  };
  const C = cIterative ? new IterativeProblem(cOptions) : new ImplicitProblem(cOptions);
  const B = new ImplicitProblem({
    name: 'B', module: { params: tf.zeros([3]) as tf.Tensor }, optimizer: sgd({ lr: 0.2 }), data: [0], config: { hypergradient: methodB },
    trainingStep: (_b: number, ctx) =>
      tf.addN([half(tf.sub(ctx.params, mv(Qt, ctx.get<tf.Tensor>('A')))), quart(ctx.params), tf.mul(BETA, half(tf.sub(ctx.get<tf.Tensor>('C'), Tt)))]),
  });
  const A = new ImplicitProblem({
    name: 'A', module: { params: tf.zeros([2]) as tf.Tensor }, optimizer: sgd({ lr: 0.1 }), data: [0],
    trainingStep: (_b: number, ctx) => tf.add(half(tf.sub(ctx.get<tf.Tensor>('B'), St)), tf.mul(RHO, half(ctx.params))),
  });
  [A, B, C].forEach((p) => p.setBatch(0));
  const engine = new Engine({
    problems: [A, B, C],
    dependencies: { u2l: { A: ['B'], B: ['C'] }, l2u: { C: ['B'], B: ['A'] } },
    config: { iterations: 1 },
  });
  return { engine, A, B, C, dispose: () => { engine.dispose(); tf.dispose([Pt, Qt, Tt, St]); } };
}
