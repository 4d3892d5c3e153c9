import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { randomSearch } from '../src/hpo/index.js';
import { type JournalBackend, JournalStorage, fileBackend, memoryBackend, postgresBackend, runWorker } from '../src/storage/index.js';
import { report } from './report.js';

const TRIALS = 400;
const REPEATS = 3;
const searchSpace = { x: { type: 'float' as const, low: 0, high: 1 } };

interface Measure {
  trialsPerSecond: number;
  opsPerSecond: number;
  latencyMs: number;
}

/** `workers` in-process workers (each with its own backend connection) complete TRIALS trivial trials on a fresh study. */
async function measure(makeBackend: () => JournalBackend, workers: number, study: string): Promise<Measure> {
  const storages = Array.from({ length: workers }, (_v, i) => new JournalStorage(makeBackend(), { worker: `b${i}` }));
  const latencies: number[] = [];
  // The PostgreSQL journal (one schema) is shared by every measurement: count only this study's entries.
  const before = (await storages[0]!.backend.read(-1)).length;
  const t0 = performance.now();
  await Promise.all(storages.map((storage) => runWorker({
    storage, study, budget: TRIALS, heartbeatMs: 10_000, optimizer: () => randomSearch({ searchSpace, seed: 1 }),
    objective: (c) => ({ loss: c.x as number, runtime: 0 }),
    onTrial: (t) => latencies.push((t.endedAt as number) - (t.startedAt as number)),
  })));
  const seconds = (performance.now() - t0) / 1000;
  const ops = (await storages[0]!.backend.read(-1)).length - before;
  await Promise.all(storages.map((s) => s.close()));
  latencies.sort((a, b) => a - b);
  return { trialsPerSecond: TRIALS / seconds, opsPerSecond: ops / seconds, latencyMs: latencies[Math.floor(latencies.length / 2)] as number };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/**
 * Journal storage throughput: TRIALS trivial trials (random search, an objective that does no work)
 * by 1, 4 and 16 in-process workers, each on its own connection, through the in-memory journal
 * (the baseline), the file journal (fsync on) and PostgreSQL (HYPERGRAD_BENCH_POSTGRES or
 * HYPERGRAD_TEST_POSTGRES; skipped without): trials/s, journal operations/s and the median trial
 * latency (claim to result), medians of interleaved repeats.
 */
export async function storageBench(): Promise<void> {
  const pgUrl = process.env.HYPERGRAD_BENCH_POSTGRES ?? process.env.HYPERGRAD_TEST_POSTGRES;
  if (pgUrl === undefined) process.stderr.write('bench storage: PostgreSQL skipped (set HYPERGRAD_BENCH_POSTGRES to a postgresql:// URL)\n');
  const dir = mkdtempSync(join(tmpdir(), 'hg-bench-storage-'));
  const schema = `hg_bench_${process.pid}`;
  let n = 0;
  try {
    for (const workers of [1, 4, 16]) {
      const runs: Record<string, Measure[]> = { memory: [], file: [], postgres: [] };
      for (let r = 0; r < REPEATS; r++) {
        const mem = memoryBackend();
        runs.memory!.push(await measure(() => mem, workers, `m${n++}`));
        const path = join(dir, `j${n++}.jsonl`);
        runs.file!.push(await measure(() => fileBackend(path), workers, 'f'));
        if (pgUrl !== undefined) {
          const u = new URL(pgUrl);
          u.searchParams.set('schema', schema);
          runs.postgres!.push(await measure(() => postgresBackend(u.toString(), { poolSize: 1 }), workers, `p${n++}`));
        }
      }
      const base = runs.memory!;
      for (const kind of ['memory', 'file', 'postgres']) {
        const ms = runs[kind]!;
        if (ms.length === 0) continue;
        const c = `${kind}/${workers}-workers/${TRIALS}-trials`;
        const baseline = (k: keyof Measure) => (kind === 'memory' ? {} : { baseline: median(base.map((m) => m[k])) });
        report({ bench: 'storage', case: c, metric: 'trials-per-second', value: median(ms.map((m) => m.trialsPerSecond)), unit: 'trials/s', ...baseline('trialsPerSecond'), repeats: REPEATS });
        report({ bench: 'storage', case: c, metric: 'journal-ops-per-second', value: median(ms.map((m) => m.opsPerSecond)), unit: 'ops/s', ...baseline('opsPerSecond'), repeats: REPEATS });
        report({ bench: 'storage', case: c, metric: 'median-trial-latency', value: median(ms.map((m) => m.latencyMs)), unit: 'ms', ...baseline('latencyMs'), repeats: REPEATS });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (pgUrl !== undefined) {
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    }
  }
}
