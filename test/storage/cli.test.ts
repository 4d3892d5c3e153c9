import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { invoke } from '../../src/cli/commands.js';
import { lockRunFolder, openStorage } from '../../src/storage/index.js';
import { PG_URL, backendCase } from './backends.js';
import { BUILT } from './processes.js';

const hpoCommand = invoke('hpo');
const sink = () => {
  let text = '';
  return { stream: { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream, text: () => text };
};
const cli = async (args: string[]) => {
  const out = sink();
  const err = sink();
  const code = await hpoCommand(args, out.stream, err.stream);
  return { code, out: out.text(), err: err.text() };
};
const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/src/cli/main.js');

describe('hypergrad hpo worker | status', () => {
  it('runs a study, reports it, and a second run on the finished study says so instead of running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hg-cli-'));
    const storage = join(dir, 'studies.jsonl');
    const args = ['worker', '--storage', storage, '--study', 'b', '--benchmark', 'mfbranin', '--optimizer', 'hyperband', '--trials', '12', '--heartbeat', '1', '--out', join(dir, 'out')];
    const first = await cli(args);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/12 trials evaluated.*the study is finished/);
    expect(readFileSync(join(dir, 'out', 'records.jsonl'), 'utf8').trim().split('\n').length).toBe(12);
    const status = await cli(['status', '--storage', storage]);
    expect(status.out).toMatch(/study b \(benchmark "mfbranin", optimizer "hyperband", seed 0\): finished\n {2}trials: 12 complete, 0 pruned, 0 failed, 0 running, 0 waiting; slots 12 of 12\n {2}incumbent: loss [\d.]+ \(trial \d+/);
    const again = await cli(args);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/study 'b' in .* is finished \(12 complete, 0 failed of 12\); nothing was run/);
    expect((await (await openStorage(storage)).trials('b')).length).toBe(12);
    const other = await cli([...args.slice(0, 8), 'asha', ...args.slice(9)]);
    expect(other.err).toMatch(/study 'b' was created with optimizer "hyperband", not "asha"/);
  });

  it('a second run writing the same --out folder gets a clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hg-cli-'));
    const held = lockRunFolder(join(dir, 'out'));
    try {
      const r = await cli(['worker', '--storage', join(dir, 's.jsonl'), '--study', 'b', '--benchmark', 'mfbranin', '--optimizer', 'random', '--out', join(dir, 'out')]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/--out .*out is in use by another run \(pid \d+ on .* since .*\); use another --out/);
    } finally {
      held.release();
    }
  });

  it('hpo --storage records each run as a study; a second run is refused; --resume reads finished runs back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hg-cli-'));
    const storage = join(dir, 'runs.jsonl');
    const base = ['--benchmark', 'mfbranin', '--optimizer', 'random,tpe', '--evals', '15', '--seeds', '2', '--workers', '2', '--out', join(dir, 'out')];
    const first = await cli([...base, '--storage', storage]);
    expect(first.err).toBe('');
    const table = first.out.split('\n').filter((l) => /^(random|tpe) /.test(l)).map((l) => l.replace(/\s+/g, ' '));
    expect(table.length).toBe(2);
    const studies = await (await openStorage(storage)).studies();
    expect(studies.map((s) => s.name).sort()).toEqual(['mfbranin/random-seed0', 'mfbranin/random-seed1', 'mfbranin/tpe-seed0', 'mfbranin/tpe-seed1']);
    const second = await cli([...base, '--storage', storage]);
    expect(second.code).toBe(2);
    // The run folder is refused before the storage is opened.
    expect(second.err).toMatch(/--out .*out\/mfbranin is not empty \(it holds the run [0-9a-f-]{36}\); pass --resume/);
    const resumed = await cli([...base, '--resume', storage]);
    expect(resumed.err).toBe('');
    expect(resumed.out.split('\n').filter((l) => /^(random|tpe) /.test(l)).map((l) => l.replace(/\s+/g, ' '))).toEqual(table);
  });

  it('bad flags are named', async () => {
    expect((await cli(['worker', '--storage', 'x'])).err).toMatch(/--study is required/);
    expect((await cli(['worker', '--storage', 'memory:', '--study', 's', '--benchmark', 'mfbranin', '--optimizer', 'sgd'])).err).toMatch(/--optimizer must be one of/);
    expect((await cli(['status', '--storage', 'mysql://x/y'])).err).toMatch(/unknown URL scheme in 'mysql:\/\/x\/y'/);
  });

  it.skipIf(!BUILT)('two worker processes train MNIST MLPs for real on one study', async () => {
    const c = backendCase(PG_URL !== undefined ? 'postgres' : 'file');
    try {
      const args = ['hpo', 'worker', '--storage', c.url as string, '--study', 'mnist', '--benchmark', 'mnist-mlp', '--optimizer', 'asha', '--trials', '4', '--heartbeat', '2'];
      const run = () => new Promise<string>((ok, fail) => {
        const p = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        p.stdout.on('data', (d) => (out += d));
        p.stderr.on('data', (d) => (err += d));
        const timer = setTimeout(() => p.kill('SIGKILL'), 240_000);
        p.on('exit', (code) => (clearTimeout(timer), code === 0 ? ok(out) : fail(new Error(`exit ${code}: ${err}`))));
      });
      const outs = await Promise.all([run(), run()]);
      expect(outs.join('')).toMatch(/trials evaluated/);
      const storage = await openStorage(c.url as string);
      const trials = await storage.trials('mnist');
      await storage.close();
      expect(trials.filter((t) => t.state === 'complete').length).toBe(4);
      for (const t of trials) {
        expect(t.values!.loss).toBeGreaterThanOrEqual(0); // validation error of a really trained MLP
        expect(t.values!.loss).toBeLessThan(0.95);
        expect(t.values!.runtime).toBeGreaterThan(0); // measured training time
      }
    } finally {
      await c.cleanup();
    }
  }, 300_000);
});
