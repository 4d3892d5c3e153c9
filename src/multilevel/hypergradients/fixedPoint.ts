import { solveFixedPointVector } from '../../implicit/linearSolvers.js';
import { tidyTree } from '../../tree/tree.js';
import { treeScale } from '../../tree/treeMath.js';
import { checkAtLeast, checkPositive, checkPositiveInteger } from '../../util/validate.js';
import { implicitVjp, watchedSeries } from './implicitTerms.js';
import { type MethodEntry, NO_INNER_LOOP } from './types.js';

/**
 * Fixed-point iteration for the inverse Hessian (hypertorch's `fixed_point`; Grazzi et al. 2020):
 * `x <- v + (I - alpha H) x` from `x0 = 0`, i.e. `x = (alpha H)^-1 v` in the limit, for the inner map
 * `T(w) = w - alpha grad F`; the VJP is `(dT/dtheta)^T x = -alpha (d^2F/dtheta dw) x`.
 *
 * Iteration count: `iterations: K` gives `x_K = sum_{j=0..K-1} (I - alpha H)^j v`, K terms, with
 * K Hessian-vector products (the last one's product is not used); {@link NeumannOptions} with the
 * same K sums K + 1.
 */
export interface FixedPointOptions {
  /** Discriminant. */
  method: 'fixedPoint';
  /** At most this many iterations (K terms). */
  iterations: number;
  /** Step alpha of the inner map `T(w) = w - alpha grad F`. */
  alpha: number;
  /** Relative update norm to stop at; default 0 (run all iterations). */
  tolerance?: number;
}

/** The `fixedPoint` row of the method table. */
export const fixedPoint: MethodEntry<'fixedPoint'> = {
  method: 'fixedPoint',
  summary: 'fixed-point iteration x <- v + (I - alpha H) x (K terms)',
  defaults: (o = {}) => ({ method: 'fixedPoint', iterations: o.iterations ?? 20, alpha: o.alpha ?? o.seriesStep ?? 0.1 }),
  validate: (who, o) => {
    checkPositiveInteger(who, 'iterations', o.iterations);
    checkPositive(who, 'alpha', o.alpha);
    if (o.tolerance !== undefined) checkAtLeast(who, 'tolerance', o.tolerance);
  },
  build: ({ iterations, alpha, tolerance }) => (ctx, v) => tidyTree(() => {
    const x = watchedSeries(ctx, 'fixedPoint', alpha, v, (A, b) => solveFixedPointVector(A, b, { iterations, alpha, tolerance }));
    return treeScale(implicitVjp(ctx, x), alpha);
  }),
  innerLoop: () => NO_INNER_LOOP,
  replicaSafe: true,
};
