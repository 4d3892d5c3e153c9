import { mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Benchmark } from '../../src/hpo/index.js';
import { type StudyBenchmark, comparisonTable, metricsCsv, metricsTable, runLandscapeStudy, studyPreset } from '../../src/entries/landscape.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A toy family: task t shifts a bowl's centre; fidelity z blurs it; reports a "test" value too. */
function toyFamily(calls: string[]): StudyBenchmark {
  const make = (task: string): Benchmark => ({
    name: `toy:${task}`, objectives: ['loss', 'test'], fidelity: { name: 'z', min: 1, max: 4 },
    searchSpace: { a: { type: 'float', low: 0, high: 1 }, b: { type: 'float', low: 0, high: 1 } },
    objective: (c, { fidelity }) => {
      calls.push(`${task}@${fidelity}`);
      const shift = Number(task) / 10;
      const loss = ((c.a as number) - 0.3 - shift) ** 2 + ((c.b as number) - 0.6) ** 2 + (4 - (fidelity as number)) * 0.02 * Math.sin(9 * (c.a as number));
      return { loss, test: loss + 0.01 * Math.cos(13 * (c.b as number)), runtime: 1 };
    },
  });
  return {
    group: 'toy', tasks: ['0', '1', '2'], make, levels: 7, fidelities: [1, 4], objective: { name: 'loss' },
    splits: [{ label: 'loss vs test', a: { name: 'loss' }, b: { name: 'test' } }],
  };
}

describe('runLandscapeStudy', () => {
  it('analyses every landscape, compares fidelities, tasks and splits, and resumes after a cut', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hg-study-'));
    dirs.push(out);
    const calls: string[] = [];
    const first = await runLandscapeStudy({ benchmarks: [toyFamily(calls)], outDir: out });
    expect(first.metrics.map((m) => m.name)).toEqual(['toy:0@1/loss', 'toy:0@4/loss', 'toy:1@1/loss', 'toy:1@4/loss', 'toy:2@1/loss', 'toy:2@4/loss']);
    expect(calls.length).toBe(6 * 49);
    const kinds = first.comparisons.map((c) => `${c.kind}:${c.label}`);
    expect(kinds).toEqual(['fidelity:1 vs 4', 'split:loss vs test', 'fidelity:1 vs 4', 'split:loss vs test', 'fidelity:1 vs 4', 'split:loss vs test', 'task:0 vs 1', 'task:0 vs 2', 'task:1 vs 2']);
    // One unit at the full fidelity holds both split objectives: 6 units, 9 files.
    expect(readdirSync(join(out, 'landscapes')).length).toBe(9);
    // Cut off midway: one unit's file never written, another's torn; only those two are evaluated again.
    unlinkSync(join(out, 'landscapes', 'toy_1_4_test.json'));
    writeFileSync(join(out, 'landscapes', 'toy_2_1_loss.json'), '{"landscape": {"format": "hypergrad-lands');
    calls.length = 0;
    const events: string[] = [];
    const second = await runLandscapeStudy({ benchmarks: [toyFamily(calls)], outDir: out, onProgress: (e) => events.push(e.kind) });
    expect(calls).toEqual([...new Array(49).fill('1@4'), ...new Array(49).fill('2@1')]);
    expect(events.filter((k) => k === 'resumed').length).toBe(4);
    expect(second).toEqual(first);
    const table = comparisonTable(second);
    expect(table).toMatch(/\| toy \| task vs task: every pair of tasks \| 3 \|/);
    expect(table).toMatch(/Spearman > 0\.85/);
    expect(metricsTable(second)).toMatch(/\| toy \| 4 \| 3 \| 49 \|/);
    expect(metricsCsv(second).split('\n').length).toBe(8);
  });

  it('presets: LCBench has 34 tasks at 4 levels and 4 fidelities; errors name what is accepted', () => {
    const p = studyPreset('lcbench');
    expect(p.tasks.length).toBe(34);
    expect(p.fidelities).toEqual([6, 13, 26, 52]);
    expect(() => studyPreset('lcbench', { tasks: ['1'] })).toThrow(/unknown task\(s\) 1/);
    expect(() => studyPreset('nope')).toThrow(/benchmark must be one of lcbench, mfbranin/);
  });
});
