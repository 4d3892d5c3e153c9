import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AskTellOptimizer, type EvalResult, type Trial, asha, randomSearch } from '../../src/hpo/index.js';
import { asyncSimulator, mfBranin, mfHartmann, performanceOverTime, readRecords, simulate } from '../../src/simulator/index.js';

/** An optimizer that proposes configs with scripted runtimes, a fake clock charging `askCost` per ask. */
function scripted(runtimes: number[], askCost = 0) {
  let t = 0;
  let i = 0;
  const told: number[] = [];
  const optimizer: AskTellOptimizer = {
    ask: () => {
      t += askCost;
      const id = i++;
      return { config: { id, r: runtimes[id] ?? 1 } };
    },
    tell: (trial: Trial) => {
      told.push(trial.config.id as number);
    },
  };
  return { optimizer, now: () => t, told };
}
const byRuntime = (config: Record<string, unknown>): EvalResult => ({ loss: config.id as number, runtime: config.r as number });
const timeline = (records: { cumtime: number; workerIndex: number; config: Record<string, unknown> }[]) =>
  records.map((r) => [r.cumtime, r.workerIndex, r.config.id]);

describe('simulate: hand-computed timelines', () => {
  it('2 workers', async () => {
    const s = scripted([5, 3, 4, 1, 2, 6]);
    const { records } = await simulate({ objective: byRuntime, optimizer: s.optimizer, nWorkers: 2, nEvals: 5, now: s.now });
    expect(timeline(records)).toEqual([[3, 1, 1], [5, 0, 0], [6, 0, 3], [7, 1, 2], [8, 0, 4]]);
    expect(s.told).toEqual([1, 0, 3, 2, 4]);
  });

  it('2 workers with ties: the lower worker index frees first', async () => {
    const s = scripted([2, 2, 1, 1, 1, 1]);
    const { records } = await simulate({ objective: byRuntime, optimizer: s.optimizer, nWorkers: 2, nEvals: 4, now: s.now });
    expect(timeline(records)).toEqual([[2, 0, 0], [2, 1, 1], [3, 0, 2], [3, 1, 3]]);
  });

  it('4 workers, with the optimizer sampling time charged (0.5 s per ask) and ignored', async () => {
    const runtimes = [4, 3, 2, 1, 5, 5, 1, 1, 1, 1];
    const charged = scripted(runtimes, 0.5);
    const a = await simulate({ objective: byRuntime, optimizer: charged.optimizer, nWorkers: 4, nEvals: 5, now: charged.now });
    expect(timeline(a.records)).toEqual([[1.5, 3, 3], [2.5, 2, 2], [3.5, 1, 1], [4.5, 0, 0], [5, 1, 6]]);
    const ignored = scripted(runtimes, 0.5);
    const b = await simulate({ objective: byRuntime, optimizer: ignored.optimizer, nWorkers: 4, nEvals: 5, now: ignored.now, chargeSamplingTime: false });
    expect(timeline(b.records)).toEqual([[1, 3, 3], [2, 2, 2], [3, 1, 1], [4, 0, 0], [4, 1, 6]]);
  });

  it('maxTotalEvalTime stops before a result arriving later', async () => {
    const s = scripted([5, 3, 4, 1, 2, 6]);
    const r = await simulate({ objective: byRuntime, optimizer: s.optimizer, nWorkers: 2, nEvals: 100, maxTotalEvalTime: 6.5, now: s.now });
    expect(r.stoppedBy).toBe('maxTotalEvalTime');
    expect(timeline(r.records)).toEqual([[3, 1, 1], [5, 0, 0], [6, 0, 3]]);
  });

  it('the order equals that of a real run that waits (runtimes scaled to milliseconds)', async () => {
    const runtimes = [9, 3, 7, 2, 5, 11, 4, 6, 8, 1, 3, 5].map((r) => r * 50);
    const s = scripted(runtimes);
    const sim = await simulate({ objective: byRuntime, optimizer: s.optimizer, nWorkers: 4, nEvals: 10, chargeSamplingTime: false, now: s.now });
    // Real: 4 async workers, each asks, sleeps the runtime in ms, then tells.
    const real = scripted(runtimes);
    const order: number[] = [];
    let done = 0;
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (done < 10) {
        const trial = await real.optimizer.ask();
        await new Promise((r) => setTimeout(r, trial.config.r as number));
        if (done >= 10) return;
        done++;
        order.push(trial.config.id as number);
        await real.optimizer.tell(trial, byRuntime(trial.config));
      }
    }));
    expect(order).toEqual(sim.records.map((r) => r.config.id));
  });
});

describe('simulate: continual fidelity', () => {
  it('a resumed config is charged only the runtime difference, and only once its lower-fidelity result has arrived', async () => {
    const trials: Trial[] = [
      { config: { c: 'a' }, fidelity: 10 }, { config: { c: 'b' }, fidelity: 50 }, { config: { c: 'a' }, fidelity: 30 },
      { config: { c: 'b' }, fidelity: 60 }, { config: { c: 'z' }, fidelity: 1 },
    ];
    let i = 0;
    const optimizer: AskTellOptimizer = { ask: () => trials[i++] ?? { config: { c: 'z' }, fidelity: 1 }, tell: () => {} };
    const { records } = await simulate({
      objective: (_c, { fidelity }) => ({ loss: 0, runtime: fidelity as number }), optimizer, nWorkers: 2, nEvals: 4,
      continualMaxFidelity: 100, chargeSamplingTime: false,
    });
    // w0: a@10 arrives 10; w1: b@50 arrives 50; w0 resumes a@30 (a@10 arrived at 10): charged 20, arrives 30;
    // w0 then asks b@60 at 30, before b@50 arrives (50): not resumable, charged 60, arrives 90.
    expect(records.map((r) => [r.config.c, r.fidelity, r.runtime, r.cumtime])).toEqual([
      ['a', 10, 10, 10], ['a', 30, 20, 30], ['b', 50, 50, 50], ['z', 1, 1, 51],
    ]);
  });
});

describe('simulate: errors and durability', () => {
  const ok = scripted([1, 1, 1]).optimizer;
  it('bad arguments and bad objective results are clear errors', async () => {
    await expect(simulate({ objective: byRuntime, optimizer: ok, nWorkers: 0, nEvals: 1 })).rejects.toThrow(/nWorkers must be an integer >= 1, got 0/);
    await expect(simulate({ objective: byRuntime, optimizer: ok, nWorkers: 1.5, nEvals: 1 })).rejects.toThrow(/nWorkers must be an integer >= 1, got 1\.5/);
    await expect(simulate({ objective: () => ({ loss: 1 }) as never, optimizer: scripted([1]).optimizer, nWorkers: 1, nEvals: 1 }))
      .rejects.toThrow(/config \{"id":0,"r":1\} on worker 0 has runtime undefined; it must be a finite number >= 0/);
    await expect(simulate({ objective: () => ({ loss: Number.NaN, runtime: 1 }), optimizer: scripted([1]).optimizer, nWorkers: 1, nEvals: 1 }))
      .rejects.toThrow(/has loss = NaN; objective values must be numbers, not NaN/);
  });

  it('a crashed worker is reported with its config; the results written before stay readable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hg-sim-'));
    const file = join(dir, 'r.jsonl');
    const s = scripted([1, 2, 3, 4, 5, 6]);
    const crashing = (c: Record<string, unknown>) => {
      if (c.id === 4) throw new Error('out of memory');
      return byRuntime(c);
    };
    await expect(simulate({ objective: crashing, optimizer: s.optimizer, nWorkers: 2, nEvals: 10, resultsFile: file, now: s.now }))
      .rejects.toThrow(/objective failed on worker 0 for config \{"id":4,"r":5\}: out of memory; 3 results were recorded before/);
    appendFileSync(file, '{"cumtime": 9, "work'); // a line cut off by the crash
    expect(readRecords(file).map((r) => r.config.id)).toEqual([0, 1, 2]);
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(4);
  });
});

describe('performanceOverTime and the synthetic benchmarks', () => {
  it('the incumbent is the running best at each arrival', async () => {
    const s = scripted([5, 3, 4, 1, 2, 6]);
    const { records } = await simulate({ objective: (c) => ({ loss: [3, 1, 4, 1.5, 0.5][c.id as number] ?? 9, runtime: c.r as number }), optimizer: s.optimizer, nWorkers: 2, nEvals: 5, now: s.now });
    // arrivals (id): 1, 0, 3, 2, 4 -> losses 1, 3, 1.5, 4, 0.5
    expect(performanceOverTime(records)).toEqual({ times: [3, 5, 6, 7, 8], values: [1, 1, 1, 1, 0.5] });
  });

  it('known optima and runtimes (noise off)', () => {
    const br = mfBranin({ noise: false });
    const x = { x0: (Math.PI + 5) / 15, x1: 2.275 / 15 };
    const top = br.objective(x, { fidelity: 100, seed: 0 }) as EvalResult;
    expect(top.loss).toBeCloseTo(0.397887, 5);
    expect(top.runtime).toBeCloseTo(3600);
    expect((br.objective(x, { fidelity: 11, seed: 0 }) as EvalResult).runtime).toBeCloseTo((0.05 + 0.95 * 0.11 ** 1.5) * 3600, 6);
    const h3 = mfHartmann(3, { noise: false }).objective({ x0: 0.114614, x1: 0.555649, x2: 0.852547 }, { fidelity: 100, seed: 0 }) as EvalResult;
    expect(h3.loss).toBeCloseTo(-3.86278, 4);
    const h6 = mfHartmann(6, { noise: false }).objective({ x0: 0.20169, x1: 0.150011, x2: 0.476874, x3: 0.275332, x4: 0.311652, x5: 0.6573 }, { fidelity: 100, seed: 0 }) as EvalResult;
    expect(h6.loss).toBeCloseTo(-3.32237, 4);
    expect(() => br.objective({ x0: 2, x1: 0 }, { seed: 0 })).toThrow(/config\.x0 must be a number in \[0, 1\], got 2/);
    expect(() => mfHartmann(3).objective({ x0: 0, x1: 0, x2: 0 }, { fidelity: 5, seed: 0 })).toThrow(/fidelity must be in \[11, 100\], got 5/);
    // noise is reproducible under a seed
    const n1 = mfBranin().objective(x, { seed: 7 }) as EvalResult;
    const n2 = mfBranin().objective(x, { seed: 7 }) as EvalResult;
    expect(n1.loss).toBe(n2.loss);
  });
});

describe('plots', () => {
  it('writes an SVG and a PNG of incumbents over simulated time', async () => {
    const { writeIncumbentPlot } = await import('../../src/entries/plot.js');
    const dir = mkdtempSync(join(tmpdir(), 'hg-plot-'));
    const [svg, png] = await writeIncumbentPlot(join(dir, 'p'), [{ label: 'a', times: [1, 10, 100], values: [3, 2, 1] }, { label: 'b', times: [2, 20], values: [2.5, 0.5] }], { title: 'T' });
    const text = readFileSync(svg, 'utf8');
    expect(text).toMatch(/^<svg /);
    expect(text.match(/<g class="mark-line role-mark/g)).toHaveLength(2); // one line per series (Vega's SVG; was hand-written <polyline>s)
    const bytes = readFileSync(png);
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(bytes.readUInt32BE(16)).toBe(720);
    expect(bytes.readUInt32BE(20)).toBe(440);
  });
});

describe('resuming a crashed run', () => {
  it('continues from the records on disk: the optimizer is re-told them and the results file ends up clean', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hg-resume-'));
    const file = join(dir, 'r.jsonl');
    const runtimes = [5, 3, 4, 1, 2, 6, 2, 3, 1, 4];
    const crashAt = 4;
    const first = scripted(runtimes);
    await expect(simulate({
      objective: (c) => {
        if (c.id === crashAt + 1) throw new Error('killed');
        return byRuntime(c);
      }, optimizer: first.optimizer, nWorkers: 2, nEvals: 8, resultsFile: file, now: first.now,
    })).rejects.toThrow(/killed/);
    appendFileSync(file, '{"cumtime":');
    const saved = readRecords(file);
    // told before the crash (at w1's ask of id 5): ids 1, 0, 3, 2; id 4 was in flight on w0.
    expect(saved.map((r) => r.config.id)).toEqual([1, 0, 3, 2]);
    // A fresh optimizer is rebuilt by replay: re-asked ids 0..4 (checked against the records) and
    // re-told the four results; id 4, in flight at the crash, is evaluated again.
    const second = scripted(runtimes);
    const seen: number[] = [];
    const optimizer: AskTellOptimizer = {
      ask: () => second.optimizer.ask(),
      tell: (t) => {
        seen.push(t.config.id as number);
      },
    };
    const { records } = await simulate({ objective: byRuntime, optimizer, nWorkers: 2, nEvals: 6, resultsFile: file, resumeFrom: saved, now: second.now });
    expect(seen.slice(0, 4)).toEqual([1, 0, 3, 2]);
    // exactly the uninterrupted run: w0 finishes id 4 at 8 and asks id 6 (2) -> 10, before w1's id 5 (-> 13).
    expect(timeline(records).slice(4)).toEqual([[8, 0, 4], [10, 0, 6]]);
    const uninterrupted = await simulate({ objective: byRuntime, optimizer: scripted(runtimes).optimizer, nWorkers: 2, nEvals: 6, now: () => 0 });
    expect(records).toEqual(uninterrupted.records);
    expect(readRecords(file).map((r) => r.config.id)).toEqual([1, 0, 3, 2, 4, 6]);
  });
});

describe('bounds: the stopping rule, the number of workers, seeds', () => {
  const random = (seed = 0) => {
    let i = 0;
    return { ask: () => ({ config: { id: i++, r: 1 + ((seed + i) % 3) } }), tell: () => {} };
  };
  it('nEvals and maxTotalEvalTime both bound a run, whichever comes first; either alone is enough', async () => {
    const both = await simulate({ objective: byRuntime, optimizer: random(), nWorkers: 2, nEvals: 10, maxTotalEvalTime: 1000 });
    expect(both.records).toHaveLength(10);
    expect(both.stoppedBy).toBe('nEvals');
    const timeOnly = await simulate({ objective: byRuntime, optimizer: random(), nWorkers: 2, maxTotalEvalTime: 30 });
    expect(timeOnly.stoppedBy).toBe('maxTotalEvalTime');
    expect(timeOnly.records.every((r) => r.cumtime <= 30)).toBe(true);
    expect(timeOnly.records.length).toBeGreaterThan(10);
    await expect(simulate({ objective: byRuntime, optimizer: random(), nWorkers: 2 })).rejects.toThrow(/simulate: give nEvals \(results\) or maxTotalEvalTime/);
    await expect(simulate({ objective: byRuntime, optimizer: random(), nWorkers: 2, maxTotalEvalTime: 0 })).rejects.toThrow(/maxTotalEvalTime must be > 0 seconds, got 0/);
  });

  it('the number of workers is bounded with a clear error (1e9 aborted V8, 1e6 hung)', async () => {
    for (const n of [1e9, 1_000_000, 65_537]) {
      await expect(simulate({ objective: byRuntime, optimizer: random(), nWorkers: n, nEvals: 1 })).rejects.toThrow(/simulate: nWorkers must be an integer in \[1, 65536\], got \d+/);
    }
    expect(() => asyncSimulator({ objective: byRuntime, nWorkers: 1e6, nEvals: 1 })).toThrow(/nWorkers must be an integer in \[1, 65536\]/);
  });

  it('many workers cost O(log n) per step: 4,096 workers, 20,000 results', async () => {
    const { records } = await simulate({ objective: byRuntime, optimizer: random(), nWorkers: 4096, nEvals: 20_000, chargeSamplingTime: false });
    expect(records).toHaveLength(20_000);
    expect(new Set(records.map((r) => r.workerIndex)).size).toBe(4096);
  });

  it('seeds are integers in [0, 2^32): 2^32 and 1e300 no longer wrap to other seeds', async () => {
    for (const seed of [2 ** 32, 1e300, -1, 0.5]) {
      await expect(simulate({ objective: byRuntime, optimizer: random(), nWorkers: 1, nEvals: 1, seed })).rejects.toThrow(/simulate: seed must be an integer in \[0, 4294967296\), got/);
    }
    const space = { x: { type: 'float' as const, low: 0, high: 1 } };
    expect(() => randomSearch({ searchSpace: space, seed: 2 ** 32 })).toThrow(/randomSearch: seed must be an integer in \[0, 4294967296\)/);
    expect(() => asha({ searchSpace: space, minResource: 1, maxResource: 9, seed: 1e300 })).toThrow(/asha: seed must be an integer/);
    expect((await simulate({ objective: byRuntime, optimizer: random(), nWorkers: 1, nEvals: 1, seed: 2 ** 32 - 1 })).records).toHaveLength(1);
  });
});
