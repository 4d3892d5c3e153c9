import * as tf from '@tensorflow/tfjs-core';
import { Engine, type HypergradientOptions, ImplicitProblem, type StepContext, sgd } from '../../src/index.js';
import { BETA, K, P, Q, RHO, S, T, solveB } from './threeLevel.js';

/**
 * A 4-level chain D -> A -> B -> C: C and B as in the 3-level program, A now a middle level,
 *   A: L_A(a; d, b*) = |a - R d|^2 / 2 + k/4 sum a^4 + g/2 |b*(a) - s|^2
 *   D (top): L_D(d; a*) = |a* - r|^2 / 2 + rho/2 |d|^2
 */
export const R = [[0.9, 0.2], [-0.3, 0.7]];
export const RT = [0.4, -0.5];
export const G = 1;

const matVec = (m: number[][], v: number[]) => m.map((row) => row.reduce((s, x, j) => s + x * (v[j] as number), 0));
const bObjectiveGrad = (a: number[]) => {
  const b = solveB(a).b;
  return b.map((bj, j) => G * (bj - (S[j] as number)));
};

/** a_star(d): gradient descent on F_A(a) = L_A(a, d, b_star(a)), with d b_star / d a by central differences of the B solve. */
export function solveA(d: number[]): number[] {
  const rd = matVec(R, d);
  let a = rd.slice();
  const h = 1e-5;
  for (let it = 0; it < 400; it++) {
    const r = bObjectiveGrad(a);
    const J = a.map((_x, i) => {
      const up = solveB(a.map((x, j) => (j === i ? x + h : x))).b;
      const dn = solveB(a.map((x, j) => (j === i ? x - h : x))).b;
      return up.map((u, k) => (u - (dn[k] as number)) / (2 * h));
    }); // J[i][k] = d b_k / d a_i
    const g = a.map((ai, i) => ai - (rd[i] as number) + K * ai ** 3 + (J[i] as number[]).reduce((s, jk, k) => s + jk * (r[k] as number), 0));
    a = a.map((ai, i) => ai - 0.3 * (g[i] as number));
    if (Math.hypot(...g) < 1e-11) break;
  }
  return a;
}

/** Reference: central differences (float64) of d -> L_D(d, a*(d)). */
export function referenceFourLevel(d: number[]): number[] {
  const top = (x: number[]) => {
    const a = solveA(x);
    return a.reduce((s, ai, i) => s + (ai - (RT[i] as number)) ** 2, 0) / 2 + (RHO / 2) * x.reduce((s, v) => s + v * v, 0);
  };
  const h = 1e-4;
  return d.map((_x, i) => (top(d.map((x, j) => (j === i ? x + h : x))) - top(d.map((x, j) => (j === i ? x - h : x)))) / (2 * h));
}

/** The engine for the chain, with one hypergradient method per lower level. */
export function fourLevelEngine(mA: HypergradientOptions, mB: HypergradientOptions, mC: HypergradientOptions) {
  const [Pt, Qt, Rt, Tt, St, RTt] = [tf.tensor2d(P), tf.tensor2d(Q), tf.tensor2d(R), tf.tensor1d(T), tf.tensor1d(S), tf.tensor1d(RT)];
  const mv = (m: tf.Tensor2D, v: tf.Tensor) => tf.squeeze(tf.matMul(m, tf.reshape(v, [-1, 1])), [1]);
  const quart = (x: tf.Tensor) => tf.mul(K / 4, tf.sum(tf.pow(x, 4)));
  const half = (x: tf.Tensor) => tf.mul(0.5, tf.sum(tf.square(x)));
  const mk = (name: string, n: number, method: HypergradientOptions | undefined, step: (ctx: StepContext<tf.Tensor>) => tf.Tensor) =>
    new ImplicitProblem<tf.Tensor, number>({
      name, module: { params: tf.zeros([n]) }, optimizer: sgd({ lr: 0.1 }), data: [0],
      config: method ? { hypergradient: method } : {}, trainingStep: (_b, ctx) => step(ctx),
    });
  const C = mk('C', 3, mC, (ctx) => tf.add(half(tf.sub(ctx.params, tf.tanh(mv(Pt, ctx.get<tf.Tensor>('B'))))), quart(ctx.params)));
  const B = mk('B', 3, mB, (ctx) => tf.addN([half(tf.sub(ctx.params, mv(Qt, ctx.get<tf.Tensor>('A')))), quart(ctx.params), tf.mul(BETA, half(tf.sub(ctx.get<tf.Tensor>('C'), Tt)))]));
  const A = mk('A', 2, mA, (ctx) => tf.addN([half(tf.sub(ctx.params, mv(Rt, ctx.get<tf.Tensor>('D')))), quart(ctx.params), tf.mul(G, half(tf.sub(ctx.get<tf.Tensor>('B'), St)))]));
  const D = mk('D', 2, undefined, (ctx) => tf.add(half(tf.sub(ctx.get<tf.Tensor>('A'), RTt)), tf.mul(RHO, half(ctx.params))));
  [A, B, C, D].forEach((p) => p.setBatch(0));
  const engine = new Engine({
    problems: [D, A, B, C],
    dependencies: { u2l: { D: ['A'], A: ['B'], B: ['C'] }, l2u: { C: ['B'], B: ['A'], A: ['D'] } },
    config: { iterations: 1 },
  });
  return { engine, A, B, C, D, dispose: () => { engine.dispose(); tf.dispose([Pt, Qt, Rt, Tt, St, RTt]); } };
}
