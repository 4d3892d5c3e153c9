import type { Tree } from '../../tree/tree.js';
import { hvp, mixedHvp } from '../../autodiff/hvp.js';
import { treeScale } from '../../tree/treeMath.js';
import type { MatVec } from '../../implicit/linearSolvers.js';
import type { HypergradientContext } from './types.js';

/** `u -> H u` with `H = d^2 F / dw^2` at the solution. */
export function hessianOf(ctx: HypergradientContext): MatVec {
  return ctx.hessianVector ?? ((u) => hvp((w: Tree) => ctx.objective(w, ctx.theta), ctx.w, u));
}

/**
 * The implicit-function-theorem VJP given `x ~ H^-1 v`: `-(d^2 F / dtheta dw) x`, one tree per
 * upper problem.
 */
export function implicitVjp(ctx: HypergradientContext, x: Tree): Tree[] {
  const cross = ctx.mixedVector ? ctx.mixedVector(x) : mixedHvp((theta: Tree[], w: Tree) => ctx.objective(w, theta), ctx.theta, ctx.w, x);
  return treeScale(cross, -1);
}
