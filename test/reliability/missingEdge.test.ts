import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Dependencies, Engine, ImplicitProblem, type StepContext, sgd } from '../../src/index.js';
import { useBackend } from '../helpers/backends.js';
import { hypergradientAt } from '../helpers/multilevel.js';
import { relErr } from '../multilevel/ridge.js';
import { BETA, K, P, Q, RHO, S, T, solveB } from '../multilevel/threeLevel.js';

beforeAll(async () => useBackend('wasm'));

/** The top's loss when it reads the bottom's optimum: `|c*(b*(a)) - s|^2 / 2 + rho/2 |a|^2`, nested solve in float64. */
const topLoss = (a: number[]) => solveB(a).c.reduce((s, c, i) => s + (c - (S[i] as number)) ** 2, 0) / 2 + (RHO / 2) * a.reduce((s, x) => s + x * x, 0);
const reference = (a: number[]) => a.map((_x, i) => {
  const h = 1e-5;
  const up = a.map((x, j) => (j === i ? x + h : x));
  const dn = a.map((x, j) => (j === i ? x - h : x));
  return (topLoss(up) - topLoss(dn)) / (2 * h);
});

/** The 3-level program of test/multilevel/threeLevel.ts, with the top reading C's optimum instead of B's. */
function program(dependencies: Dependencies) {
  const [Pt, Qt, Tt, St] = [tf.tensor2d(P), tf.tensor2d(Q), tf.tensor1d(T), tf.tensor1d(S)];
  const mv = (m: tf.Tensor, v: tf.Tensor) => tf.squeeze(tf.matMul(m, tf.reshape(v, [-1, 1])), [1]);
  const quart = (x: tf.Tensor) => tf.mul(K / 4, tf.sum(tf.pow(x, 4)));
  const half = (x: tf.Tensor) => tf.mul(0.5, tf.sum(tf.square(x)));
  const cg = { hypergradient: { method: 'cg', iterations: 20 } } as const;
  const [z3, z3b, z2] = [tf.zeros([3]), tf.zeros([3]), tf.zeros([2])]; // copied by the problems
  const C = new ImplicitProblem<tf.Tensor, number>({
    name: 'C', module: { params: z3 }, optimizer: sgd({ lr: 0.3 }), data: [0], config: cg,
    trainingStep: (_b, ctx: StepContext<tf.Tensor>) => tf.add(half(tf.sub(ctx.params, tf.tanh(mv(Pt as tf.Tensor, ctx.get<tf.Tensor>('B'))))), quart(ctx.params)),
  });
  const B = new ImplicitProblem<tf.Tensor, number>({
    name: 'B', module: { params: z3b }, optimizer: sgd({ lr: 0.2 }), data: [0], config: cg,
    trainingStep: (_b, ctx) => tf.addN([half(tf.sub(ctx.params, mv(Qt as tf.Tensor, ctx.get<tf.Tensor>('A')))), quart(ctx.params), tf.mul(BETA, half(tf.sub(ctx.get<tf.Tensor>('C'), Tt as tf.Tensor)))]),
  });
  const A = new ImplicitProblem<tf.Tensor, number>({
    name: 'A', module: { params: z2 }, optimizer: sgd({ lr: 0.1 }), data: [0],
    trainingStep: (_b, ctx) => tf.add(half(tf.sub(ctx.get<tf.Tensor>('C'), St as tf.Tensor)), tf.mul(RHO, half(ctx.params))),
  });
  tf.dispose([z3, z3b, z2]);
  const dispose = () => { for (const p of [A, B, C]) p.dispose(); tf.dispose([Pt, Qt, Tt, St] as tf.Tensor[]); };
  try {
    [A, B, C].forEach((p) => p.setBatch(0));
    const engine = new Engine({ problems: [A, B, C], dependencies, config: { iterations: 1 } });
    return { engine, A, B, C, dispose: () => { engine.dispose(); tf.dispose([Pt, Qt, Tt, St] as tf.Tensor[]); } };
  } catch (e) {
    dispose();
    throw e;
  }
}

describe('a read whose hypergradient would miss a path is refused, naming the missing edge', () => {
  const a0 = [0.7, -0.4];
  it("the top reads the bottom's optimum without l2u {B: ['A']}: the graph is refused naming the edge to add", () => {
    const before = tf.memory().numTensors;
    expect(() => program({ u2l: { A: ['B'], B: ['C'] }, l2u: { C: ['B', 'A'] } })).toThrow(
      "Engine: problem 'A' reads the optimum of 'C' (dependencies.l2u['C']), whose loss reads the parameters of 'B', which depend on 'A' (dependencies.u2l: A -> B); " +
      "'A''s hypergradient would miss the path through 'B'. Add 'A' to dependencies.l2u['B'] (so that 'A' reads 'B''s optimum too)",
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('with the edge, the top\'s hypergradient matches central differences of the nested solve (float64)', () => {
    const { b, c } = solveB(a0);
    const g = hypergradientAt(program({ u2l: { A: ['B'], B: ['C'] }, l2u: { C: ['B', 'A'], B: ['A'] } }), { A: a0, B: b, C: c }, 'A');
    const ref = reference(a0);
    expect(relErr(g, ref)).toBeLessThan(1e-3);
    // The direct term alone (what the graph without the edge computed) is far off.
    expect(relErr(a0.map((x) => RHO * x), ref)).toBeGreaterThan(0.5);
  });

  it('graphs whose reads cover every path are accepted (a chain, and the top reading both lower levels)', () => {
    for (const deps of [
      { u2l: { A: ['B'], B: ['C'] }, l2u: { C: ['B'], B: ['A'] } },
      { u2l: { A: ['B', 'C'], B: ['C'] }, l2u: { C: ['B', 'A'], B: ['A'] } },
    ] as Dependencies[]) {
      const p = program(deps);
      p.dispose();
    }
  });
});
