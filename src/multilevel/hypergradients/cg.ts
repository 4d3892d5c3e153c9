import { solveCg } from '../../implicit/linearSolvers.js';
import { tidyTree } from '../../tree/tree.js';
import { checkAtLeast, checkPositiveInteger } from '../../util/validate.js';
import { hessianOf, implicitVjp } from './implicitTerms.js';
import { type MethodEntry, NO_INNER_LOOP } from './types.js';

/**
 * Conjugate gradient for the inverse Hessian (Rajeswaran et al. 2019, iMAML; Pedregosa 2016):
 * `x ~ (H + damping I)^-1 v` by at most `iterations` Hessian-vector products, then the VJP
 * `-(d^2F / dtheta dw) x`.
 *
 * This is textbook CG (Hestenes & Stiefel 1952) from `x0 = 0`: its step sizes use `H` itself.
 * BETTY's `cg` is a different iteration: it scales the products in the step size by its
 * `cg_alpha` (and the result by `cg_alpha` again) and forms the next search direction from the
 * previous residual, so its iterates differ from these for the same count and it has a step
 * parameter this method does not.
 */
export interface CgOptions {
  /** Discriminant. */
  method: 'cg';
  /** At most this many Hessian-vector products. */
  iterations: number;
  /** Solve `(H + damping I) x = v`; default 0. */
  damping?: number;
  /** Relative residual to stop at; default (and floor) 1e-6. */
  tolerance?: number;
}

/** The `cg` row of the method table. */
export const cg: MethodEntry<'cg'> = {
  method: 'cg',
  summary: 'conjugate gradient on (H + damping I) x = v (iMAML)',
  defaults: (o = {}) => ({ method: 'cg', iterations: o.iterations ?? 10, ...(o.damping === undefined ? {} : { damping: o.damping }) }),
  validate: (who, o) => {
    checkPositiveInteger(who, 'iterations', o.iterations);
    if (o.damping !== undefined) checkAtLeast(who, 'damping', o.damping);
    if (o.tolerance !== undefined) checkAtLeast(who, 'tolerance', o.tolerance);
  },
  build: ({ iterations, damping, tolerance }) => (ctx, v) =>
    tidyTree(() => implicitVjp(ctx, solveCg(hessianOf(ctx), v, { iterations, damping, tolerance }))),
  innerLoop: () => NO_INNER_LOOP,
  replicaSafe: true,
};
