import { HYPERGRADIENT_METHODS, withDefaults } from '../multilevel/hypergradients/index.js';
import type { HypergradientOptions } from '../multilevel/hypergradients/types.js';

/** The methods the CLI can name: the method table's (`src/multilevel/hypergradients/index.ts`), but `custom`, which needs code. */
export const CLI_METHODS: readonly string[] = HYPERGRADIENT_METHODS.filter((m) => m !== 'custom');

/**
 * A method with the method table's defaults (each method's `defaults` row), overridden by the
 * CLI's `--iterations` and `--alpha`, with the problem's series step `problemAlpha` for Neumann and
 * fixed point (below 2 / lambda_max of the inner Hessian) and its CG damping `problemDamping`
 * (none unless the problem's Hessian can be indefinite, as three-level's is).
 */
export function defaultMethod(name: string, iterations: number | undefined, alpha: number | undefined, problemAlpha: number, problemDamping?: number): HypergradientOptions {
  return withDefaults(name, { iterations, alpha, seriesStep: problemAlpha, damping: problemDamping });
}
