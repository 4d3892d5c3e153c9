import { afterEach, describe, expect, it } from 'vitest';
import { type Config, type EvalContext, asha, randomSearch } from '../../src/hpo/index.js';
import { mfBranin, simulate } from '../../src/simulator/index.js';
import { simulateIntoStorage, studyRecords } from '../../src/storage/index.js';
import { BACKENDS, type BackendCase, PG_SKIP_REASON, PG_URL, backendCase } from './backends.js';

if (PG_URL === undefined) console.log(PG_SKIP_REASON);
const bench = mfBranin();
const run = () => ({
  objective: bench.objective, optimizer: asha({ searchSpace: bench.searchSpace, minResource: 11, maxResource: 99, seed: 5 }),
  nWorkers: 4, nEvals: 120, seed: 5, chargeSamplingTime: false, continualMaxFidelity: 99,
});
const cases: BackendCase[] = [];
afterEach(async () => {
  await Promise.all(cases.splice(0).map((c) => c.cleanup()));
});

describe.each(BACKENDS)('a simulated study recorded into %s', (kind) => {
  it('reads back exactly the records of the same simulation without storage', async () => {
    const c = backendCase(kind);
    cases.push(c);
    const plain = await simulate(run());
    const storage = c.open();
    const recorded = await simulateIntoStorage({ ...run(), storage, study: 'asha-seed5' });
    expect(recorded.records).toEqual(plain.records);
    expect(await studyRecords(c.open(), 'asha-seed5')).toEqual(plain.records);
  });

  it('a second run on a finished study says so instead of overwriting', async () => {
    const c = backendCase(kind);
    cases.push(c);
    const storage = c.open();
    await simulateIntoStorage({ ...run(), storage, study: 's' });
    await expect(simulateIntoStorage({ ...run(), storage, study: 's' })).rejects.toThrow(/study 's' .* is finished \(120 records\); choose another study name/);
    const resumed = await simulateIntoStorage({ ...run(), storage, study: 's', resume: true });
    expect(resumed.records.length).toBe(120); // --resume of a finished run returns it as it is
    expect((await storage.trials('s')).length).toBe(120);
  });

  it('a cut-off run resumes from its study and finishes with nEvals records', async () => {
    const c = backendCase(kind);
    cases.push(c);
    const storage = c.open();
    // Random search: simulate's resumeFrom cannot yet rebuild ASHA's state (issue 17 makes resume exact for every optimizer).
    const rs = () => ({ ...run(), optimizer: randomSearch({ searchSpace: bench.searchSpace, fidelity: 99, seed: 5 }) });
    let calls = 0;
    const crashing = { ...rs(), objective: (c: Config, ctx: EvalContext) => {
      if (++calls > 60) throw new Error('killed');
      return bench.objective(c, ctx);
    } };
    await expect(simulateIntoStorage({ ...crashing, storage, study: 'cut' })).rejects.toThrow(/killed/);
    const cut = (await storage.trials('cut')).length;
    expect(cut).toBeGreaterThan(40);
    expect(cut).toBeLessThan(120);
    await expect(simulateIntoStorage({ ...rs(), storage, study: 'cut' })).rejects.toThrow(new RegExp(`already holds ${cut} records of a run; pass resume`));
    const before = await studyRecords(storage, 'cut');
    const resumed = await simulateIntoStorage({ ...rs(), storage, study: 'cut', resume: true });
    expect(resumed.records.length).toBe(120);
    expect(resumed.records.slice(0, cut)).toEqual(before);
    expect(await studyRecords(storage, 'cut')).toEqual(resumed.records);
  });
});
