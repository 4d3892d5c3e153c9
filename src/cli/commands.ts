/**
 * The command table: the CLI's one definition. Add a command by writing it with `defineCommand`
 * (see `defineCommand.ts`, and `exportCommand.ts` for a small example) and adding it here; its
 * parsing, `--help`, experiment file, errors and shell completion follow from the entry.
 * @module
 */
import { completionCommand } from './completionCommand.js';
import { dashboardCommand } from './dashboardCommand.js';
import type { CommandSpec } from './defineCommand.js';
import { exportCommand } from './exportCommand.js';
import { hpoCommand } from './hpoCommand.js';
import { landscapeCommand } from './landscapeCommand.js';
import { kernelsCommand, listCommand } from './listCommand.js';
import { compareCommand, runCommand } from './problemCommand.js';
import { runCli } from './program.js';

/** Every `hypergrad` command, in the order help lists them (core commands, then `group: 'tools'`). */
export const COMMANDS: readonly CommandSpec[] = [listCommand, runCommand, compareCommand, hpoCommand, landscapeCommand, kernelsCommand, exportCommand, dashboardCommand, completionCommand];

/**
 * `hypergrad <name> ...args` in this process (for tests and embedding), writing to `out` and `err`;
 * resolves with the exit code. E.g. `const hpo = invoke('hpo'); await hpo(['--benchmark', 'mfbranin', ...], out, err)`.
 */
export const invoke = (name: string) => (args: readonly string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> =>
  runCli([name, ...args], { out, err }, COMMANDS);
