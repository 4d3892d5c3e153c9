import { gradients } from '../../autodiff/tape.js';
import { solveCg, solveFixedPoint, solveNeumann } from '../../implicit/linearSolvers.js';
import { type Tree, tidyTree, treeFlatten, treeUnflatten } from '../../tree/tree.js';
import { treeAddScaled, treeDot, treeNorm, treeScale, treeSub, treeZerosLike } from '../../tree/treeMath.js';
import { hessianOf, implicitVjp } from './implicitTerms.js';
import type { HypergradientContext, HypergradientMethod, HypergradientOptions } from './types.js';

/** `grad_theta F(w, theta)` at a given `w`, one tree per upper problem. */
function gradTheta(ctx: HypergradientContext, w: Tree): Tree[] {
  const { leaves, def } = treeFlatten(ctx.theta);
  const { value, grads } = gradients(() => ctx.objective(w, treeUnflatten<Tree[]>(def, leaves)), leaves);
  value.dispose();
  return treeUnflatten<Tree[]>(def, grads);
}

/** Unrolled: `(dw_K/dtheta)^T v`, reverse mode through the replayed inner steps. */
export function unrolled(truncate?: number): HypergradientMethod {
  return (ctx, v) => tidyTree(() => {
    const { leaves, def } = treeFlatten(ctx.theta);
    const { value, grads } = gradients(() => treeDot(ctx.replay(treeUnflatten<Tree[]>(def, leaves), truncate), v), leaves);
    value.dispose();
    return treeUnflatten<Tree[]>(def, grads);
  });
}

/**
 * Unrolled with checkpoints: the same product by a reverse sweep, one step at a time, from the
 * snapshots stored before each step (memory: the snapshots and one step's tape).
 */
export function unrolledCheckpointed(truncate?: number): HypergradientMethod {
  return (ctx, v) => ctx.reverse(ctx.theta, v, truncate);
}

/** Neumann series for `H^-1 v`, then the mixed term. */
export function neumann(iterations: number, alpha: number): HypergradientMethod {
  return (ctx, v) => tidyTree(() => implicitVjp(ctx, solveNeumann(hessianOf(ctx), v, { iterations, alpha })));
}

/** Conjugate gradient for `(H + damping I)^-1 v`, then the mixed term. */
export function cg(iterations: number, damping = 0, tolerance = 0): HypergradientMethod {
  return (ctx, v) => tidyTree(() => implicitVjp(ctx, solveCg(hessianOf(ctx), v, { iterations, damping, tolerance })));
}

/**
 * Fixed point of `x = v + (I - alpha H) x`, i.e. `x = (alpha H)^-1 v` for the inner map
 * `T(w) = w - alpha grad F`; the VJP is `(dT/dtheta)^T x = -alpha (d^2F/dtheta dw) x`.
 */
export function fixedPoint(iterations: number, alpha: number, tolerance = 0): HypergradientMethod {
  return (ctx, v) => tidyTree(() => treeScale(implicitVjp(ctx, solveFixedPoint(hessianOf(ctx), v, { iterations, alpha, tolerance })), alpha));
}

/**
 * DARTS's finite difference (Liu et al. 2019): `-xi (grad_theta F(w + eps v) - grad_theta F(w - eps v)) / 2 eps`
 * with `eps = alpha / ||v||`: the mixed term applied to `v` itself (an identity inverse Hessian).
 */
export function finiteDifference(alpha = 0.01, learningRate = 1): HypergradientMethod {
  return (ctx, v) => tidyTree(() => {
    const norm = treeNorm(v).dataSync()[0] as number;
    if (norm === 0) return treeZerosLike(ctx.theta);
    const eps = alpha / norm;
    const plus = gradTheta(ctx, treeAddScaled(ctx.w, eps, v));
    const minus = gradTheta(ctx, treeAddScaled(ctx.w, -eps, v));
    return treeScale(treeSub(plus, minus), -learningRate / (2 * eps));
  });
}

/** First order: no implicit term (zeros). */
export const firstOrder: HypergradientMethod = (ctx) => tidyTree(() => treeZerosLike(ctx.theta));

/** The method an options object selects (a table, not a chain of ifs). */
export function methodFor(o: HypergradientOptions): HypergradientMethod {
  switch (o.method) {
    case 'unrolled': return o.checkpoints === undefined ? unrolled(o.truncate) : unrolledCheckpointed(o.truncate);
    case 'neumann': return neumann(o.iterations, o.alpha);
    case 'cg': return cg(o.iterations, o.damping, o.tolerance);
    case 'fixedPoint': return fixedPoint(o.iterations, o.alpha, o.tolerance);
    case 'finiteDifference': return finiteDifference(o.alpha, o.learningRate);
    case 'firstOrder': return firstOrder;
    case 'custom': return o.fn;
  }
}

