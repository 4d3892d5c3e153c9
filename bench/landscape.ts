import { lcbench, lcbenchBatch } from '../src/simulator/index.js';
import { analyseLandscape, compareLandscapes, evaluateGrid, landscapeGraph, landscapeGrid, landscapeOf } from '../src/entries/landscape.js';
import { report } from './report.js';

/**
 * Landscape analysis on LCBench (task 3945, full fidelity 52 epochs): the time to build a landscape
 * (grid evaluation by the ONNX surrogate, batched 4096 rows per model run) and analyse it (graph,
 * FDC, walks, neutrality, basins, local optima network), at 3, 4 and 5 levels per hyperparameter
 * (2,187, 16,384 and 78,125 configurations); the ratio is against the 4-level case, run in the
 * same process. Also the time to compare two 16,384-node landscapes (Spearman, Kendall, top 10%).
 * Median of interleaved repeats; the model load is reported once, apart.
 */
export async function landscapeBench(): Promise<void> {
  const bench = lcbench('3945');
  const t0 = performance.now();
  await lcbenchBatch('3945', [{ config: { batch_size: 91, learning_rate: 0.003, momentum: 0.5, weight_decay: 0.01, num_layers: 2, max_units: 256, max_dropout: 0.5 }, epoch: 52 }]);
  report({ bench: 'landscape', case: 'lcbench-3945/model-load', metric: 'time', value: (performance.now() - t0) / 1000, unit: 's' });
  const levels = [3, 4, 5];
  const repeats = 3;
  const times = new Map<number, { evaluate: number[]; graph: number[]; analyse: number[]; total: number[] }>(levels.map((l) => [l, { evaluate: [], graph: [], analyse: [], total: [] }]));
  let last = null as ReturnType<typeof landscapeOf> | null;
  for (let r = 0; r < repeats; r++) {
    for (const l of levels) {
      const grid = landscapeGrid(bench.searchSpace, { levels: l });
      const a = performance.now();
      const values = await evaluateGrid(bench, grid, { fidelity: 52 });
      const b = performance.now();
      const land = landscapeOf(grid, values.loss as Float64Array, { name: `lcbench:3945@52/loss/${l}` });
      landscapeGraph(land);
      const c = performance.now();
      analyseLandscape(land);
      const d = performance.now();
      const t = times.get(l) as { evaluate: number[]; graph: number[]; analyse: number[]; total: number[] };
      t.evaluate.push((b - a) / 1000);
      t.graph.push((c - b) / 1000);
      t.analyse.push((d - c) / 1000);
      t.total.push((b - a + d - c) / 1000);
      if (l === 4) last = land;
    }
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
  const base = median((times.get(4) as { total: number[] }).total);
  for (const l of levels) {
    const t = times.get(l) as { evaluate: number[]; graph: number[]; analyse: number[]; total: number[] };
    const c = `lcbench-3945/${l}-levels/${l ** 7}-nodes`;
    report({ bench: 'landscape', case: c, metric: 'evaluate', value: median(t.evaluate), unit: 's', repeats });
    report({ bench: 'landscape', case: c, metric: 'graph', value: median(t.graph), unit: 's', repeats });
    report({ bench: 'landscape', case: c, metric: 'analyse (graph included)', value: median(t.analyse), unit: 's', repeats });
    report({ bench: 'landscape', case: c, metric: 'build-and-analyse', value: median(t.total), unit: 's', baseline: base, repeats });
  }
  // Comparing two 16,384-node landscapes (what a study does for every pair).
  const other = landscapeOf(landscapeGrid(bench.searchSpace, { levels: 4 }), (await evaluateGrid(bench, (last as ReturnType<typeof landscapeOf>).grid, { fidelity: 6 })).loss as Float64Array, { name: 'e6' });
  const cmp: number[] = [];
  for (let r = 0; r < 5; r++) {
    const a = performance.now();
    compareLandscapes(last as ReturnType<typeof landscapeOf>, other);
    cmp.push((performance.now() - a) / 1000);
  }
  report({ bench: 'landscape', case: 'lcbench-3945/4-levels/compare-fidelity-6-vs-52', metric: 'time', value: median(cmp), unit: 's', repeats: 5 });
}
