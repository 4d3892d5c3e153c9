import { afterEach, describe, expect, it } from 'vitest';
import { asha, mfBranin, simulate } from '../../src/index.js';
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
    await expect(simulateIntoStorage({ ...run(), storage, study: 's', resume: true })).rejects.toThrow(/is finished/);
    expect((await storage.trials('s')).length).toBe(120);
  });
});
