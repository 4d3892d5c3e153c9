import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplayMismatchError, makeOptimizer } from '../../src/hpo/index.js';
import { type SimulationRecord, compareOptimizers, continueRecordsFile, mfHartmann, readRecords, simulate } from '../../src/simulator/index.js';

const bench = mfHartmann(3);
const NAMES = ['random', 'hyperband', 'asha', 'bohb', 'tpe'] as const;
/** A deterministic clock: each call advances 0.125 simulated seconds (so sampling time is charged, reproducibly). */
const tickingClock = () => {
  let t = 0;
  return () => (t += 0.125);
};
const options = (nWorkers: number, nEvals: number, seed: number, charge: boolean) => ({
  objective: bench.objective, nWorkers, nEvals, seed, continualMaxFidelity: 100, chargeSamplingTime: charge,
});

describe('resume: a run cut at any arrival and resumed gives the records of the uninterrupted run', () => {
  it('every optimizer, worker count, seed and cut point (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(...NAMES), fc.integer({ min: 1, max: 6 }), fc.nat(2 ** 32 - 1), fc.integer({ min: 10, max: 80 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.boolean(),
      async (name, nWorkers, seed, nEvals, cut, charge) => {
        const make = () => makeOptimizer(name, bench, seed);
        const counted = () => {
          const c = { calls: 0, objective: (config: Parameters<typeof bench.objective>[0], ctx: Parameters<typeof bench.objective>[1]) => (c.calls++, bench.objective(config, ctx)) };
          return c;
        };
        const a = counted();
        const full = await simulate({ ...options(nWorkers, nEvals, seed, charge), objective: a.objective, optimizer: make(), now: tickingClock() });
        const k = Math.floor(cut * nEvals);
        const b = counted();
        const resumed = await simulate({ ...options(nWorkers, nEvals, seed, charge), objective: b.objective, optimizer: make(), now: tickingClock(), resumeFrom: full.records.slice(0, k) });
        expect(resumed.records).toEqual(full.records);
        expect(resumed.stoppedBy).toBe(full.stoppedBy);
        expect(b.calls).toBe(a.calls - k); // the k recorded results are replayed, not evaluated again
      },
    ), { numRuns: 200, seed: 17 });
  });

  it('from the file of a killed run: a cut-off last line is dropped, in-flight evaluations asked again, the file ends equal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hg-resume-file-'));
    for (const name of NAMES) {
      const file = join(dir, `${name}.jsonl`);
      const o = options(4, 50, 7, false);
      const full = await simulate({ ...o, optimizer: makeOptimizer(name, bench, 7) });
      let calls = 0;
      const dying = (c: Parameters<typeof bench.objective>[0], ctx: Parameters<typeof bench.objective>[1]) => {
        if (++calls === 31) throw new Error('killed');
        return bench.objective(c, ctx);
      };
      await expect(simulate({ ...o, objective: dying, optimizer: makeOptimizer(name, bench, 7), resultsFile: file })).rejects.toThrow(/killed/);
      appendFileSync(file, '{"cumtime":12.5,"workerIn');
      const { records, file: out } = continueRecordsFile(file);
      out.close();
      expect(records.length).toBeGreaterThan(10);
      const resumed = await simulate({ ...o, optimizer: makeOptimizer(name, bench, 7), resultsFile: file, resumeFrom: records });
      expect(resumed.records).toEqual(full.records);
      expect(readRecords(file)).toEqual(full.records);
    }
  });

  it('stops at the same bound when the run is resumed past it (maxTotalEvalTime)', async () => {
    const o = { ...options(3, 1000, 2, false), maxTotalEvalTime: 20 * 3600 };
    const full = await simulate({ ...o, optimizer: makeOptimizer('asha', bench, 2) });
    expect(full.stoppedBy).toBe('maxTotalEvalTime');
    const resumed = await simulate({ ...o, optimizer: makeOptimizer('asha', bench, 2), resumeFrom: full.records.slice(0, 20) });
    expect(resumed.records).toEqual(full.records);
  });

  it('records from another seed, optimizer or run are refused, never silently continued', async () => {
    const o = options(2, 20, 3, false);
    const { records } = await simulate({ ...o, optimizer: makeOptimizer('tpe', bench, 3) });
    await expect(simulate({ ...o, optimizer: makeOptimizer('tpe', bench, 4), resumeFrom: records.slice(0, 5) })).rejects.toThrow(ReplayMismatchError);
    // (random search with seed 3 would replay TPE's first ten trials: TPE starts as random search)
    await expect(simulate({ ...o, optimizer: makeOptimizer('hyperband', bench, 3), resumeFrom: records.slice(0, 5) })).rejects.toThrow(/trial 0 was \{.*\} at fidelity 100, but the rebuilt optimizer asks \{.*\} at fidelity 11/);
    await expect(simulate({ ...o, seed: 4, optimizer: makeOptimizer('tpe', bench, 3), resumeFrom: records.slice(0, 5) })).rejects.toThrow(/used seed \d+, the replay draws \d+/);
    const stamped = records.map((r) => ({ ...r, run: { id: 'a', seed: 3 } }));
    await expect(simulate({ ...o, optimizer: makeOptimizer('tpe', bench, 3), run: { id: 'b', seed: 3 }, resumeFrom: stamped })).rejects.toThrow(/records of run 'a', not of this run 'b'/);
  });

  it('a record without cumtime is refused, naming it (it resumed into NaN times)', async () => {
    const o = options(2, 10, 0, false);
    const { records } = await simulate({ ...o, optimizer: makeOptimizer('random', bench, 0) });
    const broken = records.map((r, i) => (i === 2 ? (({ cumtime: _c, ...rest }) => rest)(r) : r)) as SimulationRecord[];
    await expect(simulate({ ...o, optimizer: makeOptimizer('random', bench, 0), resumeFrom: broken })).rejects.toThrow(/resumeFrom\[2\]: cumtime must be a number >= 0 \(simulated seconds\), got undefined/);
  });

  it('records written before trial numbers existed (no trial, askTime) still resume exactly', async () => {
    const o = options(3, 30, 5, true);
    const full = await simulate({ ...o, optimizer: makeOptimizer('hyperband', bench, 5), now: tickingClock() });
    const legacy = full.records.slice(0, 17).map(({ trial: _t, askTime: _a, ...r }) => r);
    const resumed = await simulate({ ...o, optimizer: makeOptimizer('hyperband', bench, 5), now: tickingClock(), resumeFrom: legacy });
    expect(resumed.records.slice(17)).toEqual(full.records.slice(17));
  });
});

describe('compareOptimizers: the library side of `hpo --resume`', () => {
  it('continues cut-off files (and reads back finished ones), stamping every record with the run identity', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hg-compare-resume-'));
    const o = { benchmark: bench, optimizers: ['hyperband', 'tpe'], nWorkers: 3, nEvals: 40, seeds: 2 };
    const reference = await compareOptimizers({ ...o, runId: 'ref' });
    const first = await compareOptimizers({ ...o, outDir: dir, runId: 'r1' });
    // cut hyperband seed 1 at 13 records plus a partial line; drop tpe seed 0 altogether
    const cut = join(dir, 'hyperband-seed1.jsonl');
    writeFileSync(cut, `${readFileSync(cut, 'utf8').split('\n').slice(0, 13).join('\n')}\n{"cumtime":`);
    rmSync(join(dir, 'tpe-seed0.jsonl'));
    const again = await compareOptimizers({ ...o, outDir: dir, resume: true, runId: 'r2' });
    const strip = (m: Map<string, SimulationRecord[][]>) => [...m].map(([k, runs]) => [k, runs.map((rs) => rs.map(({ run: _r, ...rest }) => rest))]);
    expect(strip(again)).toEqual(strip(reference));
    expect(strip(first)).toEqual(strip(reference));
    expect(readRecords(cut).map((r) => r.run)).toEqual(Array(40).fill({ id: 'r1', seed: 1, optimizer: 'hyperband', benchmark: 'mfhartmann3' }));
    expect(readRecords(join(dir, 'tpe-seed0.jsonl'))[0]?.run?.id).toBe('r2');
    await expect(compareOptimizers({ ...o, outDir: dir })).rejects.toThrow(/already holds records/);
    writeFileSync(join(dir, 'tpe-seed1.jsonl'), readFileSync(join(dir, 'hyperband-seed0.jsonl')));
    await expect(compareOptimizers({ ...o, outDir: dir, resume: true })).rejects.toThrow(/tpe-seed1\.jsonl holds a run of hyperband on mfhartmann3 with seed 0, not of tpe on mfhartmann3 with seed 1/);
  });
});

describe('records on disk', () => {
  it('readRecords refuses JSON that is not a record, with its line number, and a string loss', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hg-records-'));
    const good = { cumtime: 1, workerIndex: 0, config: { x: 1 }, seed: 3, runtime: 1, values: { loss: 0.5 } };
    const write = (lines: unknown[]) => {
      const f = join(dir, `${Math.random()}.jsonl`);
      writeFileSync(f, lines.map((l) => `${typeof l === 'string' ? l : JSON.stringify(l)}\n`).join(''));
      return f;
    };
    expect(() => readRecords(write([good, { hello: 'world' }]))).toThrow(/line 2: cumtime must be a number >= 0 \(simulated seconds\), got undefined; this is not a simulation record/);
    expect(() => readRecords(write([good, { ...good, cumtime: 2, values: { loss: '0.5' } }]))).toThrow(/line 2: values\.loss must be a number, got '0\.5'/);
    expect(() => readRecords(write([good, 'not json', good]))).toThrow(/line 2 is not JSON/);
    expect(() => readRecords(write([[1, 2]]))).toThrow(/line 1: the line must be a JSON object/);
    // two runs appended to one file: time jumps backwards, or two run identities
    expect(() => readRecords(write([{ ...good, cumtime: 9 }, { ...good, cumtime: 2 }]))).toThrow(/record 2: simulated time goes backwards \(2 after 9\)/);
    expect(() => readRecords(write([{ ...good, run: { id: 'a', seed: 0 } }, { ...good, run: { id: 'b', seed: 1 } }]))).toThrow(/record 2: belongs to run .*b.*records of two runs are mixed/);
    expect(readRecords(write([good, good]))).toHaveLength(2);
  });

  it('a results file of a new run refuses to mix with an existing one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hg-records-'));
    const file = join(dir, 'r.jsonl');
    const o = { ...options(2, 5, 0, false), resultsFile: file };
    await simulate({ ...o, optimizer: makeOptimizer('random', bench, 0) });
    await expect(simulate({ ...o, optimizer: makeOptimizer('random', bench, 1) })).rejects.toThrow(/already holds records; resume the run from it, choose another file, or overwrite it/);
    await simulate({ ...o, optimizer: makeOptimizer('random', bench, 1), overwrite: true });
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(5);
  });
});

