import { describe, expect, it } from 'vitest';
import { hpoIncumbentSpec } from '../../src/cli/hpoIncumbentSpec.js';
import type { SimulationRecord } from '../../src/simulator/types.js';

const at = (cumtime: number, loss: number): SimulationRecord => ({ cumtime, workerIndex: 0, config: { x: loss }, seed: 0, runtime: 1, values: { loss } });

type Row = { series: string; x: number; y: number; lower: number | null; upper: number | null };

describe('hpoIncumbentSpec (the plot of hypergrad hpo and of the dashboard)', () => {
  it("ends at the last arrival, with its result in (a log-spaced grid's last time used to fall an ulp short of it)", () => {
    // 7697.656929111187 is a time whose exp(log(t)) on the grid comes out below t.
    const runs = new Map([['asha', [[at(300, 5), at(7097.656929111187, 3), at(7697.656929111187, 0.5)], [at(350, 4), at(900, 2)]]]]);
    const rows = (hpoIncumbentSpec(runs, { benchmark: 'toy', seeds: 2, workers: 1, objective: 'loss' }).data as { values: Row[] }).values;
    const last = rows.at(-1) as Row;
    expect(last.x).toBe(7697.656929111187);
    expect([last.lower, last.y, last.upper]).toEqual([0.5 + 0.25 * 1.5, 1.25, 2 - 0.25 * 1.5]);
  });

  it('leaves out seeds and optimizers without records, labels as asked, and draws the value axis logarithmic only for positive values', () => {
    const runs = new Map([['random', [[at(1, 2), at(2, 1)], []]], ['tpe', [[]]]]);
    const spec = hpoIncumbentSpec(runs, { benchmark: 'toy', seeds: 3, workers: 2, objective: 'loss', label: (n) => `${n} (2/3 seeds)` }) as unknown as { title: string; data: { values: Row[] }; layer: { encoding: { y: { scale: unknown } } }[] };
    expect(new Set(spec.data.values.map((v) => v.series))).toEqual(new Set(['random (2/3 seeds)']));
    expect(spec.title).toBe('toy: median incumbent and quartiles over 3 seeds, 2 workers');
    expect(spec.layer.at(-1)?.encoding.y.scale).toEqual({ type: 'log' });
    const negative = hpoIncumbentSpec(new Map([['random', [[at(1, -2), at(2, 1)]]]]), { benchmark: 'toy', seeds: 1, workers: 1, objective: 'loss' }) as unknown as typeof spec;
    expect(negative.layer.at(-1)?.encoding.y.scale).toEqual({ zero: false });
  });
});
