import { fork } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createFileSimulator, fileSimulatorRecords } from '../../src/simulator/index.js';
import { startHeartbeat } from '../../src/simulator/multiWorker/heartbeat.js';
import { key, reference } from './fixtures/workerReference.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, 'fixtures', 'fileWorker.mjs');
const built = existsSync(resolve(here, '../../dist/src/simulator/index.js'));
/** Forks a fixture worker; resolves with its exit code and stderr. */
function launch(dir: string, w: number, options: Record<string, unknown> | string = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((ok) => {
    const p = fork(fixture, [dir, String(w), typeof options === 'string' ? options : JSON.stringify(options)], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    p.stderr?.on('data', (d) => (stderr += d));
    p.on('exit', (code) => ok({ code, stderr }));
  });
}
const fresh = (tag: string) => mkdtempSync(join(tmpdir(), `hg-file-${tag}-`));

describe.skipIf(!built)('file multi-worker simulator: creation, locks, heartbeats, replacements', () => {
  it('creation is atomic: of 8 threads racing on one folder exactly one creates it (10 folders)', async () => {
    const dirs = Array.from({ length: 10 }, () => fresh('race'));
    const barrier = new SharedArrayBuffer(4);
    const flag = new Int32Array(barrier);
    const answers: string[][] = dirs.map(() => []);
    const threads = Array.from({ length: 8 }, () => new Worker(join(here, 'fixtures', 'createRace.mjs'), { workerData: { dirs, barrier } }));
    const done = Promise.all(threads.map((t) => new Promise<void>((ok, fail) => {
      t.on('message', ({ r, answer }: { r: number; answer: string }) => answers[r]?.push(answer));
      t.on('error', fail);
      t.on('exit', () => ok());
    })));
    for (let r = 0; r < dirs.length; r++) {
      Atomics.store(flag, 0, r + 1);
      Atomics.notify(flag, 0);
      while ((answers[r] as string[]).length < 8) await new Promise((ok) => setTimeout(ok, 2));
    }
    await done;
    for (const got of answers) {
      expect(got.filter((a) => a === 'created')).toHaveLength(1);
      expect(got.filter((a) => /already holds a simulation/.test(a))).toHaveLength(7);
    }
  });

  it('a worker killed (kill -9) while holding the lock: the lock is taken over once its heartbeat expires', async () => {
    const dir = fresh('stale');
    createFileSimulator(dir, { nWorkers: 2, nEvals: 10 });
    const killed = await launch(dir, 9, { dieInLock: true });
    expect(killed.code).toBe(null); // killed by SIGKILL
    expect(existsSync(join(dir, 'lock', 'owner.json'))).toBe(true);
    const codes = await Promise.all([0, 1].map((w) => launch(dir, w, { leaseMs: 1000 })));
    expect(codes.map((c) => c.code)).toEqual([0, 0]);
    expect(fileSimulatorRecords(dir).map((r) => key(r.config))).toEqual(await reference(2, 10));
  });

  it('a lock held by a live holder is waited for, however long', async () => {
    const dir = fresh('live');
    createFileSimulator(dir, { nWorkers: 1, nEvals: 3 });
    mkdirSync(join(dir, 'lock'));
    const hb = startHeartbeat(join(dir, 'hb-holder'), 50);
    writeFileSync(join(dir, 'lock', 'owner.json'), JSON.stringify({ token: 'holder', heartbeat: hb.file, name: 'holder' }));
    const worker = launch(dir, 0, { leaseMs: 300 });
    await new Promise((r) => setTimeout(r, 1500)); // five leases
    expect(readFileSync(join(dir, 'results.jsonl'), 'utf8')).toBe('');
    expect(JSON.parse(readFileSync(join(dir, 'lock', 'owner.json'), 'utf8')).token).toBe('holder');
    rmSync(join(dir, 'lock'), { recursive: true });
    hb.stop();
    expect((await worker).code).toBe(0);
    expect(fileSimulatorRecords(dir)).toHaveLength(3);
  });

  it('a slow worker is not a dead one: a 3 s evaluation with a 0.5 s timeout is waited for (heartbeat alive)', async () => {
    const dir = fresh('slow');
    createFileSimulator(dir, { nWorkers: 2, nEvals: 8 });
    const o = { timeoutMs: 500, leaseMs: 2000, heartbeatMs: 100 };
    const [a, b] = await Promise.all([launch(dir, 0, o), launch(dir, 1, { ...o, slowAt: 1, slowMs: 3000 })]);
    expect([a.code, b.code, a.stderr]).toEqual([0, 0, '']);
    expect(fileSimulatorRecords(dir).map((r) => key(r.config))).toEqual(await reference(2, 8));
  });

  it("a crashed worker's slot is re-joined by name and its in-flight evaluation asked again: the records equal the uninterrupted run", async () => {
    const dir = fresh('rejoin');
    createFileSimulator(dir, { nWorkers: 3, nEvals: 15 });
    const o = { leaseMs: 1000, heartbeatMs: 100 };
    const others = [0, 1].map((w) => launch(dir, w, { ...o, name: `w${w}` }));
    const dead = await launch(dir, 2, { ...o, name: 'w2', dieAt: 2 }); // exits while evaluating j = 2
    expect(dead.code).toBe(0);
    const replacement = await launch(dir, 2, { ...o, name: 'w2', from: 2 });
    expect(replacement).toEqual({ code: 0, stderr: '' });
    expect((await Promise.all(others)).map((r) => r.code)).toEqual([0, 0]);
    expect(fileSimulatorRecords(dir).map((r) => key(r.config))).toEqual(await reference(3, 15));
  });

  it('errors name the worker as launched; a dead one is reported after the timeout, with how to replace it', async () => {
    const dir = fresh('names');
    createFileSimulator(dir, { nWorkers: 2, nEvals: 10 });
    const o = { leaseMs: 400, heartbeatMs: 50, timeoutMs: 1200 };
    const [alpha, beta] = await Promise.all([launch(dir, 0, { ...o, name: 'alpha' }), launch(dir, 1, { ...o, name: 'beta', dieAt: 1 })]);
    expect(beta.code).toBe(0);
    expect(alpha.code).toBe(3);
    expect(alpha.stderr).toMatch(/no result for 1200 ms; waiting on worker\(s\) \['beta' \(no heartbeat for over 400 ms; connect a worker named 'beta' to take its slot\)\] \(crashed\?\)/);
  });
});
