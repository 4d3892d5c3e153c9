/**
 * The HPO simulator: random search with 4 workers on MFHartmann6 and with 8 workers on LCBench
 * (task 3945), run in simulated time. Writes the records (JSON lines) and an SVG plot of the
 * incumbent against simulated time to runs/, and prints simulated vs wall time.
 *
 * Run: `npm run build && node dist/examples/simulator.js`.
 */
import { mkdirSync } from 'node:fs';
import { type Benchmark, randomSearch } from '../src/hpo/index.js';
import { type PlotSeries, writeIncumbentPlot } from '../src/entries/plot.js';
import { lcbench, mfHartmann, performanceOverTime, simulate } from '../src/simulator/index.js';

/** Random search at the benchmark's full fidelity. */
const randomAtFull = (bench: Benchmark, seed: number) => randomSearch({ searchSpace: bench.searchSpace, fidelity: bench.fidelity.max, seed });

mkdirSync('runs', { recursive: true });
const runs: [Benchmark, number, number][] = [[mfHartmann(6), 4, 200], [lcbench('3945'), 8, 200]];
for (const [bench, nWorkers, nEvals] of runs) {
  const series: PlotSeries[] = [];
  for (const seed of [0, 1, 2]) {
    const file = `runs/${bench.name.replace(':', '-')}-random-seed${seed}.jsonl`;
    const t0 = performance.now();
    const { records } = await simulate({ objective: bench.objective, optimizer: randomAtFull(bench, seed), nWorkers, nEvals, seed, resultsFile: file, overwrite: true });
    const wall = (performance.now() - t0) / 1000;
    const simulated = records[records.length - 1]?.cumtime ?? 0;
    const curve = performanceOverTime(records);
    series.push({ label: `random, seed ${seed}`, ...curve });
    console.log(`${bench.name.padEnd(14)} seed ${seed}: best ${curve.values[curve.values.length - 1]?.toFixed(4)} after ${nEvals} evaluations on ${nWorkers} workers; ` +
      `simulated ${(simulated / 3600).toFixed(1)} h in ${wall.toFixed(2)} s wall (x${Math.round(simulated / wall)})`);
  }
  const paths = await writeIncumbentPlot(`runs/${bench.name.replace(':', '-')}-incumbent`, series, { title: `${bench.name}: random search, ${nWorkers} workers`, yLabel: 'best loss so far' });
  console.log(`plots: ${paths.join(', ')}`);
}
