import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Benchmark, type Config, type SearchSpace, type Trial, bohb, randomSearch, tpe } from '../../src/hpo/index.js';
import { gridConfig, landscapeGrid, landscapeOf, probeIndices, transferConfigs, warmStartComparison, warmStartSummary, warmStartTaskTable } from '../../src/entries/landscape.js';

const space: SearchSpace = { a: { type: 'float', low: 0, high: 1 }, b: { type: 'int', low: 1, high: 4 } };
const seeds: Config[] = [{ a: 0.5, b: 2 }, { a: 0.25, b: 4 }];
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function asks(opt: { ask(): Trial | Promise<Trial>; tell(t: Trial, r: { loss: number; runtime: number }): void | Promise<void> }, n: number): Promise<Config[]> {
  const out: Config[] = [];
  for (let i = 0; i < n; i++) {
    const t = await opt.ask();
    out.push(t.config);
    await opt.tell(t, { loss: (t.config.a as number) ** 2 + (t.config.b as number), runtime: 1 });
  }
  return out;
}

describe('warm starts: initialConfigs in random search, TPE and BOHB', () => {
  it('each asks the initial configurations first, then exactly what it would have asked without them', async () => {
    const makers = [
      (initialConfigs?: Config[]) => randomSearch({ searchSpace: space, seed: 3, initialConfigs }),
      (initialConfigs?: Config[]) => tpe({ searchSpace: space, seed: 3, startupTrials: 2, initialConfigs }),
      (initialConfigs?: Config[]) => bohb({ searchSpace: space, minResource: 1, maxResource: 9, seed: 3, initialConfigs }),
    ];
    for (const make of makers) {
      const warm = await asks(make(seeds), 6);
      expect(warm.slice(0, 2)).toEqual(seeds);
      const plain = await asks(make(), 6);
      expect(await asks(make([]), 6)).toEqual(plain);
      if (make === makers[0]) expect(warm.slice(2)).toEqual(plain.slice(0, 4)); // random search's draws are untouched
    }
  });

  it('refuses initial configurations outside the search space', () => {
    expect(() => randomSearch({ searchSpace: space, initialConfigs: [{ a: 2, b: 1 }] })).toThrow(/randomSearch: initialConfigs\[0\]\.a must be in the search space's domain, got 2/);
    expect(() => tpe({ searchSpace: space, initialConfigs: [{ a: 0.1, b: 1.5 }] })).toThrow(/tpe: initialConfigs\[0\]\.b must be in/);
    expect(() => bohb({ searchSpace: space, minResource: 1, maxResource: 9, initialConfigs: [{ a: 0.1, b: 1, c: 3 }] })).toThrow(/bohb: initialConfigs\[0\] has c, not in the search space/);
  });
});

describe('transferConfigs', () => {
  const grid = landscapeGrid(space, { levels: 5 }); // b has 4 integer levels: 20 configurations
  const bowl = (ca: number, cb: number) => Array.from({ length: grid.size }, (_v, i) => {
    const c = gridConfig(grid, i);
    return ((c.a as number) - ca) ** 2 + 0.1 * ((c.b as number) - cb) ** 2;
  });
  const sources = [landscapeOf(grid, bowl(0, 1), { name: 'far' }), landscapeOf(grid, bowl(0.75, 3), { name: 'near' }), landscapeOf(grid, bowl(1, 4), { name: 'mid' })];

  it('ranks sources by the probe and takes the best configurations of the most similar first', () => {
    const target = bowl(0.75, 3);
    const indices = probeIndices(grid, 8, 1);
    const probe = { indices, loss: indices.map((i) => target[i] as number), configs: indices.map((i) => gridConfig(grid, i)), fidelity: 1, runtimes: [] };
    const t = transferConfigs(probe, sources, { sources: 2, perSource: 2 });
    expect(t.similarities[0]).toEqual({ name: 'near', spearman: 1 });
    expect(t.configs[0]).toEqual({ a: 0.75, b: 3 }); // the best of 'near', the most similar source
    expect(t.configs.length).toBe(4);
    expect(new Set(t.configs.map((c) => JSON.stringify(c))).size).toBe(4);
  });

  it('compares warm and cold starts on the simulated clock, charging the probe, and resumes', async () => {
    const make = (task: string): Benchmark => {
      const [ca, cb] = task === 'x' ? [0.75, 3] : task === 'y' ? [0.7, 3] : [0.8, 3];
      return {
        name: `toy:${task}`, searchSpace: space, objectives: ['loss'], fidelity: { name: 'epoch', min: 1, max: 9 },
        objective: (c, { fidelity }) => ({ loss: ((c.a as number) - ca) ** 2 + 0.1 * ((c.b as number) - cb) ** 2 + 0.01 / (fidelity as number), runtime: 10 * (fidelity as number) }),
      };
    };
    const srcs = new Map(['x', 'y', 'z'].map((t) => {
      const b = make(t);
      return [t, landscapeOf(grid, Array.from({ length: grid.size }, (_v, i) => (b.objective(gridConfig(grid, i), { fidelity: 9, seed: 0 }) as unknown as { loss: number }).loss), { name: t })];
    }));
    const out = mkdtempSync(join(tmpdir(), 'hg-warm-'));
    dirs.push(out);
    const file = join(out, 'runs.jsonl');
    const options = { make, sources: srcs, targets: ['x', 'y'], optimizers: ['random', 'tpe'], seeds: 3, nWorkers: 2, maxTime: 600, checkpoints: [200, 600], probe: { size: 4 }, resultsFile: file };
    const runs = await warmStartComparison(options);
    expect(runs.length).toBe(2 * 2 * 2 * 3);
    const warm = runs.filter((r) => r.start === 'warm');
    // Probe: 4 configurations at epoch 1 (10 s each) on 2 workers: 20 simulated seconds.
    expect(warm.every((r) => r.probeTime === 20)).toBe(true);
    expect(runs.filter((r) => r.start === 'cold').every((r) => r.probeTime === 0)).toBe(true);
    const summary = warmStartSummary(runs, [200, 600]);
    expect(summary.map((s) => [s.optimizer, s.time, s.tasks])).toEqual([['random', 200, 2], ['random', 600, 2], ['tpe', 200, 2], ['tpe', 600, 2]]);
    expect(readFileSync(file, 'utf8').trim().split('\n').length).toBe(24);
    const perTask = warmStartTaskTable(runs, 1, 600).split('\n');
    expect(perTask.filter((l) => /^\| [xy] \|/.test(l)).length).toBe(2);
    expect(perTask).toContain('| task | random cold | random warm | p | tpe cold | tpe warm | p |');
    let calls = 0;
    const again = await warmStartComparison({ ...options, make: (t) => { calls++; return make(t); } });
    expect(again).toEqual(runs);
    expect(calls).toBe(2); // benchmarks are made, but no run is simulated again
    await expect(warmStartComparison({ ...options, optimizers: ['asha'] })).rejects.toThrow(/optimizers must be among random, tpe, bohb, got 'asha'/);
  });
});
