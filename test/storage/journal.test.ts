import { appendFileSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { type JournalOp, type JournalState, JournalStorage, fileBackend, memoryBackend, replay, studyProgress } from '../../src/storage/index.js';
import { BACKENDS, type BackendCase, PG_SKIP_REASON, PG_URL, backendCase } from './backends.js';

if (PG_URL === undefined) console.log(PG_SKIP_REASON);

/** A comparable form of a replica (maps as sorted entries). */
const plain = (s: JournalState) => ({ last: s.last, studies: [...s.studies].sort(), trials: [...s.trials].sort((a, b) => a[0] - b[0]) });

const cases: BackendCase[] = [];
const open = (name: BackendCase['name']) => {
  const c = backendCase(name);
  cases.push(c);
  return c;
};
afterEach(async () => {
  await Promise.all(cases.splice(0).map((c) => c.cleanup()));
});

describe.each(BACKENDS)('journal storage on %s', (kind) => {
  it('replaying the journal from scratch gives every writer\'s live replica', async () => {
    const c = open(kind);
    const [a, b, d] = [c.open('a'), c.open('b'), c.open('d')] as [JournalStorage, JournalStorage, JournalStorage];
    await a.createStudy('s', { budget: 6, attrs: { optimizer: 'random' } });
    await b.createStudy('s', { loadIfExists: true });
    await expect(d.createStudy('s')).rejects.toThrow(/study 's' already exists/);
    const enq = await a.enqueueTrial('s', { config: { x: 1 }, fidelity: 3, attrs: { by: 'user' } });
    const [ta, tb] = await Promise.all([a.askSlot('s', { config: { x: 2 } }), b.askSlot('s')]);
    expect(await b.setParams(tb!.id, { x: 3 }, 9)).toBe(true);
    expect(await a.setParams(tb!.id, { x: 4 })).toBe(false); // the first params win
    expect((await d.claim('s'))?.id).toBe(enq.id);
    expect(await d.claim('s')).toBeNull();
    await a.report(ta!.id, 1, 0.5);
    await a.finish(ta!.id, { loss: 0.25, runtime: 2 });
    await b.fail(tb!.id, 'objective threw', { retry: true });
    await d.finish(enq.id, { loss: 0.1, runtime: 1 }, 'pruned');
    await d.setTrialAttr(enq.id, 'note', { k: [1, 2] });
    await a.setStudyAttr('s', 'status', 'half');
    const retry = await a.claim('s');
    expect(retry?.retryOf).toBe(tb!.id);
    expect(retry?.config).toEqual({ x: 3 });
    expect(retry?.fidelity).toBe(9);
    await Promise.all([a.sync(), b.sync(), d.sync()]);
    const fresh = replay(await c.backend().read(-1));
    for (const w of [a, b, d]) expect(plain(w.state)).toEqual(plain(fresh));
    expect(studyProgress(fresh, 's').byState).toEqual({ waiting: 0, running: 1, complete: 1, pruned: 1, failed: 1 });
  });

  it('a waiting reader is woken by another writer\'s append (LISTEN/NOTIFY, polling, in-process)', async () => {
    const c = open(kind);
    const [a, b] = [c.open('a'), c.open('b')];
    await a.createStudy('s');
    await b.sync();
    const woke = b.waitForChange(1_000_000); // longer than the test's timeout: only a wake-up ends it in time
    await new Promise((r) => setTimeout(r, 50));
    await a.enqueueTrial('s', { config: { x: 1 } });
    await woke;
    expect(b.study('s').trials.length).toBe(1);
  }, 30_000);

  it('writers with the same name in later runs do not collide (operation ids stay unique)', async () => {
    const c = open(kind);
    const first = c.open('w');
    await first.createStudy('s');
    await first.close();
    const again = c.open('w'); // the same worker name (a pid reused, a fixed --worker) on the same journal
    await again.createStudy('t');
    expect((await again.studies()).map((x) => x.name)).toEqual(['s', 't']);
  });

  it('concurrent claims of one waiting trial: exactly one writer gets it', async () => {
    const c = open(kind);
    const writers = Array.from({ length: 6 }, (_v, i) => c.open(`w${i}`));
    await writers[0]!.createStudy('s');
    for (let k = 0; k < 3; k++) await writers[0]!.enqueueTrial('s', { config: { k } });
    const got = await Promise.all(writers.map((w) => w.claim('s')));
    const ids = got.filter((t) => t !== null).map((t) => t!.id);
    expect(ids.length).toBe(3);
    expect(new Set(ids).size).toBe(3);
    const state = replay(await c.backend().read(-1));
    const claims = [...state.trials.values()].map((t) => t.worker);
    expect(claims.every((w) => w !== null)).toBe(true);
  });

  it('the budget of slots holds across concurrent writers', async () => {
    const c = open(kind);
    const writers = Array.from({ length: 4 }, (_v, i) => c.open(`w${i}`));
    await writers[0]!.createStudy('s', { budget: 5 });
    const asked = await Promise.all(writers.flatMap((w) => [w.askSlot('s'), w.askSlot('s')]));
    expect(asked.filter((t) => t !== null).map((t) => t!.slot).sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('an expired lease fails its trial once and re-enqueues it with its intermediate values, up to maxRetries', async () => {
    const c = open(kind);
    const [a, b] = [c.open('a'), c.open('b')];
    await a.createStudy('s', { budget: 1 });
    const t = (await a.askSlot('s', { config: { x: 1 }, fidelity: 2 }))!;
    await a.report(t.id, 0, 0.9);
    expect(await a.heartbeat(t.id)).toBe(true);
    expect(await b.expireStale('s', { graceMs: 60_000, maxRetries: 1 })).toEqual([]); // renewed just now
    await new Promise((r) => setTimeout(r, 30));
    const [x, y] = await Promise.all([a.expireStale('s', { graceMs: 10, maxRetries: 1 }), b.expireStale('s', { graceMs: 10, maxRetries: 1 })]);
    expect([...x, ...y]).toEqual([t.id]); // one process takes it
    expect(await a.heartbeat(t.id)).toBe(false);
    expect(await a.finish(t.id, { loss: 1 })).toBe(false); // a late result of a failed trial is refused
    const r = (await b.claim('s'))!;
    expect(r).toMatchObject({ retryOf: t.id, retries: 1, slot: 0, config: { x: 1 }, fidelity: 2, intermediate: { 0: 0.9 } });
    await new Promise((res) => setTimeout(res, 30));
    expect(await a.expireStale('s', { graceMs: 10, maxRetries: 1 })).toEqual([r.id]);
    expect(await b.claim('s')).toBeNull(); // retries used up
    await a.sync();
    const p = studyProgress(a.state, 's');
    expect(p.byState.failed).toBe(2);
    expect(p.finished).toBe(true);
  });
});

describe('journal replay', () => {
  const header = (i: number) => ({ id: `w#${i}`, worker: `w${i % 2}`, at: 0 });
  it('conflicting claims and results are resolved by journal order (the first wins), in any interleaving', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom('claimA', 'claimB', 'finishA', 'finishB', 'failA'), { minLength: 1, maxLength: 8 }), (moves) => {
      const ops: JournalOp[] = [
        { op: 'createStudy', study: 's', objective: 'loss', budget: null, attrs: {}, ...header(0) },
        { op: 'createTrial', study: 's', state: 'waiting', config: { x: 1 }, fidelity: null, slot: false, attrs: {}, values: null, ...header(1) },
      ];
      moves.forEach((m, i) => {
        const h = { ...header(i + 2), worker: m.endsWith('A') ? 'A' : 'B' };
        if (m.startsWith('claim')) ops.push({ op: 'claim', study: 's', trial: 1, ...h });
        else if (m.startsWith('finish')) ops.push({ op: 'finish', trial: 1, state: 'complete', values: { loss: i }, params: null, ...h });
        else ops.push({ op: 'fail', study: 's', trial: 1, reason: 'x', retry: false, params: null, ...h });
      });
      const state = replay(ops.map((op, seq) => ({ seq, op })));
      const t = state.trials.get(1)!;
      const firstClaim = moves.findIndex((m) => m.startsWith('claim'));
      if (firstClaim < 0) return t.state === 'waiting';
      const owner = moves[firstClaim]!.endsWith('A') ? 'A' : 'B';
      const end = moves.findIndex((m, i) => i > firstClaim && !m.startsWith('claim'));
      if (t.worker !== owner) return false;
      if (end < 0) return t.state === 'running';
      return moves[end]!.startsWith('fail') ? t.state === 'failed' : t.state === 'complete' && t.values?.loss === end;
    }));
  });

  it('entries out of order are refused', () => {
    expect(() => replay([{ seq: 2, op: { op: 'createStudy', study: 's', objective: 'loss', budget: null, attrs: {}, ...header(0) } }, { seq: 1, op: { op: 'createStudy', study: 't', objective: 'loss', budget: null, attrs: {}, ...header(1) } }]))
      .toThrow(/entry 1 is not after 2/);
  });
});

describe('file journal', () => {
  it('skips a cut-off last line, and the next append truncates it', async () => {
    const c = open('file');
    const a = c.open('a');
    await a.createStudy('s');
    await a.enqueueTrial('s', { config: { x: 1 } });
    appendFileSync(c.url!, '{"op":"createTrial","study":"s","sta'); // a writer killed mid-line
    const b = c.open('b');
    await b.sync();
    expect(b.state.trials.size).toBe(1);
    await b.enqueueTrial('s', { config: { x: 2 } });
    const lines = readFileSync(c.url!, 'utf8').split('\n');
    expect(lines.length).toBe(4); // three operations and the final newline
    expect(lines.slice(0, 3).every((l) => JSON.parse(l) !== null)).toBe(true);
    const fresh = new JournalStorage(fileBackend(c.url!));
    expect((await fresh.trials('s')).map((t) => t.config)).toEqual([{ x: 1 }, { x: 2 }]);
  });

  it('a damaged line inside the journal is an error naming it', async () => {
    const c = open('file');
    writeFileSync(c.url!, 'not json\n{}\n');
    await expect(new JournalStorage(fileBackend(c.url!)).sync()).rejects.toThrow(/line 1 is not JSON/);
  });

  it('breaks a stale lock: a dead holder at once, a silent holder after the grace period; a live one is waited for', async () => {
    const c = open('file');
    const lock = `${c.url}.lock`;
    const s = new JournalStorage(fileBackend(c.url!, { graceMs: 500, timeoutMs: 200 }));
    writeFileSync(lock, JSON.stringify({ token: 'x', pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname() })); // a pid that does not exist
    await s.createStudy('a');
    writeFileSync(lock, JSON.stringify({ token: 'y', pid: 1, host: 'another-host' })); // live as far as we can tell
    await expect(s.createStudy('b')).rejects.toThrow(/lock .* is held by pid 1 on another-host for more than 200 ms/);
    const old = new Date(Date.now() - 10_000);
    utimesSync(lock, old, old); // its holder stopped renewing it long ago
    await s.createStudy('b');
    expect((await s.studies()).map((x) => x.name)).toEqual(['a', 'b']);
  });
});

describe('in-memory journal', () => {
  it('leases follow an injected clock', async () => {
    let now = 0;
    const s = new JournalStorage(memoryBackend({ now: () => now }));
    await s.createStudy('s');
    const t = await s.createRunningTrial('s', { config: { x: 1 } });
    now = 1000;
    expect(await s.expireStale('s', { graceMs: 1000 })).toEqual([]);
    now = 1001;
    expect(await s.expireStale('s', { graceMs: 1000 })).toEqual([t.id]);
    expect(s.trial(t.id).state).toBe('failed');
  });
});
