import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { TEST_BACKENDS, useBackend } from '../../test/helpers/backends.js';
import { countSyncReads } from '../../test/helpers/hostReads.js';
import { grad } from '../autodiff/grad.js';
import { type Tree, tidyTree, treeFlatten } from '../tree/tree.js';
import { solveCg, solveFixedPoint, solveNeumann } from './linearSolvers.js';

/** A symmetric 10 x 10 matrix with the given eigenvalues: `Q diag(lambda) Q` with a Householder reflector `Q`. */
function symmetric(lambda: readonly number[]): number[][] {
  const n = lambda.length;
  const v = Array.from({ length: n }, (_, i) => Math.sin(1.3 * i + 0.4) + 0.2);
  const vv = v.reduce((s, x) => s + x * x, 0);
  const q = (i: number, j: number) => (i === j ? 1 : 0) - (2 * (v[i] as number) * (v[j] as number)) / vv;
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => lambda.reduce((s, l, k) => s + q(i, k) * l * q(k, j), 0)));
}

const matvec64 = (m: number[][], x: readonly number[]) => m.map((row) => row.reduce((s, a, j) => s + a * (x[j] as number), 0));
const dot64 = (a: readonly number[], b: readonly number[]) => a.reduce((s, x, i) => s + x * (b[i] as number), 0);

/** Textbook CG in float64 with the solver's stopping rules (relative residual 1e-6, p^T A p = 0). */
function cg64(m: number[][], b: readonly number[], iterations: number): number[] {
  let x = b.map(() => 0);
  let r = [...b];
  let p = [...b];
  let rr = dot64(r, r);
  const stop = 1e-12 * rr;
  for (let k = 0; k < iterations && rr > stop; k++) {
    const ap = matvec64(m, p);
    const pap = dot64(p, ap);
    if (pap === 0) break;
    const alpha = rr / pap;
    x = x.map((xi, i) => xi + alpha * (p[i] as number));
    r = r.map((ri, i) => ri - alpha * (ap[i] as number));
    const next = dot64(r, r);
    p = r.map((ri, i) => ri + (next / rr) * (p[i] as number));
    rr = next;
  }
  return x;
}

/** Four leaves of shapes [2], [2, 2], [3], [1] (10 entries), and back. */
const SHAPES = [[2], [2, 2], [3], [1]];
function toTree(v: readonly number[]): Tree {
  let at = 0;
  const [a, b, c, d] = SHAPES.map((s) => {
    const n = s.reduce((p, q) => p * q, 1);
    const t = tf.tensor(v.slice(at, at + n), s);
    at += n;
    return t;
  }) as tf.Tensor[];
  return { a: a as tf.Tensor, b: [b as tf.Tensor, { c: c as tf.Tensor }], d: d as tf.Tensor };
}
const fromTree = (t: Tree): number[] => treeFlatten(t).leaves.flatMap((x) => Array.from(x.dataSync()));
const relErr = (a: readonly number[], b: readonly number[]) =>
  Math.sqrt(a.reduce((s, x, i) => s + (x - (b[i] as number)) ** 2, 0) / b.reduce((s, x) => s + x * x, 0));

/** `M x` on the four-leaf tree, with tf ops (the tree's flatten order). */
function treeMatvec(m: number[][]): (x: Tree) => Tree {
  const mt = tf.tensor2d(m);
  tf.keep(mt);
  return (x) => tidyTree(() => {
    const flat = tf.concat(treeFlatten(x).leaves.map((l) => tf.reshape(l, [l.size])));
    return toTreeTensor(tf.reshape(tf.matMul(mt, tf.reshape(flat, [-1, 1])), [-1]), x);
  });
}
function toTreeTensor(v: tf.Tensor, like: Tree): Tree {
  const { leaves } = treeFlatten(like);
  const parts = tf.split(v, leaves.map((l) => l.size));
  let i = 0;
  const next = () => tf.reshape(parts[i] as tf.Tensor, (leaves[i++] as tf.Tensor).shape);
  // treeFlatten sorts record keys: a, b, d; b = [b0, {c}].
  const a = next();
  const b0 = next();
  const c = next();
  const d = next();
  return { a, b: [b0, { c }], d };
}

const B = [1, -2, 0.5, 3, -1, 0.25, 2, -0.5, 1.5, -3];

for (const backend of TEST_BACKENDS) {
  describe(`linear solvers on one flat vector (${backend})`, () => {
    it('truncated CG on an indefinite 4-leaf operator (3 of 10 eigenvalues negative) follows float64 CG iterate by iterate', async () => {
      await useBackend(backend);
      const m = symmetric([-3, -1.5, -0.5, 0.8, 1, 2, 3, 4, 5, 6]);
      const A = treeMatvec(m);
      const b = toTree(B);
      const before = tf.memory().numTensors;
      for (let k = 1; k <= 12; k++) {
        const x = solveCg(A, b, { iterations: k });
        expect(relErr(fromTree(x), cg64(m, B, k)), `iteration ${k}`).toBeLessThan(2e-4);
        tf.dispose(treeFlatten(x).leaves);
      }
      expect(tf.memory().numTensors).toBe(before);
    });

    it('CG stops at its tolerance: the masked iterations after it leave x as float64 CG stopped, with no NaN, also under differentiation', async () => {
      await useBackend(backend);
      const m = symmetric([1, 1, 1, 1, 1, 2, 2, 2, 2, 2]); // two eigenvalues: exact after 2 iterations
      const A = treeMatvec(m);
      const b = toTree(B);
      const x = solveCg(A, b, { iterations: 12 });
      expect(relErr(fromTree(x), cg64(m, B, 12))).toBeLessThan(1e-5);
      // d/db of <c, x(b)> = M^-1 c: differentiating the stopped iterations must not divide 0 by 0.
      const c = toTree(B.map((v, i) => (i % 3) - v / 4));
      const g = grad((bb: Tree) => {
        const xb = solveCg(A, bb, { iterations: 12 });
        const [xl, cl] = [treeFlatten(xb).leaves, treeFlatten(c).leaves];
        return tf.addN(xl.map((l, i) => tf.sum(tf.mul(l, cl[i] as tf.Tensor)))) as tf.Scalar;
      })(b);
      const gv = fromTree(g);
      expect(gv.every(Number.isFinite)).toBe(true);
      expect(relErr(gv, cg64(m, fromTree(c), 12))).toBeLessThan(1e-4);
      const zero = solveCg(A, toTree(B.map(() => 0)), { iterations: 5 });
      expect(fromTree(zero)).toEqual(B.map(() => 0));
    });

    it('CG(10) reads the host once (its stopping flag before iteration 5); neumann none; fixedPoint with a tolerance every 5 iterations', async () => {
      await useBackend(backend);
      const m = symmetric([1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5]);
      const A = treeMatvec(m);
      const b = toTree(B);
      const cg = await countSyncReads(() => solveCg(A, b, { iterations: 10 }));
      expect(cg.total).toBe(1);
      const neumann = await countSyncReads(() => solveNeumann(A, b, { iterations: 10, alpha: 0.1 }));
      expect(neumann.total).toBe(0);
      const fp = await countSyncReads(() => solveFixedPoint(A, b, { iterations: 12, alpha: 0.1, tolerance: 1e-9 }));
      expect(fp.total).toBe(2);
    });

    it('neumann and fixedPoint on the flat vector match their float64 series', async () => {
      await useBackend(backend);
      const m = symmetric([1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5]);
      const A = treeMatvec(m);
      const b = toTree(B);
      const alpha = 0.15;
      let p = [...B];
      let acc = [...B];
      let x = B.map(() => 0);
      for (let j = 1; j <= 15; j++) {
        const ap = matvec64(m, p);
        p = p.map((pi, i) => pi - alpha * (ap[i] as number));
        acc = acc.map((a, i) => a + (p[i] as number));
      }
      for (let k = 0; k < 15; k++) {
        const ax = matvec64(m, x);
        x = x.map((xi, i) => xi - alpha * (ax[i] as number) + (B[i] as number));
      }
      expect(relErr(fromTree(solveNeumann(A, b, { iterations: 15, alpha })), acc.map((a) => a * alpha))).toBeLessThan(1e-5);
      expect(relErr(fromTree(solveFixedPoint(A, b, { iterations: 15, alpha })), x)).toBeLessThan(1e-5);
      // With a tolerance it stops at the first update below tolerance * ||b|| (here: never, so all 15).
      expect(relErr(fromTree(solveFixedPoint(A, b, { iterations: 15, alpha, tolerance: 1e-12 })), x)).toBeLessThan(1e-5);
    });
  });
}
