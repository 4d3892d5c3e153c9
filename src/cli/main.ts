#!/usr/bin/env node
/**
 * The `hypergrad` command: `list`, `run` and `compare` (ready-made problems and hypergradient
 * methods), `hpo` (compare HPO optimizers through the simulator), `kernels` (the kernels with
 * second-order-verified rules), `--help` and `--version`.
 */
import { readFileSync } from 'node:fs';
import { supportedKernels } from '../index.js';
import { hpoCommand } from './hpo.js';
import { landscapeCommand } from './landscape.js';
import { listCommand, problemCommand } from './problems.js';

const USAGE = `usage: hypergrad <command> [options]

commands:
  list         list the ready-made problems and hypergradient methods
  run          run a problem with one hypergradient method (hypergrad run --help)
  compare      compare hypergradient methods on a problem (hypergrad compare --help)
  hpo          compare HPO optimizers on a benchmark in simulated time (hypergrad hpo --help)
  landscape    hyperparameter loss-landscape analysis, studies and comparisons (hypergrad landscape --help)
  kernels      list the tfjs kernels with second-order-verified gradient rules
  --help, -h   show this help
  --version    print the version`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Runs the CLI on `argv` (without node and the script); returns the exit code. */
export async function main(argv: readonly string[], out = process.stdout, err = process.stderr): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'hpo') return hpoCommand(rest, out, err);
  if (command === 'landscape') return landscapeCommand(rest, out, err);
  if (command === 'list') return listCommand(out);
  if (command === 'run' || command === 'compare') return problemCommand(command, rest, out, err);
  if (command === undefined || command === '--help' || command === '-h') {
    out.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version') {
    out.write(`${version()}\n`);
    return 0;
  }
  if (command === 'kernels') {
    if (rest.length > 0) {
      err.write(`hypergrad kernels: takes no arguments, got ${rest.join(' ')}\n`);
      return 2;
    }
    out.write(`${supportedKernels().join('\n')}\n`);
    return 0;
  }
  err.write(`hypergrad: unknown command '${command}'; accepted: list, run, compare, hpo, landscape, kernels, --help, --version\n`);
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
