import { gradients } from '../../autodiff/tape.js';
import type { MatVec } from '../../implicit/linearSolvers.js';
import { type Tree, tidyTree, treeFlatten, treeUnflatten } from '../../tree/tree.js';
import { treeAddScaled, treeNorm, treeScale, treeSub, treeZerosLike } from '../../tree/treeMath.js';
import type { HypergradientContext } from './types.js';

/** `u -> H u` with `H = d^2 F / dw^2` at the solution (the context's oracle). */
export function hessianOf(ctx: HypergradientContext): MatVec {
  return ctx.hessianVector;
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
