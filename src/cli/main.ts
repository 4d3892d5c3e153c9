#!/usr/bin/env node
/**
 * The `hypergrad` command. Its commands and options are declared once, in the table of
 * `commands.ts`; `program.ts` runs it (see `defineCommand.ts` to add a command or an option).
 * @module
 */
import { COMMANDS } from './commands.js';
import { runCli } from './program.js';

/** Runs the CLI on `argv` (without node and the script); resolves with the exit code. */
export function main(argv: readonly string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  return runCli(argv, { out, err }, COMMANDS);
}

process.exitCode = await main(process.argv.slice(2));
