import { describe, expect, it } from 'vitest';
import { lcbench, lcbenchBatch } from '../../src/simulator/index.js';
import { analyseLandscape, buildLandscape, compareLandscapes, gridConfig } from '../../src/entries/landscape.js';

// The one landscape test that loads the LCBench surrogate (ONNX, slow to load).
describe('an LCBench landscape (surrogate, batched)', () => {
  it('matches row-by-row evaluation, and compares a low fidelity with the full one', async () => {
    const bench = lcbench('3945');
    // 2 levels on 7 hyperparameters: 128 configurations, one model run per batch of 64.
    const [full, low] = await Promise.all([52, 6].map((fidelity) => buildLandscape(bench, { levels: 2, fidelity, batch: 64 })));
    if (full === undefined || low === undefined) throw new Error('unreachable');
    expect(full.fitness.length).toBe(128);
    expect(full.grid.axes.map((a) => a.name)).toEqual(['batch_size', 'learning_rate', 'max_dropout', 'max_units', 'momentum', 'num_layers', 'weight_decay']);
    for (const i of [0, 37, 127]) {
      const [one] = await lcbenchBatch('3945', [{ config: gridConfig(full.grid, i), epoch: 52 }]);
      expect(full.fitness[i]).toBeCloseTo(one?.loss as number, 6);
    }
    const { metrics } = analyseLandscape(full);
    expect(metrics.nodes).toBe(128);
    expect(metrics.neighbourPairs).toBe(7 * 64);
    expect(metrics.basins.localOptima).toBeGreaterThanOrEqual(1);
    const s = compareLandscapes(low, full);
    expect(s.n).toBe(128);
    expect(s.spearman).toBeGreaterThan(0);
  });
});
