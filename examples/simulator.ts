/**
 * The HPO simulator: random search with 4 workers on MFHartmann6 and with 8 workers on LCBench
 * (task 3945), run in simulated time. Writes the records (JSON lines) and an SVG plot of the
 * incumbent against simulated time to runs/, and prints simulated vs wall time.
 *
 * Run: `npm run build && node dist/examples/simulator.js`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import {
  type AskTellOptimizer, type Benchmark, type PlotSeries, lcbench, mfHartmann, performanceOverTime,
  seededRandom, simulate, writeIncumbentPlot,
} from '../src/index.js';

/** Uniform random search over a benchmark's search space at full fidelity (a stand-in until issue 6). */
function randomSearch(bench: Benchmark, seed: number): AskTellOptimizer {
  const rand = seededRandom(seed);
  return {
    ask: () => {
      const config: Record<string, number> = {};
      for (const [k, r] of Object.entries(bench.searchSpace)) {
        const u = rand();
        const v = r.log ? Math.exp(Math.log(r.low) + u * (Math.log(r.high) - Math.log(r.low))) : r.low + u * (r.high - r.low);
        config[k] = r.type === 'int' ? Math.min(r.high, Math.max(r.low, Math.round(v))) : v;
      }
      return { config, fidelity: bench.fidelity.max };
    },
    tell: () => {},
  };
}

mkdirSync('runs', { recursive: true });
const runs: [Benchmark, number, number][] = [[mfHartmann(6), 4, 200], [lcbench('3945'), 8, 200]];
for (const [bench, nWorkers, nEvals] of runs) {
  const series: PlotSeries[] = [];
  for (const seed of [0, 1, 2]) {
    const file = `runs/${bench.name.replace(':', '-')}-random-seed${seed}.jsonl`;
    writeFileSync(file, '');
    const t0 = performance.now();
    const { records } = await simulate({ objective: bench.objective, optimizer: randomSearch(bench, seed), nWorkers, nEvals, seed, resultsFile: file });
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
