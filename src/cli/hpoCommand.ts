/**
 * `hypergrad hpo`: HPO optimizers through the simulator (asynchronous parallel workers, simulated
 * time), compared over seeds: a table of final incumbents, records (JSON lines), `summary.json`, the
 * resolved experiment, and a plot of the median incumbent with quartiles against simulated time.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../backend/initBackend.js';
import { OPTIMIZERS, compareOptimizers, finalIncumbent } from '../hpo/compare.js';
import { writePlot } from '../plot/writePlot.js';
import { progressReporter } from '../progress/progressReporter.js';
import type { Benchmark } from '../simulator/benchmarks/types.js';
import type { SimulationRecord } from '../simulator/types.js';
import { benchmarkHelp, benchmarkValue } from './benchmarks.js';
import { defineCommand, option } from './defineCommand.js';
import { writeExperimentFile } from './experimentFile.js';
import { hpoIncumbentSpec } from './hpoIncumbentSpec.js';
import { list, positiveInteger, positiveNumber, text } from './optionValues.js';

const fmt = (x: number) => (Number.isFinite(x) ? x.toPrecision(4) : 'n/a');
const quantile = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * (xs.length - 1) + 0.5))] as number;

/** The benchmark with its objective counting evaluations into `tick` (the simulator's results are unchanged). */
function counted(benchmark: Benchmark, tick: () => void): Benchmark {
  return { ...benchmark, objective: (config, context) => { tick(); return benchmark.objective(config, context); } };
}

/** `hypergrad hpo`. */
export const hpoCommand = defineCommand({
  name: 'hpo',
  summary: 'compare HPO optimizers on a benchmark in simulated time',
  description: 'Runs HPO optimizers through the simulator (asynchronous parallel workers, simulated time) and compares them: final ' +
    'incumbents over seeds, records (JSON lines), experiment.json, summary.json and a plot of the median incumbent with quartiles ' +
    'against simulated time (SVG, PNG and its Vega-Lite spec).',
  experimentFile: true,
  options: {
    benchmark: option(benchmarkValue, benchmarkHelp(), { required: true }),
    optimizer: option(list('LIST', () => OPTIMIZERS), `comma-separated: ${OPTIMIZERS.join(', ')}`, { required: true }),
    workers: option(positiveInteger(), 'simulated parallel workers', { default: 4 }),
    evals: option(positiveInteger(), 'results per run (with --max-time, an upper bound)', { default: 200 }),
    maxTime: option(positiveNumber('HOURS'), 'simulated hours per run: compare optimizers at the same simulated time'),
    seeds: option(positiveInteger(), 'runs per optimizer, seeds 0..S-1', { default: 5 }),
    out: option(text('DIR'), 'output folder (the benchmark gets a subfolder)', { default: join('runs', 'hpo') }),
  },
  async run({ options: o, io }) {
    const benchmark = o.benchmark.entry.make(o.benchmark.parameter);
    if (o.benchmark.entry.needsBackend) await initBackend();
    const { workers: nWorkers, evals: nEvals, seeds, maxTime: maxHours } = o;
    const dir = join(o.out, benchmark.name.replace(':', '-'));
    writeExperimentFile(dir, 'hpo', {
      benchmark: benchmark.name, optimizer: o.optimizer, workers: nWorkers, evals: nEvals, maxTime: maxHours, seeds, out: o.out,
    });
    const t0 = performance.now();
    const runs = new Map<string, SimulationRecord[][]>();
    for (const name of o.optimizer) {
      let started = 0;
      const total = maxHours === undefined ? seeds * nEvals : undefined;
      const bar = progressReporter({ label: `${name.padEnd(11)} evaluations`, ...(total === undefined ? {} : { total }), unit: 'eval', stream: io.err });
      try {
        const one = await compareOptimizers({
          benchmark: counted(benchmark, () => bar.update(total === undefined ? ++started : Math.min(++started, total))), optimizers: [name], nWorkers,
          nEvals: maxHours === undefined ? nEvals : Math.max(nEvals, 100_000), seeds, outDir: dir, ...(maxHours !== undefined ? { maxTotalEvalTime: maxHours * 3600 } : {}),
        });
        runs.set(name, one.get(name) as SimulationRecord[][]);
        bar.update(total ?? started);
      } finally {
        bar.stop();
      }
    }
    const wall = (performance.now() - t0) / 1000;
    const objective = benchmark.objectives[0] ?? 'loss';
    const summary: Record<string, unknown> = { benchmark: benchmark.name, nWorkers, nEvals, seeds, wallSeconds: wall, optimizers: {} };
    io.out.write(`\n${benchmark.name}: ${nWorkers} workers, ${maxHours !== undefined ? `${maxHours} simulated hours` : `${nEvals} evaluations`}, ${seeds} seeds (${wall.toFixed(1)} s wall)\n`);
    io.out.write('optimizer   final incumbent: median [q25, q75]   simulated hours (median)   evaluations (median)\n');
    for (const [name, rs] of runs) {
      const finals = rs.map((r) => finalIncumbent(r, objective)).sort((a, b) => a - b);
      const hours = rs.map((r) => (r[r.length - 1]?.cumtime ?? 0) / 3600).sort((a, b) => a - b);
      const counts = rs.map((r) => r.length).sort((a, b) => a - b);
      io.out.write(`${name.padEnd(11)} ${fmt(quantile(finals, 0.5)).padStart(16)} [${fmt(quantile(finals, 0.25))}, ${fmt(quantile(finals, 0.75))}]   ` +
        `${quantile(hours, 0.5).toPrecision(3).padStart(10)}   ${String(quantile(counts, 0.5)).padStart(19)}\n`);
      (summary.optimizers as Record<string, unknown>)[name] = { finalIncumbents: finals, simulatedHours: hours };
    }
    writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    const plots = await writePlot(join(dir, 'incumbent'), hpoIncumbentSpec(runs, { benchmark: benchmark.name, seeds, workers: nWorkers, objective }));
    io.out.write(`records: ${dir}/<optimizer>-seed<k>.jsonl, summary: ${join(dir, 'summary.json')}, experiment: ${join(dir, 'experiment.json')}\nplots: ${plots.join(', ')}\n`);
    return 0;
  },
});
