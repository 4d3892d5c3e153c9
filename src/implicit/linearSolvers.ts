import * as tf from '@tensorflow/tfjs-core';
import { type Tree, tidyTree } from '../tree/tree.js';
import { treeAddScaled, treeDot, treeScale, treeZerosLike } from '../tree/treeMath.js';

/** A linear operator on trees: `x -> A x` (e.g. a Hessian-vector product). */
export type MatVec = (x: Tree) => Tree;

/** Options of the iterative linear solvers. */
export interface SolverOptions {
  /** Iterations (matrix-vector products). */
  iterations: number;
  /** Stop early when the residual norm falls below `tolerance * ||b||`; default 0 (CG: its floor, 1e-6). */
  tolerance?: number;
}

/** A linear solver: an approximate `x` with `A x = b`. All solvers share this signature (JAXopt's). */
export type LinearSolver<O extends SolverOptions = SolverOptions> = (matvec: MatVec, b: Tree, options: O) => Tree;

const num = (t: tf.Tensor): number => t.dataSync()[0] as number;

/** The smallest relative residual CG iterates to in float32. */
export const CG_FLOOR = 1e-6;

/**
 * Conjugate gradient (Hestenes & Stiefel 1952) for symmetric positive-definite `A`, optionally
 * damped: solves `(A + damping I) x = b` from `x0 = 0`. Written with tf ops throughout (the step
 * sizes are tensors), so the solve is itself differentiable when an outer gradient records it.
 */
export function solveCg(matvec: MatVec, b: Tree, options: SolverOptions & { damping?: number }): Tree {
  const { iterations, tolerance = 0, damping = 0 } = options;
  const A = (x: Tree) => (damping === 0 ? matvec(x) : treeAddScaled(matvec(x), damping, x));
  return tidyTree(() => {
    let x: Tree = treeZerosLike(b);
    let r: Tree = b;
    let p: Tree = b;
    let rr = treeDot(r, r);
    // Stop at the tolerance, never below float32 noise (1e-6 relative): steps past convergence
    // divide vanishing numbers, which is noise eagerly and NaN under differentiation.
    const stop = Math.max(tolerance, CG_FLOOR) ** 2 * num(rr);
    for (let k = 0; k < iterations; k++) {
      if (num(rr) <= stop) break;
      const ap = A(p);
      const pap = treeDot(p, ap);
      if (num(pap) === 0) break;
      const alpha = tf.div(rr, pap);
      x = treeAddScaled(x, alpha as tf.Scalar, p);
      r = treeAddScaled(r, tf.neg(alpha) as tf.Scalar, ap);
      const rrNext = treeDot(r, r);
      p = treeAddScaled(r, tf.div(rrNext, rr) as tf.Scalar, p);
      rr = rrNext;
    }
    return x;
  });
}

/**
 * Truncated Neumann series (Lorraine et al. 2020): `x = alpha sum_{j=0..K} (I - alpha A)^j b`,
 * which approaches `A^-1 b` as K grows when `0 < alpha < 2 / lambda_max(A)`.
 */
export function solveNeumann(matvec: MatVec, b: Tree, options: SolverOptions & { alpha: number }): Tree {
  const { iterations, alpha } = options;
  return tidyTree(() => {
    let p: Tree = b;
    let acc: Tree = b;
    for (let j = 1; j <= iterations; j++) {
      p = treeAddScaled(p, -alpha, matvec(p));
      acc = treeAddScaled(acc, 1, p);
    }
    return treeScale(acc, alpha);
  });
}

/**
 * Fixed-point iteration for `x = b + (I - alpha A) x` (hypertorch's fixed_point for the map
 * `T(w) = w - alpha grad`), i.e. `x = (alpha A)^-1 b`, from `x0 = 0`; stops when the update's norm
 * falls below `tolerance * ||b||`.
 */
export function solveFixedPoint(matvec: MatVec, b: Tree, options: SolverOptions & { alpha: number }): Tree {
  const { iterations, alpha, tolerance = 0 } = options;
  return tidyTree(() => {
    const bb = tolerance > 0 ? num(treeDot(b, b)) : 0;
    let x: Tree = treeZerosLike(b);
    for (let k = 0; k < iterations; k++) {
      const next = treeAddScaled(treeAddScaled(x, -alpha, matvec(x)), 1, b);
      const delta = tolerance > 0 ? num(treeDot(treeAddScaled(next, -1, x), treeAddScaled(next, -1, x))) : 1;
      x = next;
      if (tolerance > 0 && delta <= tolerance * tolerance * bb) break;
    }
    return x;
  });
}
