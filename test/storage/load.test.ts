import { describe, expect, it } from 'vitest';
import { type JournalEntry, JournalStorage, replay, studyProgress } from '../../src/storage/index.js';
import { type BackendCase, PG_SKIP_REASON, PG_URL, backendCase } from './backends.js';
import { BUILT, startWorker } from './processes.js';

if (PG_URL === undefined) console.log(PG_SKIP_REASON);
if (!BUILT) console.log('storage load tests skipped: the library is not built (npm test builds it first)');

/** Counts, in the raw journal, the operations that started and finished each trial of `study`. */
function countJournal(entries: readonly JournalEntry[], study: string) {
  const state = replay(entries);
  const starts = new Map<number, number>();
  const finishes = new Map<number, number>();
  const bump = (m: Map<number, number>, k: number) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const { seq, op } of entries) {
    if (op.op === 'createTrial' && op.study === study && op.state === 'running' && state.trials.has(seq)) bump(starts, seq);
    if (op.op === 'claim' && op.study === study && state.trials.get(op.trial)?.startedSeq === seq) bump(starts, op.trial);
    if (op.op === 'finish' && state.trials.get(op.trial)?.study === study) bump(finishes, op.trial);
  }
  return { state, starts, finishes, trials: state.studies.get(study)!.trials.map((id) => state.trials.get(id)!) };
}

async function loadRun(c: BackendCase, processes: number, budget: number) {
  const workers = Array.from({ length: processes }, () => startWorker({ url: c.url, study: 'load', budget, optimizer: 'random', heartbeatMs: 5000 }, 240_000));
  const summaries = await Promise.all(workers.map((w) => w.done));
  const reader = new JournalStorage(c.backend());
  const { state, starts, finishes, trials } = countJournal(await reader.backend.read(-1), 'load');
  await reader.close();
  expect(summaries.reduce((n, s) => n + s.evaluated, 0)).toBe(budget);
  expect(summaries.filter((s) => s.evaluated > 0).length).toBeGreaterThan(1); // the work was shared
  expect(trials.length).toBe(budget); // no lost or extra trial
  expect(new Set(trials.map((t) => t.slot)).size).toBe(budget);
  expect(trials.every((t) => t.state === 'complete' && t.config !== null)).toBe(true);
  expect(trials.every((t) => starts.get(t.id) === 1 && finishes.get(t.id) === 1)).toBe(true); // each claimed and finished once
  expect(studyProgress(state, 'load').finished).toBe(true);
}

describe.skipIf(!BUILT)('load: worker processes sharing one study', () => {
  it.skipIf(PG_URL === undefined)('8 processes on PostgreSQL complete 2,000 trials, each claimed exactly once', async () => {
    const c = backendCase('postgres');
    try {
      await loadRun(c, 8, 2000);
    } finally {
      await c.cleanup();
    }
  }, 300_000);

  it('4 processes on the file journal complete 2,000 trials, each claimed exactly once', async () => {
    const c = backendCase('file');
    try {
      await loadRun(c, 4, 2000);
    } finally {
      await c.cleanup();
    }
  }, 300_000);
});
