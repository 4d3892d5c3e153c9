import { checkPositive } from '../../util/validate.js';
import { centralMixedTerm } from './implicitTerms.js';
import { type MethodEntry, NO_INNER_LOOP } from './types.js';

/**
 * DARTS's finite-difference approximation (Liu et al. 2019, eq. 8): an identity inverse Hessian,
 * and the mixed term applied to `v` by central differences,
 * `-xi (grad_theta F(w + eps v) - grad_theta F(w - eps v)) / 2 eps` with `eps = alpha / ||v||`.
 * Two first-order gradients, no Hessian-vector product.
 */
export interface FiniteDifferenceOptions {
  /** Discriminant. */
  method: 'finiteDifference';
  /** `eps = alpha / ||v||`; default 0.01. */
  alpha?: number;
  /** Scale xi of the result (DARTS's inner learning rate); default 1 (as BETTY). */
  learningRate?: number;
}

/** The `finiteDifference` row of the method table. */
export const finiteDifference: MethodEntry<'finiteDifference'> = {
  method: 'finiteDifference',
  summary: 'DARTS: identity inverse Hessian, mixed term by central differences',
  defaults: (o = {}) => ({ method: 'finiteDifference', ...(o.alpha !== undefined ? { alpha: o.alpha } : {}) }),
  validate: (who, o) => {
    if (o.alpha !== undefined) checkPositive(who, 'alpha', o.alpha);
    if (o.learningRate !== undefined) checkPositive(who, 'learningRate', o.learningRate);
  },
  build: ({ alpha = 0.01, learningRate = 1 }) => (ctx, v) => centralMixedTerm(ctx, v, alpha, learningRate),
  innerLoop: () => NO_INNER_LOOP,
  replicaSafe: false,
};
