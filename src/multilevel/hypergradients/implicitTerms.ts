import { gradients } from '../../autodiff/tape.js';
import type { MatVec } from '../../implicit/linearSolvers.js';
import { type Tree, tidyTree, treeFlatten, treeUnflatten } from '../../tree/tree.js';
import * as tf from '@tensorflow/tfjs-core';
import { treeAddScaled, treeDot, treeNorm, treeScale, treeSub, treeZerosLike } from '../../tree/treeMath.js';
import type { HypergradientContext } from './types.js';

/** `u -> H u` with `H = d^2 F / dw^2` at the solution (the context's oracle). */
export function hessianOf(ctx: HypergradientContext): MatVec {
  return ctx.hessianVector;
}

/**
 * `u -> H u` for a series solver with step `alpha` (Neumann, fixed point), watched for divergence:
 * it keeps the last product's `u` and `H u` (references, no copy) and, when checked, reduces them to
 * `r = ||(I - alpha H) u|| / ||u||` and the Rayleigh quotient `rho = u^T H u / u^T u`. The
 * series converges when `|1 - alpha lambda| < 1` for every eigenvalue lambda of H, so `r <= 1`
 * then; `r > 1` on the last term (where the divergent directions dominate) proves it diverged.
 * `check(x)` reads the pair once and throws, naming the problem, alpha and a bound; then frees it and
 * returns `x`. On webgpu, which cannot read synchronously in Node, it reads nothing: where the last
 * term diverged, every entry of `x` becomes NaN on the device, so a diverged series never passes as
 * a number (the non-finite checks downstream name it).
 */
export function watchedHessian(ctx: HypergradientContext, method: string, alpha: number): { matvec: MatVec; check: (x: Tree) => Tree } {
  // The last product's input and output, kept (Identity: no copy) until `check` reduces them.
  let lastPair: [tf.Tensor[], tf.Tensor[]] | null = null;
  const keepCopy = (t: Tree) => treeFlatten(t).leaves.map((x) => tf.keep(tf.clone(x)));
  const matvec: MatVec = (u) => {
    const hu = ctx.hessianVector(u);
    if (lastPair !== null) tf.dispose(lastPair.flat());
    lastPair = [keepCopy(u), keepCopy(hu)];
    return hu;
  };
  // The scalars the check needs, from the last pair (scaled by 1 / max|u| first: a diverging
  // series overflows float32 in the squared norms).
  const lastStats = (): tf.Tensor | null => {
    if (lastPair === null) return null;
    const [u, hu] = lastPair;
    const stats = tf.tidy(() => {
      const m = tf.max(tf.stack(u.map((x) => tf.max(tf.abs(x)))));
      const inv = tf.div(1, tf.where(tf.greater(m, 1e-30), m, tf.onesLike(m))) as tf.Scalar;
      const un = treeScale(u, inv);
      const hn = treeScale(hu, inv);
      const step = treeAddScaled(un, -alpha, hn);
      return tf.stack([treeDot(un, un), treeDot(step, step), treeDot(un, hn)]);
    });
    tf.dispose(lastPair.flat());
    lastPair = null;
    return stats;
  };
  const check = (x: Tree): Tree => {
    const last = lastStats();
    if (last === null) return x;
    if (tf.getBackend() === 'webgpu') {
      const { leaves, def } = treeFlatten(x);
      const masked = tidyTree(() => {
        const [uu, ss] = tf.unstack(last) as [tf.Scalar, tf.Scalar, tf.Scalar];
        const diverged = tf.logicalAnd(tf.greater(uu, 0), tf.logicalNot(tf.lessEqual(ss, tf.mul(uu, (1 + 1e-3) ** 2))));
        return leaves.map((leaf) => tf.where(diverged, tf.fill(leaf.shape, Number.NaN), leaf));
      });
      last.dispose();
      return treeUnflatten<Tree>(def, masked);
    }
    const [uu, ss, uhu] = last.dataSync() as unknown as [number, number, number];
    last.dispose();
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
    const norm = treeNorm(u).dataSync()[0] as number;
    if (norm === 0) return treeZerosLike(ctx.theta);
    const eps = alpha / norm;
    const plus = gradTheta(ctx, treeAddScaled(ctx.w, eps, u));
    const minus = gradTheta(ctx, treeAddScaled(ctx.w, -eps, u));
    return treeScale(treeSub(plus, minus), -scale / (2 * eps));
  });
}
