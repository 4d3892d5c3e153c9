import { cg } from './cg.js';
import { custom } from './custom.js';
import { es } from './es.js';
import { finiteDifference } from './finiteDifference.js';
import { firstOrder } from './firstOrder.js';
import { fixedPoint } from './fixedPoint.js';
import { neumann } from './neumann.js';
import { sama } from './sama.js';
import { unrolled } from './unrolled.js';
import type { HypergradientMethod, HypergradientOptions, InnerLoopNeeds, MethodEntry, MethodName, MethodOverrides, OptionsOf } from './types.js';

/**
 * The hypergradient methods, one row per method (each defined in its own file): options defaults,
 * validation, implementation, inner-loop needs and replica safety. Typed over the method union:
 * a method of {@link HypergradientOptions} without a row here does not compile.
 */
export const HYPERGRADIENTS: { readonly [M in MethodName]: MethodEntry<M> } = {
  unrolled,
  neumann,
  cg,
  fixedPoint,
  finiteDifference,
  firstOrder,
  sama,
  es,
  custom,
};

/** The method names, in table order, for messages and the CLI. */
export const HYPERGRADIENT_METHODS = Object.keys(HYPERGRADIENTS) as readonly MethodName[];

/** The methods a data-parallel problem can use (those that need only the oracle's products). */
export const REPLICA_SAFE_METHODS: readonly MethodName[] = HYPERGRADIENT_METHODS.filter((m) => HYPERGRADIENTS[m].replicaSafe);

/** The table row of `o.method` (typed: the row's options are `o`'s). */
function entryOf<M extends MethodName>(o: OptionsOf<M>): MethodEntry<M> {
  return HYPERGRADIENTS[o.method as M] as MethodEntry<M>;
}

/**
 * A method's options with its defaults filled in from command-line style overrides (the CLI's
 * `--iterations`/`--alpha`, and the problem's series step for Neumann and fixed point).
 * @example
 * ```ts
 * withDefaults('neumann', { iterations: 5, seriesStep: 0.5 }); // {method: 'neumann', iterations: 5, alpha: 0.5}
 * withDefaults('cg');                                           // {method: 'cg', iterations: 10}
 * ```
 */
export function withDefaults(method: string, overrides: MethodOverrides = {}): HypergradientOptions {
  if (!(HYPERGRADIENT_METHODS as readonly string[]).includes(method) || method === 'custom') {
    throw new Error(`unknown method '${method}'; accepted: ${HYPERGRADIENT_METHODS.filter((m) => m !== 'custom').join(', ')}`);
  }
  return HYPERGRADIENTS[method as MethodName].defaults(overrides);
}

/** Checks hypergradient options; errors name the problem, the field, the value and the accepted range. */
export function validateHypergradient(problem: string, o: HypergradientOptions): void {
  const who = `problem '${problem}' config.hypergradient`;
  if (o === null || typeof o !== 'object') throw new Error(`${who} must be an object like {method: 'cg', iterations: 5}`);
  if (!(HYPERGRADIENT_METHODS as readonly unknown[]).includes(o.method)) {
    throw new Error(`${who}.method must be one of ${HYPERGRADIENT_METHODS.join(', ')}, got '${String((o as { method: unknown }).method)}'`);
  }
  entryOf(o).validate(who, o);
}

/** The method `o` selects, as a function of its context (checked first). */
export function buildMethod(o: HypergradientOptions): HypergradientMethod {
  return entryOf(o).build(o);
}

/** What the method `o` needs from its problem's inner loop. */
export function innerLoopNeeds(o: HypergradientOptions): InnerLoopNeeds {
  return entryOf(o).innerLoop(o);
}
