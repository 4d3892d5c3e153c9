import { execSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JournalStorage, studyProgress } from '../../src/storage/index.js';
import { type BackendCase, PG_SKIP_REASON, PG_URL, backendCase } from './backends.js';
import { BUILT, startWorker } from './processes.js';

if (PG_URL === undefined) console.log(PG_SKIP_REASON);
/** A shell command that restarts the test server (.ci/run sets it); without it the restart test is skipped. */
const PG_RESTART = process.env.HYPERGRAD_TEST_POSTGRES_RESTART;
if (PG_URL !== undefined && PG_RESTART === undefined) console.log('PostgreSQL restart test skipped: HYPERGRAD_TEST_POSTGRES_RESTART (a command restarting the test server) is not set');

const until = async (cond: () => boolean | Promise<boolean>, what: string, ms = 120_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

async function killMidTrial(c: BackendCase) {
  const mark = join(tmpdir(), `hg-hang-${process.pid}-${Date.now()}`);
  const common = { url: c.url, study: 'faults', budget: 40, optimizer: 'random', heartbeatMs: 200, graceMs: 1000, sleepMs: 2 };
  const victim = startWorker({ ...common, hangOnSlot: 0, mark }); // takes slot 0 first, then hangs in it
  await until(() => existsSync(mark), 'the victim to start its trial');
  const hung = Number(readFileSync(mark, 'utf8'));
  rmSync(mark);
  victim.child.kill('SIGKILL');
  const others = [startWorker(common), startWorker(common)];
  const summaries = await Promise.all(others.map((w) => w.done));
  const reader = new JournalStorage(c.backend());
  const trials = await reader.trials('faults');
  await reader.close();
  const failed = trials.filter((t) => t.state === 'failed');
  expect(failed.map((t) => t.id)).toEqual([hung]);
  expect(failed[0]!.failReason).toMatch(/lease expired/);
  const retry = trials.find((t) => t.retryOf === hung)!;
  expect(retry).toMatchObject({ state: 'complete', slot: 0 });
  expect(retry.worker).not.toBe(failed[0]!.worker);
  expect(trials.filter((t) => t.state === 'complete').length).toBe(40);
  expect(summaries.reduce((n, s) => n + s.evaluated, 0)).toBe(40);
}

describe.skipIf(!BUILT)('faults', () => {
  it('kill -9 of a worker mid-trial on the file journal: the trial fails after the grace period and another worker retries it', async () => {
    const c = backendCase('file');
    try {
      await killMidTrial(c);
    } finally {
      await c.cleanup();
    }
  });

  it.skipIf(PG_URL === undefined)('kill -9 of a worker mid-trial on PostgreSQL: the trial fails after the grace period and another worker retries it', async () => {
    const c = backendCase('postgres');
    try {
      await killMidTrial(c);
    } finally {
      await c.cleanup();
    }
  });

  it('a worker whose synchronous objective blocks its main thread for several grace periods keeps its leases (heartbeats from its own thread)', async () => {
    const c = backendCase(PG_URL !== undefined ? 'postgres' : 'file');
    try {
      const common = { url: c.url, study: 'slow', budget: 6, optimizer: 'random', heartbeatMs: 150, graceMs: 600, blockMs: 1500 };
      const summaries = await Promise.all([startWorker(common), startWorker(common)].map((w) => w.done));
      const reader = new JournalStorage(c.backend());
      const trials = await reader.trials('slow');
      await reader.close();
      expect(trials.map((t) => t.state)).toEqual(new Array(6).fill('complete')); // none failed as dead
      expect(summaries.reduce((n, s) => n + s.evaluated, 0)).toBe(6);
    } finally {
      await c.cleanup();
    }
  });

  it.skipIf(PG_URL === undefined || PG_RESTART === undefined)('the PostgreSQL server restarted mid-run: workers reconnect and the study finishes', async () => {
    const c = backendCase('postgres');
    const reader = new JournalStorage(c.backend());
    try {
      const common = { url: c.url, study: 'restart', budget: 300, optimizer: 'random', heartbeatMs: 1000, graceMs: 30_000, sleepMs: 5 };
      const workers = [startWorker(common), startWorker(common), startWorker(common)];
      await until(async () => {
        await reader.sync().catch(() => {});
        return reader.state.studies.has('restart') && studyProgress(reader.state, 'restart').byState.complete >= 60;
      }, 'a fifth of the trials');
      execSync(PG_RESTART as string, { stdio: 'ignore', timeout: 60_000 });
      const summaries = await Promise.all(workers.map((w) => w.done));
      const trials = await reader.trials('restart');
      expect(summaries.reduce((n, s) => n + s.evaluated, 0)).toBe(300);
      expect(trials.filter((t) => t.state === 'complete').length).toBe(300);
      expect(new Set(trials.map((t) => t.slot)).size).toBe(300);
    } finally {
      await reader.close();
      await c.cleanup();
    }
  }, 180_000);
});
