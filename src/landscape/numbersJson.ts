/**
 * JSON that keeps every number: `NaN`, `Infinity` and `-Infinity` (undefined correlations, an
 * infinite correlation length) are written as the strings `"NaN"`, `"Infinity"`, `"-Infinity"` and
 * read back as numbers, where plain JSON would turn them into `null`.
 * @module
 */

const NON_FINITE = new Map<string, number>([['NaN', Number.NaN], ['Infinity', Infinity], ['-Infinity', -Infinity]]);

/** `JSON.stringify` with non-finite numbers as strings (see the module). */
export function stringifyNumbers(value: unknown, indent?: number): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), indent);
}

/** `JSON.parse` that reads `"NaN"`, `"Infinity"` and `"-Infinity"` back as numbers. */
export function parseNumbers(text: string): unknown {
  return JSON.parse(text, (_k, v: unknown) => (typeof v === 'string' && NON_FINITE.has(v) ? NON_FINITE.get(v) : v));
}
