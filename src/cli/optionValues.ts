/**
 * The kinds of values CLI options take, each with its parser: a value comes as text from the
 * command line or as JSON from an experiment file, and is checked by `src/util/validate.ts`, so
 * errors read `hypergrad hpo: --workers must be a positive integer, got '0'` (the option, what it
 * accepts, the value as typed).
 * @module
 */
import {
  type Range, argumentError, checkInteger, checkNumber, checkOneOf, checkPositive, checkPositiveInteger, checkSeed,
} from '../util/validate.js';

/** Where a value came from, for its error: the command (`hypergrad hpo`) and the option (`--workers`, or `'workers' in exp.json`). */
export interface Where {
  /** The command, e.g. `hypergrad hpo`. */
  who: string;
  /** The option as the user wrote it. */
  name: string;
}

/** A kind of option value: its placeholder in `--help` and its parser. */
export interface ValueKind<T> {
  /** Placeholder in `--help` (`N`, `LIST`, `DIR`); absent for a switch, which takes no value. */
  placeholder?: string;
  /** Parses text from the command line, or a JSON value from an experiment file; throws naming `at`. */
  parse(raw: unknown, at: Where): T;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Text read as a number only when it is a plain decimal literal (not `''`, `0x10`, `1e`, `Infinity`). */
function readNumber(text: string): number | undefined {
  return DECIMAL.test(text.trim()) ? Number(text) : undefined;
}

type NumberCheck = (who: string, name: string, x: unknown) => number;

/**
 * A numeric kind checked by `check` (from validate.ts). Text that does not read as a number, or
 * reads as one `check` refuses, is handed to `check` as the text itself, which `check` refuses
 * too (it accepts only numbers), so the message shows the value as typed: `got '0'`.
 */
function numeric(placeholder: string, check: NumberCheck): ValueKind<number> {
  return {
    placeholder,
    parse(raw, { who, name }) {
      if (typeof raw === 'string') {
        const x = readNumber(raw);
        if (x !== undefined) {
          try {
            return check(who, name, x);
          } catch {
            // reported below with the text as typed
          }
        }
      }
      return check(who, name, raw);
    },
  };
}

/** An integer >= 1 (`a positive integer`). */
export const positiveInteger = (placeholder = 'N'): ValueKind<number> => numeric(placeholder, checkPositiveInteger);

/** An integer >= `min` (`an integer >= 1`). */
export const integerAtLeast = (min: number, placeholder = 'N'): ValueKind<number> =>
  numeric(placeholder, (who, name, x) => checkInteger(who, name, x, { min }));

/** A finite number > 0 (`a positive number`). */
export const positiveNumber = (placeholder = 'X'): ValueKind<number> => numeric(placeholder, checkPositive);

/** A finite number in `range` (`a number in [0.01, 3600]`). */
export const numberIn = (range: Range, placeholder = 'X'): ValueKind<number> => numeric(placeholder, (who, name, x) => checkNumber(who, name, x, range));

/**
 * A number kept as typed, for a command that checks it against a range known only later (e.g. a
 * benchmark's fidelities) with `parseNumberFlag`; a JSON number becomes its text.
 */
export function numberText(placeholder: string): ValueKind<string> {
  return {
    placeholder,
    parse(raw, { who, name }) {
      if (typeof raw === 'number') return String(raw);
      if (typeof raw !== 'string' || raw === '') throw argumentError(who, name, 'a number', raw);
      return raw;
    },
  };
}

/** A random seed: an integer in [0, 2^32). */
export const seedValue = (placeholder = 'S'): ValueKind<number> => numeric(placeholder, checkSeed);

/** A non-empty string (a name, a path). */
export function text(placeholder: string): ValueKind<string> {
  return {
    placeholder,
    parse(raw, { who, name }) {
      if (typeof raw !== 'string' || raw === '') throw argumentError(who, name, 'a non-empty string', raw);
      return raw;
    },
  };
}

/** One of `values` (`one of 'csv', 'json'`). */
export function choice<T extends string>(placeholder: string, values: readonly T[]): ValueKind<T> {
  return { placeholder, parse: (raw, { who, name }) => checkOneOf(who, name, raw, values) };
}

/**
 * A comma-separated list (`random,asha`), or a JSON array of strings in an experiment file. With
 * `accepted`, every item must be one of them: `--optimizer: unknown grid; accepted: random, ...`.
 */
export function list(placeholder: string, accepted?: () => readonly string[]): ValueKind<string[]> {
  return {
    placeholder,
    parse(raw, { who, name }) {
      const items = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) && raw.every((x) => typeof x === 'string') ? raw as string[] : null;
      const names = items?.map((s) => s.trim()).filter((s) => s !== '') ?? [];
      if (names.length === 0) throw argumentError(who, name, 'a comma-separated list (or, in an experiment file, an array of strings)', raw);
      const ok = accepted?.();
      const unknown = ok === undefined ? [] : names.filter((n) => !ok.includes(n));
      if (ok !== undefined && unknown.length > 0) throw new Error(`${who}: ${name}: unknown ${unknown.join(', ')}; accepted: ${ok.join(', ')}`);
      return names;
    },
  };
}

/** A switch: present or not (`true`/`false` in an experiment file). */
export const switchValue: ValueKind<boolean> = {
  parse(raw, { who, name }) {
    if (raw === true || raw === false) return raw;
    throw argumentError(who, name, 'true or false', raw);
  },
};
