/**
 * Experiment files: a command's arguments and options as JSON, so a run is written down once and
 * repeated exactly. `hypergrad run|compare|hpo --config FILE` reads one; every option (camelCase,
 * `outerSteps` for `--outer-steps`) and positional argument (`problem`) can be set there, and the
 * command line overrides the file. Each run writes the resolved experiment (defaults filled in,
 * including those that depend on the problem) to `experiment.json` in its output folder:
 * `hypergrad compare --config runs/l2-hpo/experiment.json --out elsewhere` repeats it.
 * ```json
 * { "command": "compare", "problem": "l2-hpo", "methods": ["cg", "neumann"], "outerSteps": 5, "seed": 0 }
 * ```
 * `command` is optional and, when present, must name the command being run; `hypergrad` (the
 * version that wrote the file) is informational.
 * @module
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../multilevel/checkpointFile.js';
import { packageVersion } from './packageVersion.js';

/** The name of the resolved experiment each run writes into its output folder. */
export const EXPERIMENT_FILE = 'experiment.json';

/** Keys an experiment file may hold besides the command's arguments and options. */
const META_KEYS = ['command', 'hypergrad'];

/**
 * Reads an experiment file for `command`: a JSON object whose keys are among `keys` (the
 * command's arguments and options) and `command`/`hypergrad`. Errors name the file and the key.
 */
export function readExperimentFile(path: string, command: string, keys: readonly string[], who: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${who}: --config: cannot read '${path}' as JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${who}: --config: '${path}' must hold a JSON object of options, e.g. {"outerSteps": 5}`);
  }
  const file = parsed as Record<string, unknown>;
  const unknown = Object.keys(file).filter((k) => !keys.includes(k) && !META_KEYS.includes(k));
  if (unknown.length > 0) {
    throw new Error(`${who}: --config: '${path}' has unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}; ` +
      `accepted for ${command}: ${[...keys, ...META_KEYS].join(', ')}`);
  }
  if (file.command !== undefined && file.command !== command) {
    throw new Error(`${who}: --config: '${path}' is an experiment of 'hypergrad ${String(file.command)}', not of 'hypergrad ${command}'`);
  }
  return file;
}

/**
 * Writes the resolved experiment of a run (`{hypergrad, command, ...arguments, ...options}`) to
 * `<dir>/experiment.json`; returns the path.
 */
export function writeExperimentFile(dir: string, command: string, values: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, EXPERIMENT_FILE);
  const defined = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
  writeFileAtomic(path, `${JSON.stringify({ hypergrad: packageVersion(), command, ...defined }, null, 2)}\n`);
  return path;
}
