import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROBLEMS, problemByName } from '../../problems/index.js';
import type { ProblemSpec } from '../../problems/types.js';
import { argumentError, checkFunction, checkPositive } from '../util/validate.js';

/** A problem the CLI runs: a built-in one, or a user's module. */
export interface ResolvedProblem {
  /** Its spec. */
  spec: ProblemSpec;
  /** What `experiment.json` records to find it again: the built-in name, or the module's absolute path. */
  source: string;
}

/** Whether the `problem` argument names a module rather than a built-in problem. */
export const isModulePath = (arg: string): boolean => /[\\/]/.test(arg) || ['.js', '.mjs', '.cjs', '.ts', '.mts'].includes(extname(arg));

/**
 * Checks that `value` is a {@link ProblemSpec}: `name`, `description`, `defaults` (`run` and
 * `compare` as `[outer, inner]` positive integers, `alpha` > 0), `reference` (a hypergradient
 * method), `run` and `hypergradientAt` functions. Errors name `where` and the field.
 */
export function checkProblemSpec(value: unknown, where: string): ProblemSpec {
  if (typeof value !== 'object' || value === null) throw argumentError(where, 'the problem', 'a ProblemSpec object', value);
  const p = value as Record<string, unknown>;
  for (const key of ['name', 'description'] as const) {
    if (typeof p[key] !== 'string' || p[key] === '') throw argumentError(where, `problem.${key}`, 'a non-empty string', p[key]);
  }
  const defaults = p.defaults as Record<string, unknown> | undefined;
  for (const key of ['run', 'compare'] as const) {
    const pair = defaults?.[key];
    if (!(Array.isArray(pair) && pair.length === 2 && pair.every((n) => Number.isSafeInteger(n) && n >= 1))) {
      throw argumentError(where, `problem.defaults.${key}`, '[outer steps, inner steps], two positive integers', pair);
    }
  }
  checkPositive(where, 'problem.defaults.alpha', defaults?.alpha);
  const reference = p.reference as { method?: unknown } | undefined;
  if (typeof reference?.method !== 'string') throw argumentError(where, 'problem.reference', "a hypergradient method, e.g. {method: 'cg', iterations: 100}", p.reference);
  checkFunction(where, 'problem.run', p.run, 'a function (options) => Promise<ProblemReport>');
  checkFunction(where, 'problem.hypergradientAt', p.hypergradientAt, 'a function (state, method, options) => Promise<number[]>');
  return value as ProblemSpec;
}

/**
 * The problem `arg` names: a built-in one (`l2-hpo`), or a module path (`./myProblem.js`) whose
 * `default` export, or else its export `problem`, is a {@link ProblemSpec}. The module is loaded
 * with `import()`, so it is JavaScript (compile TypeScript first) and may import `hypergrad`.
 */
export async function resolveProblem(arg: string): Promise<ResolvedProblem> {
  if (PROBLEMS.includes(arg) || !isModulePath(arg)) {
    try {
      return { spec: problemByName(arg), source: arg };
    } catch (e) {
      throw new Error(`${(e as Error).message}; or a path to a module that exports a ProblemSpec (./myProblem.js)`);
    }
  }
  const path = resolve(arg);
  if (['.ts', '.mts'].includes(extname(path))) throw new Error(`problem module '${arg}' is TypeScript: compile it to JavaScript (tsc) and pass the .js file`);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`cannot load the problem module '${arg}' (${path}): ${(e as Error).message}`);
  }
  const value = module.default ?? module.problem;
  if (value === undefined) {
    const names = Object.keys(module);
    throw new Error(`the module '${arg}' exports no problem: export a ProblemSpec as its default export (export default {...}) or as 'problem' ` +
      `(see hypergrad/problems and examples/userProblem.ts); it exports ${names.length === 0 ? 'nothing' : names.join(', ')}`);
  }
  return { spec: checkProblemSpec(value, `problem module '${arg}'`), source: path };
}
