import { solveNeumannVector } from '../../implicit/linearSolvers.js';
import { tidyTree } from '../../tree/tree.js';
import { checkPositive, checkPositiveInteger } from '../../util/validate.js';
import { implicitVjp, watchedSeries } from './implicitTerms.js';
import { type MethodEntry, NO_INNER_LOOP } from './types.js';

/**
 * Neumann series for the inverse Hessian (Lorraine et al. 2020):
 * `x = alpha sum_{j=0..K} (I - alpha H)^j v`, which approaches `H^-1 v` when
 * `0 < alpha < 2 / lambda_max(H)`, then the VJP `-(d^2F / dtheta dw) x`.
 *
 * Iteration count: `iterations: K` sums K + 1 terms (j = 0..K) with K Hessian-vector products;
 * {@link FixedPointOptions} with the same K and alpha sums K terms.
 */
export interface NeumannOptions {
  /** Discriminant. */
  method: 'neumann';
  /** K: the series has K + 1 terms, K Hessian-vector products. */
  iterations: number;
  /** Step alpha; converges for 0 < alpha < 2 / lambda_max(H). */
  alpha: number;
}

/** The `neumann` row of the method table. */
export const neumann: MethodEntry<'neumann'> = {
  method: 'neumann',
  summary: 'Neumann series alpha sum_{j=0..K} (I - alpha H)^j v (K + 1 terms)',
  defaults: (o = {}) => ({ method: 'neumann', iterations: o.iterations ?? 20, alpha: o.alpha ?? o.seriesStep ?? 0.1 }),
  validate: (who, o) => {
    checkPositiveInteger(who, 'iterations', o.iterations);
    checkPositive(who, 'alpha', o.alpha);
  },
  build: ({ iterations, alpha }) => (ctx, v) => tidyTree(() => {
    const x = watchedSeries(ctx, 'neumann', alpha, v, (A, b) => solveNeumannVector(A, b, { iterations, alpha }));
    return implicitVjp(ctx, x);
  }),
  innerLoop: () => NO_INNER_LOOP,
  replicaSafe: true,
};
