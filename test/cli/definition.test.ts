import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.js';
import { bashCompletion } from '../../src/cli/completionCommand.js';
import { type CommandSpec, defineCommand, kebab, option } from '../../src/cli/defineCommand.js';
import { integerAtLeast, list, positiveInteger, positiveNumber, seedValue, text } from '../../src/cli/optionValues.js';
import { runCli } from '../../src/cli/program.js';

/** Runs the CLI in-process on a command table; collects what it writes. */
async function cli(argv: string[], commands: readonly CommandSpec[] = COMMANDS) {
  const chunks = { out: '', err: '' };
  const stream = (k: 'out' | 'err') => ({ write: (s: string) => { chunks[k] += s; return true; } }) as unknown as NodeJS.WritableStream;
  const status = await runCli(argv, { out: stream('out'), err: stream('err') }, commands);
  return { status, ...chunks };
}

/** A command that records the values it received instead of running anything. */
function probe(seen: Record<string, unknown>[]) {
  return defineCommand({
    name: 'probe', summary: 'records its options', experimentFile: true,
    arguments: [{ name: 'target', description: 'what to probe', required: true }],
    options: {
      outerSteps: option(integerAtLeast(1), 'outer steps', { default: 3 }),
      rate: option(positiveNumber('R'), 'a rate'),
      names: option(list('LIST', () => ['a', 'b']), 'names'),
    },
    run: ({ args, options }) => { seen.push({ ...args, ...options }); return 0; },
  });
}

describe('the CLI definition (one command table)', () => {
  it("each command's --help is generated from its table: every option, with its default", async () => {
    for (const command of COMMANDS) {
      const { status, out } = await cli([command.name, '--help']);
      expect(status).toBe(0);
      expect(out).toMatch(new RegExp(`^Usage: hypergrad ${command.name}`));
      for (const [key, o] of Object.entries(command.options)) {
        expect(out).toContain(`--${kebab(key)}`);
        if (o.default !== undefined && !Array.isArray(o.default)) expect(out).toContain(`(default: ${String(o.default)})`);
      }
      if (command.experimentFile) expect(out).toContain('--config <FILE>');
    }
    const top = await cli(['--help']);
    for (const command of COMMANDS) expect(top.out).toMatch(new RegExp(`^  ${command.name} `, 'm'));
  });

  it('an option added to the table is parsed, checked and shown in --help', async () => {
    const seen: Record<string, unknown>[] = [];
    const run = COMMANDS.find((c) => c.name === 'run') as CommandSpec;
    const extended = { ...run, options: { ...run.options, maxRetries: option(positiveInteger(), 'retries per failed step', { default: 3 }) }, run: probe(seen).run };
    const table = COMMANDS.map((c) => (c === run ? extended : c));
    expect((await cli(['run', '--help'], table)).out).toMatch(/--max-retries <N> +retries per failed step \(default: 3\)/);
    expect((await cli(['run', '--help'])).out).not.toContain('--max-retries');
    expect((await cli(['run', 'l2-hpo', '--max-retries', '0'], table)).err).toMatch(/^hypergrad run: --max-retries must be a positive integer, got '0'\n$/);
    expect((await cli(['run', 'l2-hpo', '--max-retries', '7'], table)).status).toBe(0);
    expect(seen[0]).toMatchObject({ maxRetries: 7 });
  });

  it("every numeric option's error names the option, the accepted range and the value as typed", async () => {
    const bad = async (argv: string[]) => (await cli(argv)).err;
    const hpo = ['hpo', '--benchmark', 'mfbranin', '--optimizer', 'random'];
    for (const flag of ['--workers', '--evals', '--seeds']) {
      expect(await bad([...hpo, flag, '0'])).toMatch(new RegExp(`hypergrad hpo: ${flag} must be a positive integer, got '0'`));
      expect(await bad([...hpo, flag, '2.5'])).toMatch(new RegExp(`${flag} must be a positive integer, got '2.5'`));
      expect(await bad([...hpo, flag, '0x10'])).toMatch(new RegExp(`${flag} must be a positive integer, got '0x10'`));
    }
    expect(await bad([...hpo, '--max-time', '-3'])).toMatch(/--max-time must be a positive number, got '-3'/);
    expect(await bad([...hpo, '--max-time', 'soon'])).toMatch(/--max-time must be a positive number, got 'soon'/);
    expect(await bad(['hpo', '--optimizer', 'random'])).toMatch(/--benchmark is required/);
    expect(await bad(['hpo', '--benchmark', 'mfbranin'])).toMatch(/--optimizer is required/);
    for (const command of ['run', 'compare']) {
      for (const flag of ['--outer-steps', '--inner-steps']) {
        expect(await bad([command, 'l2-hpo', flag, '0'])).toMatch(new RegExp(`hypergrad ${command}: ${flag} must be an integer >= 1, got '0'`));
      }
      expect(await bad([command, 'l2-hpo', '--seed', '-1'])).toMatch(/--seed must be an integer in \[0, 4294967296\), got '-1'/);
      expect(await bad([command, 'l2-hpo', '--seed', '4294967296'])).toMatch(/--seed must be an integer in \[0, 4294967296\), got '4294967296'/);
      expect(await bad([command, 'l2-hpo', '--out', ''])).toMatch(/--out must be a non-empty string, got ''/);
    }
    expect(await bad(['run', 'l2-hpo', '--iterations', '0'])).toMatch(/--iterations must be an integer >= 1, got '0'/);
    expect(await bad(['run', 'l2-hpo', '--alpha', '0'])).toMatch(/--alpha must be a positive number, got '0'/);
    expect(await bad(['compare', 'l2-hpo', '--methods', ','])).toMatch(/--methods must be a comma-separated list/);
    expect(await bad(['export', '/nonexistent-dir'])).toMatch(/hypergrad export: DIR must be a folder, got '\/nonexistent-dir'/);
    expect(await bad(['export', '.', '--format', 'xlsx'])).toMatch(/--format must be one of 'csv', 'tsv', got 'xlsx'/);
    expect(await bad(['completion', '--shell', 'fish'])).toMatch(/--shell must be one of 'bash', 'zsh', got 'fish'/);
    const unknown = await cli(['compare', 'l2-hpo', '--method', 'cg']);
    expect(unknown.status).toBe(2);
    expect(unknown.err).toMatch(/hypergrad compare: unknown option '--method'.*; options are --methods, --outer-steps/);
    expect((await cli(['run'])).err).toMatch(/hypergrad run: the argument <problem> is required/);
    expect((await cli(['--frobnicate'])).err).toMatch(/^hypergrad: unknown option '--frobnicate'/);
  });

  it('an experiment file sets any option and argument; the command line overrides it; bad files are named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hg-exp-'));
    const file = join(dir, 'e.json');
    const seen: Record<string, unknown>[] = [];
    const table = [probe(seen)];
    writeFileSync(file, JSON.stringify({ command: 'probe', target: 'x', outerSteps: 5, rate: '0.5', names: ['b', 'a'] }));
    expect((await cli(['probe', '--config', file], table)).status).toBe(0);
    expect((await cli(['probe', 'y', '--config', file, '--outer-steps', '9', '--names', 'a'], table)).status).toBe(0);
    expect(seen).toEqual([{ target: 'x', outerSteps: 5, rate: 0.5, names: ['b', 'a'] }, { target: 'y', outerSteps: 9, rate: 0.5, names: ['a'] }]);
    const errs = async (content: unknown) => {
      writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
      return (await cli(['probe', '--config', file], table)).err;
    };
    expect(await errs({ target: 'x', outerSteps: 0 })).toMatch(new RegExp(`hypergrad probe: 'outerSteps' in ${file} must be an integer >= 1, got 0`));
    expect(await errs({ target: 'x', names: ['c'] })).toMatch(new RegExp(`'names' in ${file}: unknown c; accepted: a, b`));
    expect(await errs({ target: 'x', outer_steps: 2 })).toMatch(/unknown key 'outer_steps'; accepted for probe: target, outerSteps, rate, names, command, hypergrad/);
    expect(await errs({ command: 'hpo', target: 'x' })).toMatch(/is an experiment of 'hypergrad hpo', not of 'hypergrad probe'/);
    expect(await errs('{"target": ')).toMatch(/--config: cannot read '.*e\.json' as JSON/);
    expect(await errs([1, 2])).toMatch(/must hold a JSON object of options/);
    expect(await errs({ target: 3 })).toMatch(/'target' in .* must be a string, got 3/);
  });

  it('the completion script is generated from the table', async () => {
    const script = bashCompletion(COMMANDS);
    for (const command of COMMANDS) {
      expect(script).toMatch(new RegExp(`^    ${command.name}\\) opts="[^"]*--help"`, 'm'));
      for (const key of Object.keys(command.options)) expect(script).toContain(`--${kebab(key)}`);
    }
    expect(script).toContain('args="hyper-cleaning l2-hpo');
    for (const command of COMMANDS.filter((c) => c.subcommands !== undefined)) {
      for (const sub of command.subcommands ?? []) {
        expect(script).toMatch(new RegExp(`^    ${command.name}\\) .* ${sub.name}\\) opts="[^"]*${Object.keys(sub.options).map((k) => `--${kebab(k)}`).join(' ')}`, 'm'));
      }
    }
    const { out, status } = await cli(['completion']);
    expect(status).toBe(0);
    expect(out).toBe(script);
    expect(text('X').placeholder).toBe('X');
    expect(seedValue().parse(7, { who: 'w', name: 'n' })).toBe(7);
  });
});
