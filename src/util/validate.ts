/**
 * Argument checks shared by the whole library: each throws an `Error` whose message names who
 * asked, the argument, the value received and the accepted range, e.g.
 * `simulate: nWorkers must be an integer in [1, 65536], got 0`.
 *
 * Every public function validates its options with these (one module, one wording), so a user
 * sees the same shape of message from the optimizers, the multilevel engine, the simulator and the
 * CLI. The CLI passes `who = '--flag'`-style names.
 * @module
 */

/** Bounds of a numeric check; each side inclusive unless marked exclusive. */
export interface Range {
  /** Smallest accepted value (default -Infinity). */
  min?: number;
  /** Largest accepted value (default +Infinity). */
  max?: number;
  /** Whether `min` itself is refused. */
  minExclusive?: boolean;
  /** Whether `max` itself is refused. */
  maxExclusive?: boolean;
}

const fmtBound = (x: number) => (x === Infinity ? 'inf' : x === -Infinity ? '-inf' : String(x));

/** The range as interval notation, e.g. `[0, 1)` or `(0, inf)`. */
export function rangeText({ min = -Infinity, max = Infinity, minExclusive = false, maxExclusive = false }: Range): string {
  const lo = min === -Infinity || minExclusive ? '(' : '[';
  const hi = max === Infinity || maxExclusive ? ')' : ']';
  return `${lo}${fmtBound(min)}, ${fmtBound(max)}${hi}`;
}

function inRange(x: number, { min = -Infinity, max = Infinity, minExclusive = false, maxExclusive = false }: Range): boolean {
  return (minExclusive ? x > min : x >= min) && (maxExclusive ? x < max : x <= max);
}

/** How a received value is shown: strings quoted, everything else as `String(x)`. */
export function shown(x: unknown): string {
  if (typeof x === 'string') return `'${x}'`;
  if (typeof x === 'bigint') return `${x}n`;
  try {
    return typeof x === 'object' && x !== null ? JSON.stringify(x) : String(x);
  } catch {
    return String(x);
  }
}

/** The error every check throws: `${who}: ${name} must be ${what}, got ${value}`. */
export function argumentError(who: string, name: string, what: string, value: unknown): Error {
  return new Error(`${who}: ${name} must be ${what}, got ${shown(value)}`);
}

/**
 * Checks that `x` is a finite number in `range`; returns it. Message: `a number in [0, 1)`.
 * @example checkNumber('sgd', 'momentum', 0.9, {min: 0, max: 1, maxExclusive: true})
 */
export function checkNumber(who: string, name: string, x: unknown, range: Range = {}): number {
  if (!(typeof x === 'number' && Number.isFinite(x) && inRange(x, range))) {
    throw argumentError(who, name, `a number in ${rangeText(range)}`, x);
  }
  return x;
}

/** Checks that `x` is a finite number > 0; returns it. Message: `a positive number`. */
export function checkPositive(who: string, name: string, x: unknown): number {
  if (!(typeof x === 'number' && Number.isFinite(x) && x > 0)) throw argumentError(who, name, 'a positive number', x);
  return x;
}

/** Checks that `x` is a finite number >= `min` (default 0); returns it. Message: `a number >= 0`. */
export function checkAtLeast(who: string, name: string, x: unknown, min = 0): number {
  if (!(typeof x === 'number' && Number.isFinite(x) && x >= min)) throw argumentError(who, name, `a number >= ${min}`, x);
  return x;
}

/**
 * Checks that `x` is a (safe) integer in `range`; returns it. Message: `an integer >= 1` when the
 * range has no upper end, else `an integer in [1, 52]`.
 */
export function checkInteger(who: string, name: string, x: unknown, range: Range = {}): number {
  if (!(typeof x === 'number' && Number.isSafeInteger(x) && inRange(x, range))) {
    const { min = -Infinity, max = Infinity, minExclusive = false } = range;
    const what = max === Infinity && min > -Infinity && !minExclusive ? `an integer >= ${min}` : `an integer in ${rangeText(range)}`;
    throw argumentError(who, name, what, x);
  }
  return x;
}

/** Checks that `x` is an integer >= 1; returns it. Message: `a positive integer`. */
export function checkPositiveInteger(who: string, name: string, x: unknown): number {
  if (!(typeof x === 'number' && Number.isSafeInteger(x) && x >= 1)) throw argumentError(who, name, 'a positive integer', x);
  return x;
}

/** Upper end (exclusive) of the seeds accepted everywhere: seeds are 32-bit unsigned integers. */
export const SEED_LIMIT = 2 ** 32;

/** Checks a random seed: an integer in [0, 2^32). Larger values would wrap and repeat other seeds. */
export function checkSeed(who: string, name: string, x: unknown): number {
  return checkInteger(who, name, x, { min: 0, max: SEED_LIMIT, maxExclusive: true });
}

/** Checks that `x` is one of `values`; returns it typed. */
export function checkOneOf<T extends string | number | boolean>(who: string, name: string, x: unknown, values: readonly T[]): T {
  if (!(values as readonly unknown[]).includes(x)) throw argumentError(who, name, `one of ${values.map(shown).join(', ')}`, x);
  return x as T;
}

/** Checks that `x` is a function; returns it. */
export function checkFunction<F extends (...args: never[]) => unknown>(who: string, name: string, x: unknown, signature = 'a function'): F {
  if (typeof x !== 'function') throw argumentError(who, name, signature, x);
  return x as F;
}

/**
 * Parses a command-line value as a number and checks it; `flag` is the option as typed
 * (`--workers`). Refuses empty strings, `'1e'`, hex and anything `Number()` does not read exactly.
 */
export function parseNumberFlag(flag: string, raw: string, range: Range = {}, integer = false): number {
  const x = raw.trim() === '' ? NaN : Number(raw);
  const what = `${integer ? 'an integer' : 'a finite number'} in ${rangeText(range)}`;
  const ok = Number.isFinite(x) && inRange(x, range) && (!integer || Number.isSafeInteger(x));
  if (!ok) throw new Error(`${flag} must be ${what}, got ${shown(raw)}`);
  return x;
}
