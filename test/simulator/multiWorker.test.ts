import { fork } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { SimulationFinished, asyncSimulator, createFileSimulator, fileSimulatorRecords } from '../../src/simulator/index.js';
import { key, objective, reference } from './fixtures/workerReference.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, 'fixtures', 'fileWorker.mjs');
const built = existsSync(resolve(here, '../../dist/src/simulator/index.js'));
const N = 4;
const EVALS = 24;
/** The reference for N workers and EVALS results. */
const singleProcessOrder = () => reference(N, EVALS);

describe('multi-worker mode: the order of results equals the single-process mode', () => {
  it('async workers in one process', async () => {
    const ref = await singleProcessOrder();
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
    const ref = await singleProcessOrder();
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
    const ref = await singleProcessOrder();
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

describe('asyncSimulator never waits forever', () => {
  /** Worker w evaluates {w, j} for j < stopAt (then its loop ends); collects how each loop ended. */
  const loop = async (sim: ReturnType<typeof asyncSimulator>, w: number, stopAt = Infinity, name?: string) => {
    const worker = sim.worker(name);
    try {
      for (let j = 0; j < stopAt; j++) await worker.evaluate({ w, j });
      return 'stopped';
    } catch (e) {
      return e instanceof SimulationFinished ? 'finished' : (e as Error).message;
    }
  };

  it('a worker that stops submitting: the others fail after stallTimeoutMs with an error naming it', async () => {
    const sim = asyncSimulator({ objective, nWorkers: 3, nEvals: 40, stallTimeoutMs: 200 });
    const ends = await Promise.all([loop(sim, 0, Infinity, 'a'), loop(sim, 1, 2, 'quitter'), loop(sim, 2, Infinity, 'c')]);
    expect(ends[1]).toBe('stopped');
    for (const e of [ends[0], ends[2]]) expect(e).toMatch(/worker 'quitter' must submit next \(its clock is the smallest\) and has not for 200 ms/);
    await expect(sim.records).rejects.toThrow(/'quitter' must submit next/);
  });

  it('a worker that leaves, or whose objective throws: the others fail at once, naming it', async () => {
    const left = asyncSimulator({ objective, nWorkers: 2, nEvals: 20 });
    const leaver = left.worker('leaver');
    const other = loop(left, 0, Infinity, 'stays');
    await leaver.evaluate({ w: 1, j: 0 });
    leaver.leave();
    expect(await other).toMatch(/worker 'leaver' left before the run finished \(\d+ of 20 results\)/);
    const throwing = asyncSimulator({ objective: (c) => {
      if (c.w === 1 && c.j === 2) throw new Error('out of memory');
      return objective(c);
    }, nWorkers: 2, nEvals: 20 });
    const ends = await Promise.all([loop(throwing, 0), loop(throwing, 1, Infinity, 'gpu-1')]);
    for (const e of ends) expect(e).toMatch(/the objective failed on worker 'gpu-1' for config \{"w":1,"j":2\}: out of memory/);
  });
});
