import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = resolve(root, 'dist/src/cli/main.js');

describe.skipIf(!existsSync(bin))('the hypergrad command', () => {
  it('prints the version and the verified kernels', () => {
    const version = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')).version;
    expect(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }).trim()).toBe(version);
    const kernels = execFileSync(process.execPath, [bin, 'kernels'], { encoding: 'utf8' }).trim().split('\n');
    expect(kernels).toContain('Tanh');
    expect(kernels).toContain('Conv2DBackpropFilter');
  });

  it('rejects an unknown command with the accepted ones', () => {
    const r = spawnSync(process.execPath, [bin, 'frobnicate'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'; accepted: list, run, compare, hpo, landscape, kernels, --help, --version/);
  });
});

describe.skipIf(!existsSync(bin))('hypergrad hpo', () => {
  it('compares optimizers: prints a table, writes records, a summary and SVG/PNG plots', async () => {
    const { mkdtempSync, readdirSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const out = mkdtempSync(join(tmpdir(), 'hg-cli-'));
    const r = spawnSync(process.execPath, [bin, 'hpo', '--benchmark', 'mfhartmann3', '--optimizer', 'random,asha', '--workers', '2', '--evals', '30', '--seeds', '2', '--out', out], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/mfhartmann3: 2 workers, 30 evaluations, 2 seeds/);
    expect(r.stdout).toMatch(/^random\s+-?\d/m);
    expect(r.stdout).toMatch(/^asha\s+-?\d/m);
    const dir = join(out, 'mfhartmann3');
    expect(readdirSync(dir).sort()).toEqual(['asha-seed0.jsonl', 'asha-seed1.jsonl', 'experiment.json', 'incumbent.png', 'incumbent.svg', 'incumbent.vl.json', 'random-seed0.jsonl', 'random-seed1.jsonl', 'run.json', 'summary.json']);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(summary.optimizers.random.finalIncumbents).toHaveLength(2);
    expect(readFileSync(join(dir, 'asha-seed0.jsonl'), 'utf8').trim().split('\n')).toHaveLength(30);
  });

  it('bad options get errors naming the option and what it accepts', () => {
    const run = (...a: string[]) => spawnSync(process.execPath, [bin, 'hpo', ...a], { encoding: 'utf8' });
    expect(run('--optimizer', 'random').stderr).toMatch(/--benchmark is required/);
    expect(run('--benchmark', 'mfbranin', '--optimizer', 'grid').stderr).toMatch(/--optimizer: unknown grid; accepted: random, hyperband, asha, bohb, tpe/);
    expect(run('--benchmark', 'nope', '--optimizer', 'random').stderr).toMatch(/--benchmark must be mfbranin, mfhartmann3, mfhartmann6, lcbench:<task>, mnist-mlp, zoo, zoo:<task>, zoo-live or zoo-live:<task>, got 'nope'/);
    expect(run('--benchmark', 'mfbranin', '--optimizer', 'random', '--workers', '0').stderr).toMatch(/--workers must be a positive integer, got '0'/);
    expect(run('--benchmark', 'mfbranin', '--optimizer', 'random', '--frobs', '3').stderr).toMatch(/unknown option '--frobs'/);
    expect(run('--benchmark', 'lcbench:1', '--optimizer', 'random').stderr).toMatch(/unknown task '1'/);
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/mfbranin \| mfhartmann3 \| mfhartmann6 \| mnist-mlp \| zoo \| zoo-live \| lcbench:<task>/);
  });
});

describe.skipIf(!existsSync(bin))('hypergrad list, run and compare', () => {
  it('list names the problems and methods; run writes a summary, JSON lines and plots', async () => {
    const { mkdtempSync, readdirSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    expect(execFileSync(process.execPath, [bin, 'list'], { encoding: 'utf8' })).toMatch(/problems: hyper-cleaning, l2-hpo, lr-wd-tuning, meta-weight-net, sinusoid, three-level\nmethods: +unrolled, neumann, cg, fixedPoint, finiteDifference, firstOrder/);
    const out = mkdtempSync(join(tmpdir(), 'hg-run-'));
    const r = spawnSync(process.execPath, [bin, 'run', 'hyper-cleaning', '--method', 'cg', '--iterations', '3', '--outer-steps', '3', '--inner-steps', '5', '--out', out], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^cg\s+\d\.\d{4}\s+\d+\.\d%/m);
    expect(r.stdout).toMatch(/precision\s+recall/);
    // Not a terminal: the progress bar writes its final line only.
    expect(r.stderr).toMatch(/^cg +outer steps \[#{24}\] 3\/3  valid \d\.\d{4}  \d+\.\ds$/m);
    expect(readdirSync(out).sort()).toEqual(['cg.jsonl', 'checkpoints', 'experiment.json', 'run.json', 'summary.json', 'validation-loss.png', 'validation-loss.svg', 'validation-loss.vl.json']);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.results[0].method).toBe('cg');
    expect(readFileSync(join(out, 'cg.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('bad arguments get errors naming the argument and what is accepted', () => {
    const run = (...a: string[]) => spawnSync(process.execPath, [bin, ...a], { encoding: 'utf8' });
    expect(run('run', 'nope').stderr).toMatch(/unknown problem 'nope'; problems: hyper-cleaning, l2-hpo, lr-wd-tuning, meta-weight-net, sinusoid, three-level/);
    expect(run('run', 'sinusoid', '--method', 'neumann').stderr).toMatch(/problem 'sinusoid' supports the methods unrolled, firstOrder, cg; got neumann/);
    expect(run('run', 'hyper-cleaning', '--method', 'magic').stderr).toMatch(/unknown method 'magic'; accepted: unrolled, neumann, cg, fixedPoint, finiteDifference, firstOrder/);
    expect(run('compare', 'hyper-cleaning', '--outer-steps', '0').stderr).toMatch(/--outer-steps must be an integer >= 1, got '0'/);
    expect(run('run', 'hyper-cleaning', '--alpha', '-1').stderr).toMatch(/--alpha must be a positive number, got '-1'/);
    expect(run('compare', '--help').stdout).toMatch(/hypergrad compare <problem>/);
  });
});
