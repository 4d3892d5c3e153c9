import * as tf from '@tensorflow/tfjs-core';
import { syncReadsCheap } from '../backend/syncReads.js';
import { type Tree, tidyTree, treeFlatten } from '../tree/tree.js';
import { type MatVec, type VectorMatVec, flatLayout, flatMatVec, vdot } from './flatVector.js';

export type { MatVec, VectorMatVec } from './flatVector.js';

/** Options of the iterative linear solvers. */
export interface SolverOptions {
  /** Iterations (matrix-vector products). */
  iterations: number;
  /** Stop early when the residual norm falls below `tolerance * ||b||`; default 0 (CG: its floor, 1e-6). */
  tolerance?: number;
}

/** A linear solver: an approximate `x` with `A x = b`. All solvers share this signature (JAXopt's). */
export type LinearSolver<O extends SolverOptions = SolverOptions> = (matvec: MatVec, b: Tree, options: O) => Tree;

/** The smallest relative residual CG iterates to in float32. */
export const CG_FLOOR = 1e-6;

/**
 * Iterations between the stopping tests' host reads on backends where a synchronous read is cheap
 * (cpu, wasm, tensorflow; see {@link syncReadsCheap}); elsewhere the solvers read nothing.
 */
export const STOP_TEST_EVERY = 5;

/** Whether a solver that may stop early reads its stopping flag `live` (0 once stopped) before iteration `k`, and it says stop. */
function stoppedAt(k: number, live: tf.Tensor, readEvery: number): boolean {
  return readEvery > 0 && k > 0 && k % readEvery === 0 && live.dataSync()[0] === 0;
}

/** A tree solve as a solve on the tree's flat vector: flatten `b` once, iterate on vectors, split the answer back. */
function onVectors(matvec: MatVec, b: Tree, solve: (A: VectorMatVec, bv: tf.Tensor1D) => tf.Tensor1D): Tree {
  return tidyTree(() => {
    if (treeFlatten(b).leaves.length === 0) return b;
    const layout = flatLayout(b);
    return layout.fromVector(solve(flatMatVec(matvec, layout), layout.toVector(b)));
  });
}

/**
 * Conjugate gradient (Hestenes & Stiefel 1952) for symmetric positive-definite `A`, optionally
 * damped: solves `(A + damping I) x = b` from `x0 = 0`, on the parameters as one flat vector
 * ({@link solveCgVector}). Written with tf ops throughout (the step sizes are tensors), so the
 * solve is itself differentiable when an outer gradient records it.
 *
 * @example
 * ```ts
 * const x = solveCg((u) => hvp(f, w, u), v, { iterations: 10, damping: 1e-3 }); // ~ (H + 1e-3 I)^-1 v
 * ```
 */
export function solveCg(matvec: MatVec, b: Tree, options: SolverOptions & { damping?: number }): Tree {
  return onVectors(matvec, b, (A, bv) => solveCgVector(A, bv, options));
}

/**
 * CG on a flat vector: `r_0 = p_0 = b`, and while live,
 *
 *   `alpha_k = r_k^T r_k / p_k^T A p_k`,  `x_{k+1} = x_k + alpha_k p_k`,  `r_{k+1} = r_k - alpha_k A p_k`,
 *   `p_{k+1} = r_{k+1} + (r_{k+1}^T r_{k+1} / r_k^T r_k) p_k`.
 *
 * It stops once `||r_k|| <= max(tolerance, 1e-6) ||b||` (never below float32 noise: steps past
 * convergence divide vanishing numbers, noise eagerly and NaN under differentiation) or
 * `p_k^T A p_k = 0`. Negative curvature does not stop it: on an indefinite `A` it is the textbook
 * iteration, truncated. The stopping test never reads the host each iteration: a `live` flag on
 * the device (a 0/1 scalar) masks `alpha` and `beta` to 0 once it stops, so the iterates stay
 * put without a division by 0; on cpu, wasm and tensorflow the flag is read every
 * {@link STOP_TEST_EVERY} iterations to end the loop early (one scalar read), and on webgpu and webgl
 * never: all `iterations` products run.
 */
export function solveCgVector(A: VectorMatVec, b: tf.Tensor1D, options: SolverOptions & { damping?: number }): tf.Tensor1D {
  const { iterations, tolerance = 0, damping = 0 } = options;
  const readEvery = syncReadsCheap() ? STOP_TEST_EVERY : 0;
  const op = damping === 0 ? A : (v: tf.Tensor1D) => tf.tidy(() => tf.add(A(v), tf.mul(v, damping)) as tf.Tensor1D);
  return tf.tidy(() => {
    const one = tf.scalar(1);
    let x: tf.Tensor1D = tf.zerosLike(b);
    let r: tf.Tensor1D = b;
    let p: tf.Tensor1D = b;
    let rr = vdot(r, r);
    const stop = tf.mul(rr, Math.max(tolerance, CG_FLOOR) ** 2);
    // The gate: 1 while live, 0 once stopped; a NaN residual stays live (NaN reaches the answer, never
    // a silent 0). Arithmetic on scalars, not tf.where (which clones each of its inputs to broadcast).
    const above = (v: tf.Scalar) => tf.cast(tf.logicalNot(tf.lessEqual(v, stop)), 'float32');
    let live = above(rr);
    for (let k = 0; k < iterations; k++) {
      if (stoppedAt(k, live, readEvery)) break;
      const ap = op(p);
      const pap = vdot(p, ap);
      const on = tf.mul(live, tf.cast(tf.notEqual(pap, 0), 'float32'));
      const off = tf.sub(one, on);
      // Stopped: alpha = 0 / 1 and beta = 0 / 1, so x and r stay and p = r; no 0 / 0, also under differentiation.
      const alpha = tf.div(tf.mul(rr, on), tf.add(tf.mul(pap, on), off));
      x = tf.add(x, tf.mul(p, alpha));
      r = tf.sub(r, tf.mul(ap, alpha));
      const rrNext = vdot(r, r);
      const beta = tf.div(tf.mul(rrNext, on), tf.add(tf.mul(rr, on), off));
      p = tf.add(r, tf.mul(p, beta));
      rr = rrNext;
      live = tf.mul(on, above(rr));
    }
    return x;
  });
}

/**
 * Truncated Neumann series (Lorraine et al. 2020): `x = alpha sum_{j=0..K} (I - alpha A)^j b`,
 * which approaches `A^-1 b` as K grows when `0 < alpha < 2 / lambda_max(A)`; on the parameters as
 * one flat vector ({@link solveNeumannVector}).
 *
 * @example
 * ```ts
 * const x = solveNeumann((u) => hvp(f, w, u), v, { iterations: 20, alpha: 0.1 });
 * ```
 */
export function solveNeumann(matvec: MatVec, b: Tree, options: SolverOptions & { alpha: number }): Tree {
  return onVectors(matvec, b, (A, bv) => solveNeumannVector(A, bv, options));
}

/** The Neumann series on a flat vector: `p_0 = b`, `p_j = p_{j-1} - alpha A p_{j-1}`, `x = alpha sum_{j=0..K} p_j`. */
export function solveNeumannVector(A: VectorMatVec, b: tf.Tensor1D, options: SolverOptions & { alpha: number }): tf.Tensor1D {
  const { iterations, alpha } = options;
  return tf.tidy(() => {
    let p: tf.Tensor1D = b;
    let acc: tf.Tensor1D = b;
    for (let j = 1; j <= iterations; j++) {
      p = tf.sub(p, tf.mul(A(p), alpha));
      acc = tf.add(acc, p);
    }
    return tf.mul(acc, alpha);
  });
}

/**
 * Fixed-point iteration for `x = b + (I - alpha A) x` (hypertorch's fixed_point for the map
 * `T(w) = w - alpha grad`), i.e. `x = (alpha A)^-1 b`, from `x0 = 0`; stops when the update's norm
 * falls below `tolerance * ||b||`. On the parameters as one flat vector ({@link solveFixedPointVector}).
 *
 * @example
 * ```ts
 * const x = solveFixedPoint((u) => hvp(f, w, u), v, { iterations: 100, alpha: 0.1, tolerance: 1e-6 });
 * ```
 */
export function solveFixedPoint(matvec: MatVec, b: Tree, options: SolverOptions & { alpha: number }): Tree {
  return onVectors(matvec, b, (A, bv) => solveFixedPointVector(A, bv, options));
}

/**
 * The fixed-point iteration on a flat vector: `x_{k+1} = x_k - alpha A x_k + b`. With a tolerance,
 * a `live` flag on the device freezes `x` once `||x_{k+1} - x_k|| <= tolerance ||b||` (the update
 * that met it is kept); it is read every {@link STOP_TEST_EVERY} iterations on cpu, wasm and
 * tensorflow to end the loop early, and never on webgpu and webgl (all `iterations` run).
 */
export function solveFixedPointVector(A: VectorMatVec, b: tf.Tensor1D, options: SolverOptions & { alpha: number }): tf.Tensor1D {
  const { iterations, alpha, tolerance = 0 } = options;
  const readEvery = syncReadsCheap() ? STOP_TEST_EVERY : 0;
  return tf.tidy(() => {
    const stop = tolerance > 0 ? tf.mul(vdot(b, b), tolerance * tolerance) : null;
    let live: tf.Tensor = tf.scalar(true, 'bool');
    let x: tf.Tensor1D = tf.zerosLike(b);
    for (let k = 0; k < iterations; k++) {
      if (stop !== null && stoppedAt(k, live, readEvery)) break;
      const next: tf.Tensor1D = tf.add(tf.sub(x, tf.mul(A(x), alpha)), b);
      if (stop === null) {
        x = next;
        continue;
      }
      const d = tf.sub(next, x);
      x = tf.add(x, tf.mul(d, tf.cast(live, 'float32')));
      live = tf.logicalAnd(live, tf.logicalNot(tf.lessEqual(vdot(d, d), stop)));
    }
    return x;
  });
}
