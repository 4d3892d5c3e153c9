import { checkFunction } from '../../util/validate.js';
import type { HypergradientMethod, MethodEntry } from './types.js';

/**
 * A user-supplied method: any function `(ctx, v) -> (d w* / d theta)^T v`, one tree per upper
 * problem, written from the {@link HypergradientContext} (its objective, solution, oracle
 * products, inner loop and optimizer).
 *
 * @example
 * ```ts
 * // CG written from the context:
 * const mine: HypergradientMethod = (ctx, v) =>
 *   treeScale(ctx.mixedVector(solveCg(ctx.hessianVector, v, { iterations: 10 })), -1);
 * config: { hypergradient: { method: 'custom', fn: mine } }
 * ```
 */
export interface CustomOptions {
  /** Discriminant. */
  method: 'custom';
  /** The method: `(ctx, v) => (dw/dtheta)^T v`, one tree per upper problem. */
  fn: HypergradientMethod;
}

/** The `custom` row of the method table. */
export const custom: MethodEntry<'custom'> = {
  method: 'custom',
  summary: 'your own (ctx, v) => Tree[]',
  defaults: () => {
    throw new Error("method 'custom' has no defaults: pass {method: 'custom', fn: (ctx, v) => ...}");
  },
  validate: (who, o) => {
    checkFunction(who, 'fn', o.fn, 'a function (ctx, v) => Tree[]');
  },
  build: ({ fn }) => fn,
  innerLoop: () => ({ record: true, defer: false }),
  replicaSafe: false,
};
