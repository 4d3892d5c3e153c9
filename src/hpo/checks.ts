import { checkAtLeast, checkNumber, checkPositive } from '../util/validate.js';
import type { EvalResult } from './types.js';

/**
 * Checks shared by the optimizers (on top of `src/util/validate.ts`): the multi-fidelity schedule's
 * resources, and the objective value read from a told result.
 * @module
 */

/** Checks `0 < minResource <= maxResource` and `eta > 1` (Hyperband's and ASHA's schedule). */
export function checkResources(who: string, minResource: number, maxResource: number, eta: number): void {
  checkPositive(who, 'minResource', minResource);
  checkAtLeast(who, 'maxResource', maxResource, minResource);
  checkNumber(who, 'eta', eta, { min: 1, minExclusive: true });
}

/** The value of `objective` in a told result; throws naming the keys the result has when it is missing or not a number. */
export function resultValue(who: string, result: EvalResult, objective: string): number {
  const v = result?.[objective];
  if (typeof v !== 'number') throw new Error(`${who}: the result has no '${objective}'; it has ${Object.keys(result ?? {}).join(', ')}`);
  return v;
}
