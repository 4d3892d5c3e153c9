import { HYPERGRADIENT_METHODS, type HypergradientOptions } from '../multilevel/hypergradients/types.js';

/** The methods the CLI can name (all but `custom`, which needs code). */
export const CLI_METHODS: readonly string[] = HYPERGRADIENT_METHODS.filter((m) => m !== 'custom');

/** What `hypergrad compare` runs on a problem that names no methods of its own. */
export const DEFAULT_COMPARE_METHODS: readonly string[] = ['unrolled', 'neumann', 'cg', 'finiteDifference', 'firstOrder'];

/**
 * A method with the CLI's defaults: `cg` 10 iterations, `neumann`/`fixedPoint` 20 at the problem's
 * step `problemAlpha` (below 2 / lambda_max of the inner Hessian), `unrolled` untruncated;
 * `iterations` and `alpha` override them (for `unrolled`, `iterations` is the truncation).
 */
export function defaultMethod(name: string, iterations: number | undefined, alpha: number | undefined, problemAlpha: number): HypergradientOptions {
  switch (name) {
    case 'cg': return { method: 'cg', iterations: iterations ?? 10 };
    case 'neumann': return { method: 'neumann', iterations: iterations ?? 20, alpha: alpha ?? problemAlpha };
    case 'fixedPoint': return { method: 'fixedPoint', iterations: iterations ?? 20, alpha: alpha ?? problemAlpha };
    case 'unrolled': return iterations === undefined ? { method: 'unrolled' } : { method: 'unrolled', truncate: iterations };
    case 'finiteDifference': return { method: 'finiteDifference', ...(alpha !== undefined ? { alpha } : {}) };
    case 'firstOrder': return { method: 'firstOrder' };
    default: throw new Error(`unknown method '${name}'; accepted: ${CLI_METHODS.join(', ')}`);
  }
}
