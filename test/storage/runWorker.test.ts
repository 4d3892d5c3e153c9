import { describe, expect, it } from 'vitest';
import { asha, hyperband, randomSearch, tpe } from '../../src/hpo/index.js';
import { mfBranin } from '../../src/simulator/index.js';
import type { AskTellOptimizer } from '../../src/hpo/types.js';
import { JournalStorage, memoryBackend, optimizerEvents, runWorker, studyProgress } from '../../src/storage/index.js';

const bench = mfBranin();
const space = bench.searchSpace;
const objective = (config: Record<string, unknown>, { fidelity, seed }: { fidelity?: number; seed: number }) => bench.objective(config as never, { fidelity, seed }) as { loss: number; runtime: number };
const makers: Record<string, () => AskTellOptimizer> = {
  random: () => randomSearch({ searchSpace: space, fidelity: 100, seed: 3 }),
  hyperband: () => hyperband({ searchSpace: space, minResource: 11, maxResource: 99, seed: 3 }),
  asha: () => asha({ searchSpace: space, minResource: 11, maxResource: 99, seed: 3 }),
  tpe: () => tpe({ searchSpace: space, fidelity: 100, seed: 3 }),
};

describe('runWorker on a shared in-memory study', () => {
  it.each(Object.keys(makers))('%s: 4 workers fill every slot once, and the trials are what one optimizer asks in journal order', async (name) => {
    const backend = memoryBackend();
    const workers = Array.from({ length: 4 }, (_v, i) => new JournalStorage(backend, { worker: `w${i}` }));
    // Objectives that yield to the event loop, so the workers interleave.
    const slow = async (c: Record<string, unknown>, ctx: { fidelity?: number; seed: number }) => {
      await new Promise((r) => setTimeout(r, ctx.seed % 3));
      return objective(c, ctx);
    };
    const summaries = await Promise.all(workers.map((storage) => runWorker({ storage, study: 's', budget: 40, objective: slow, optimizer: makers[name]!, heartbeatMs: 1000 })));
    expect(summaries.reduce((n, s) => n + s.evaluated, 0)).toBe(40);
    expect(summaries.filter((s) => s.evaluated > 0).length).toBeGreaterThan(1);
    const check = new JournalStorage(backend);
    const trials = await check.trials('s');
    expect(trials.map((t) => t.slot).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 40 }, (_v, i) => i));
    expect(trials.every((t) => t.state === 'complete')).toBe(true);
    expect(studyProgress(check.state, 's').finished).toBe(true);
    // An independent replay: one fresh optimizer fed the journal's events in order asks the same configurations.
    const opt = makers[name]!();
    const local = new Map<number, unknown>();
    const bySlot = new Map(trials.map((t) => [t.slot, t]));
    for (const e of optimizerEvents(check.state, 's')) {
      if (e.kind === 'ask') {
        const a = await opt.ask();
        local.set(e.slot, a);
        expect({ config: a.config, fidelity: a.fidelity ?? null }).toEqual({ config: bySlot.get(e.slot)!.config, fidelity: bySlot.get(e.slot)!.fidelity });
      } else await opt.tell(local.get(e.slot) as never, { runtime: 0, ...e.values });
    }
  });

  it('refuses a worker whose optimizer is not the others\' (different seed)', async () => {
    const backend = memoryBackend();
    const a = new JournalStorage(backend, { worker: 'a' });
    await runWorker({ storage: a, study: 's', budget: 3, objective, optimizer: makers.random!, maxTrials: 2 });
    const b = new JournalStorage(backend, { worker: 'b' });
    await expect(runWorker({ storage: b, study: 's', objective, optimizer: () => randomSearch({ searchSpace: space, fidelity: 100, seed: 4 }) }))
      .rejects.toThrow(/slot 0 is .* in the journal, but this worker's optimizer asked .*same optimizer/);
  });

  it('a joiner of a finished study does nothing and says so', async () => {
    const backend = memoryBackend();
    await runWorker({ storage: new JournalStorage(backend), study: 's', budget: 3, objective, optimizer: makers.random! });
    const again = await runWorker({ storage: new JournalStorage(backend), study: 's', budget: 3, objective, optimizer: makers.random! });
    expect(again).toMatchObject({ alreadyFinished: true, evaluated: 0 });
  });

  it('an objective that throws fails its trial and stops the worker, naming the trial', async () => {
    const storage = new JournalStorage(memoryBackend());
    await expect(runWorker({ storage, study: 's', budget: 3, objective: () => { throw new Error('boom'); }, optimizer: makers.random! }))
      .rejects.toThrow(/objective failed on trial \d+ .*boom/);
    expect((await storage.trials('s'))[0]).toMatchObject({ state: 'failed', failReason: 'objective failed: boom' });
  });
});
