/**
 * `--lr NAME=X[,NAME=X]`: the learning rates of a ready-made problem's problems, by name
 * (`--lr outer=0.1,inner=0.05`), what the errors that advise lowering a learning rate name.
 * @module
 */
import { argumentError, checkPositive } from '../util/validate.js';
import type { ValueKind } from './optionValues.js';

/** Learning rates by problem name. */
export type LearningRates = Readonly<Record<string, number>>;

/** Parses `name=x,name=x` (or, in an experiment file, `{name: x}`); values positive numbers. */
export const learningRatesValue: ValueKind<LearningRates> = {
  placeholder: 'NAME=X,...',
  parse(raw, { who, name }) {
    if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
      return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, checkPositive(who, `${name} ${k}`, v)]));
    }
    if (typeof raw !== 'string' || raw.trim() === '') throw argumentError(who, name, 'a list NAME=X,... (e.g. outer=0.1)', raw);
    const out: Record<string, number> = {};
    for (const part of raw.split(',')) {
      const m = /^\s*([\w-]+)\s*=\s*(\S+)\s*$/.exec(part);
      if (m === null) throw argumentError(who, name, 'a list NAME=X,... (e.g. outer=0.1)', raw);
      const x = Number(m[2]);
      out[m[1] as string] = checkPositive(who, `${name} ${m[1]}`, Number.isFinite(x) ? x : m[2]);
    }
    return out;
  },
};

/** Throws unless every name in `rates` is one of `accepted` (the problem's `learningRates`), naming `problem`. */
export function checkLearningRates(who: string, problem: string, rates: LearningRates | undefined, accepted: LearningRates | undefined): void {
  if (rates === undefined) return;
  const names = Object.keys(accepted ?? {});
  const unknown = Object.keys(rates).filter((k) => !names.includes(k));
  if (unknown.length > 0) {
    throw new Error(`${who}: --lr: problem '${problem}' has no ${unknown.map((u) => `'${u}'`).join(', ')}; ` +
      (names.length > 0 ? `its learning rates: ${names.map((n) => `${n} (default ${accepted?.[n]})`).join(', ')}` : 'it declares no learning rates'));
  }
}
