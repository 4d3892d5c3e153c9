import { fork } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { type AskTellOptimizer } from '../../src/entries/hpo.js';
import { SimulationFinished, asyncSimulator, createFileSimulator, fileSimulatorRecords, simulate } from '../../src/entries/simulator.js';
// @ts-expect-error a plain .mjs helper shared with the worker fixture
import { runtimeOf } from './fixtures/runtimes.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, 'fixtures', 'fileWorker.mjs');
const built = existsSync(resolve(here, '../../dist/src/index.js'));
const N = 4;
const EVALS = 24;
const objective = (c: Record<string, unknown>) => ({ loss: (c.w as number) + (c.j as number), runtime: runtimeOf(c.w, c.j) as number });
const key = (c: Record<string, unknown>) => `${c.w}:${c.j}`;

/** The single-process reference: worker i asks its own sequence; the freed worker asks next. */
async function reference(): Promise<string[]> {
  let asks = 0;
  let freed = 0;
  const next = new Array(N).fill(0);
  const optimizer: AskTellOptimizer = {
    ask: () => {
      const w = asks < N ? asks : freed;
      asks++;
      return { config: { w, j: next[w]++ } };
    },
    tell: (trial) => {
      freed = trial.config.w as number;
    },
  };
  const { records } = await simulate({ objective, optimizer, nWorkers: N, nEvals: EVALS, chargeSamplingTime: false });
  return records.map((r) => key(r.config));
}

describe('multi-worker mode: the order of results equals the single-process mode', () => {
  it('async workers in one process', async () => {
    const ref = await reference();
    const sim = asyncSimulator({ objective, nWorkers: N, nEvals: EVALS });
    await Promise.all(Array.from({ length: N }, async (_v, w) => {
      const worker = sim.worker();
      try {
        for (let j = 0; ; j++) await worker.evaluate({ w, j });
      } catch (e) {
        if (!(e instanceof SimulationFinished)) throw e;
      }
    }));
    expect((await sim.records).map((r) => key(r.config))).toEqual(ref);
  });

  it.skipIf(!built)('worker threads through the file store', async () => {
    const ref = await reference();
    const dir = mkdtempSync(join(tmpdir(), 'hg-mw-'));
    createFileSimulator(dir, { nWorkers: N, nEvals: EVALS });
    await Promise.all(Array.from({ length: N }, (_v, w) => new Promise<void>((ok, fail) => {
      const t = new Worker(fixture, { workerData: { dir, w, mode: '' } });
      t.on('error', fail);
      t.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`thread ${w} exited ${code}`))));
    })));
    expect(fileSimulatorRecords(dir).map((r) => key(r.config))).toEqual(ref);
  });

  it.skipIf(!built)('separate processes through the file store', async () => {
    const ref = await reference();
    const dir = mkdtempSync(join(tmpdir(), 'hg-mp-'));
    createFileSimulator(dir, { nWorkers: N, nEvals: EVALS });
    await Promise.all(Array.from({ length: N }, (_v, w) => new Promise<void>((ok, fail) => {
      const p = fork(fixture, [dir, String(w), ''], { stdio: 'inherit' });
      p.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`process ${w} exited ${code}`))));
    })));
    expect(fileSimulatorRecords(dir).map((r) => key(r.config))).toEqual(ref);
  });

  it.skipIf(!built)('a crashed worker: the others stop with an error naming what they wait for', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hg-crash-'));
    createFileSimulator(dir, { nWorkers: 3, nEvals: 10 });
    const codes = await Promise.all([0, 1, 2].map((w) => new Promise<number>((ok) => {
      const p = fork(fixture, [dir, String(w), w === 2 ? 'crash' : '1500'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      let err = '';
      p.stderr?.on('data', (d) => (err += d));
      p.on('exit', (code) => {
        if (w !== 2) expect(err).toMatch(/no result for 1500 ms; waiting on worker\(s\) \[\] and 1 worker\(s\) that never submitted \(crashed\?\)/);
        ok(code ?? -1);
      });
    })));
    expect(codes).toEqual([3, 3, 0]);
  });

  it('errors: bad worker counts', () => {
    expect(() => asyncSimulator({ objective, nWorkers: 0, nEvals: 3 })).toThrow(/nWorkers must be an integer >= 1, got 0/);
    expect(() => createFileSimulator(mkdtempSync(join(tmpdir(), 'hg-bad-')), { nWorkers: 2, nEvals: 0 })).toThrow(/nEvals must be an integer >= 1, got 0/);
  });
});
