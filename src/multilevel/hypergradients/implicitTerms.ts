import { stopGradient } from '../../autodiff/stopGradient.js';
import { gradients } from '../../autodiff/tape.js';
import { syncReadsCheap } from '../../backend/syncReads.js';
import { type MatVec, type VectorMatVec, flatLayout, flatMatVec, vdot } from '../../implicit/flatVector.js';
import { type Tree, tidyTree, treeFlatten, treeUnflatten } from '../../tree/tree.js';
import * as tf from '@tensorflow/tfjs-core';
import { treeAddScaled, treeNorm, treeScale, treeSub } from '../../tree/treeMath.js';
import type { HypergradientContext } from './types.js';

/** `u -> H u` with `H = d^2 F / dw^2` at the solution (the context's oracle). */
export function hessianOf(ctx: HypergradientContext): MatVec {
  return ctx.hessianVector;
}

/**
 * A series solve (Neumann, fixed point) of `H x = v` on the flat vector of `v`, watched for
 * divergence ({@link watchedHessian}): `solve` gets the watched operator and `v` as a vector; the
 * checked answer comes back as a tree shaped like `v`.
 */
export function watchedSeries(ctx: HypergradientContext, method: string, alpha: number, v: Tree,
  solve: (A: VectorMatVec, b: tf.Tensor1D) => tf.Tensor1D): Tree {
  return tidyTree(() => {
    const layout = flatLayout(v);
    if (layout.size === 0) return v;
    const h = watchedHessian(ctx, method, alpha, flatMatVec(ctx.hessianVector, layout));
    return layout.fromVector(h.check(solve(h.matvec, layout.toVector(v))));
  });
}

/**
 * `u -> H u` on flat vectors for a series solver with step `alpha` (Neumann, fixed point), watched
 * for divergence: it keeps the last product's `u` and `H u` (two vector references, nothing
 * computed per product), from which `check` forms `r = ||(I - alpha H) u|| / ||u||` and the
 * Rayleigh quotient `rho = u^T H u / u^T u` (scaled by `1 / max|u|` first: a diverging series
 * overflows float32 in the squared norms). The series converges when `|1 - alpha lambda| < 1` for
 * every eigenvalue lambda of H, so `r <= 1` then; `r > 1` on the last term (where the divergent
 * directions dominate) proves it diverged. Where a synchronous read is cheap (cpu, wasm,
 * tensorflow) `check(x)` reads the three numbers once and throws, naming the problem, alpha and
 * a bound, else returns `x`; on webgpu and webgl it reads nothing: where the last term diverged,
 * every entry of `x` becomes NaN on the device (one select), so a diverged series never passes as
 * a number (the non-finite checks downstream name it).
 */
export function watchedHessian(ctx: HypergradientContext, method: string, alpha: number, A: VectorMatVec):
  { matvec: VectorMatVec; check: (x: tf.Tensor1D) => tf.Tensor1D } {
  let last: [tf.Tensor1D, tf.Tensor1D] | null = null;
  const release = () => {
    if (last !== null) tf.dispose(last);
    last = null;
  };
  const matvec: VectorMatVec = (u) => {
    const hu = A(u);
    release();
    // Clones share the data (no copy); the solver's scope may free its own handles meanwhile.
    last = [tf.keep(tf.clone(u)), tf.keep(tf.clone(hu))];
    return hu;
  };
  const check = (x: tf.Tensor1D): tf.Tensor1D => {
    if (last === null) return x;
    const [u, hu] = last;
    const stats = tf.tidy(() => {
      const m = tf.max(tf.abs(u));
      const inv = tf.div(1, tf.where(tf.greater(m, 1e-30), m, tf.onesLike(m)));
      const un = tf.mul(u, inv);
      const hn = tf.mul(hu, inv);
      const step = tf.sub(un, tf.mul(hn, alpha));
      return tf.stack([vdot(un, un), vdot(step, step), vdot(un, hn)]);
    });
    release();
    if (!syncReadsCheap()) {
      const masked = tf.tidy(() => {
        const [uu, ss] = tf.unstack(stats) as [tf.Scalar, tf.Scalar, tf.Scalar];
        const diverged = tf.logicalAnd(tf.greater(uu, 0), tf.logicalNot(tf.lessEqual(ss, tf.mul(uu, (1 + 1e-3) ** 2))));
        return tf.where(diverged, tf.fill(x.shape, Number.NaN), x) as tf.Tensor1D;
      });
      stats.dispose();
      return masked;
    }
    const [uu, ss, uhu] = stats.dataSync() as unknown as [number, number, number];
    stats.dispose();
    if (uu === 0) return x;
    const r = Math.sqrt(ss / uu);
    const rho = uhu / uu;
    if (r <= 1 + 1e-3) return x;
    const who = `problem '${ctx.name}'`;
    const head = `${who}: the ${method} series for H^-1 v diverged (alpha = ${alpha}; |1 - alpha lambda| reached ${r.toPrecision(3)} > 1 on its last term)`;
    if (!Number.isFinite(r) || !Number.isFinite(rho)) {
      throw new Error(`${head}: its Hessian-vector products are not finite; set config.hypergradient.alpha of ${who} smaller, or use cg`);
    }
    if (rho <= 0) {
      throw new Error(`${head}: the Hessian has negative curvature there (u^T H u / u^T u = ${rho.toPrecision(3)}), so ${who} is not at a minimum and no alpha converges; ` +
        `train it longer before the hypergradient, or use cg with damping`);
    }
    throw new Error(`${head}: the series converges only for 0 < alpha < 2 / lambda_max(H), and H has curvature ${rho.toPrecision(3)} along it, so lambda_max >= ` +
      `${rho.toPrecision(3)} and alpha must be below ${(2 / rho).toPrecision(3)}: set config.hypergradient.alpha of ${who} to at most ${(1 / rho).toPrecision(3)} ` +
      '(--alpha on the command line)');
  };
  return { matvec, check };
}

/**
 * The implicit-function-theorem VJP given `x ~ H^-1 v`: `-(d^2 F / dtheta dw) x`, one tree per
 * upper problem.
 */
export function implicitVjp(ctx: HypergradientContext, x: Tree): Tree[] {
  return treeScale(ctx.mixedVector(x), -1);
}

/** `grad_theta F(w, theta)` at a given `w`, one tree per upper problem. */
export function gradTheta(ctx: HypergradientContext, w: Tree): Tree[] {
  const { leaves, def } = treeFlatten(ctx.theta);
  const { value, grads } = gradients(() => ctx.objective(w, treeUnflatten<Tree[]>(def, leaves)), leaves);
  value.dispose();
  return treeUnflatten<Tree[]>(def, grads);
}

/**
 * The mixed term applied to `u` by central differences of first-order gradients (DARTS, SAMA):
 * `-scale (grad_theta F(w + eps u) - grad_theta F(w - eps u)) / 2 eps` with `eps = alpha / ||u||`,
 * which approaches `-scale (d^2F / dtheta dw) u` as `alpha -> 0`; zeros when `u = 0`.
 */
export function centralMixedTerm(ctx: HypergradientContext, u: Tree, alpha: number, scale: number): Tree[] {
  return tidyTree(() => {
    // eps on the device (no host read): u = 0 makes both sides equal, so the result is exactly 0.
    const norm = treeNorm(u);
    // A constant step, as a host number was: an outer gradient does not differentiate through it.
    const eps = stopGradient(tf.div(alpha, tf.where(tf.greater(norm, 0), norm, tf.onesLike(norm))) as tf.Scalar);
    const plus = gradTheta(ctx, treeAddScaled(ctx.w, eps, u));
    const minus = gradTheta(ctx, treeAddScaled(ctx.w, tf.neg(eps) as tf.Scalar, u));
    return treeScale(treeSub(plus, minus), tf.div(-scale / 2, eps) as tf.Scalar);
  });
}
