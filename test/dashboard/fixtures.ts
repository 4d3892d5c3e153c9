import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SimulationRecord } from '../../src/simulator/types.js';

/** A deterministic record of optimizer `o`, seed `s`, trial `i` (x in (0, 1), loss (x - 0.3)^2 + 0.01 i + s). */
export function record(o: number, s: number, i: number): SimulationRecord {
  const x = ((i * 7919 + o * 104_729 + s * 13) % 1000) / 1000 + 0.0005;
  return { cumtime: 10 * (i + 1) + s, workerIndex: i % 2, config: { lr: x, depth: 1 + (i % 3) }, seed: 1000 * s + i, runtime: 10, values: { loss: (x - 0.3) ** 2 + 0.01 * i + s }, fidelity: 1 };
}

/** Writes an HPO run folder like `hypergrad hpo`'s: experiment.json and `<optimizer>-seed<k>.jsonl` of `n` records each. */
export function writeHpoRun(dir: string, optimizers: readonly string[], seeds: number, n: number): Map<string, SimulationRecord[][]> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'experiment.json'), JSON.stringify({ hypergrad: '0.1.0', command: 'hpo', benchmark: 'toy', optimizer: optimizers, workers: 2, evals: n, seeds }));
  const runs = new Map<string, SimulationRecord[][]>();
  optimizers.forEach((name, o) => {
    const rs: SimulationRecord[][] = [];
    for (let s = 0; s < seeds; s++) {
      const records = Array.from({ length: n }, (_, i) => record(o, s, i));
      writeFileSync(join(dir, `${name}-seed${s}.jsonl`), records.map((r) => `${JSON.stringify(r)}\n`).join(''));
      rs.push(records);
    }
    runs.set(name, rs);
  });
  return runs;
}

/** Appends one record as a run does (one whole line). */
export function appendRecord(file: string, r: SimulationRecord): void {
  appendFileSync(file, `${JSON.stringify(r)}\n`);
}
