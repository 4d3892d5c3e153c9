/**
 * `hypergrad hpo`: HPO optimizers through the simulator (asynchronous parallel workers, simulated
 * time), compared over seeds: a table of final incumbents, records (JSON lines), `summary.json`, the
 * resolved experiment, and a plot of the median incumbent with quartiles against simulated time.
 * With `--storage` each run is also recorded as a study; `hpo worker` and `hpo status` work on
 * shared studies.
 * @module
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../backend/initBackend.js';
import { checkCheckpointsFor, isFreezeThaw } from '../hpo/freezeThawOptimizers.js';
import { writeFileAtomic } from '../multilevel/checkpointFile.js';
import { OPTIMIZERS } from '../hpo/registry.js';
import type { Benchmark } from '../hpo/types.js';
import { writePlot } from '../plot/writePlot.js';
import { type ProgressMode, progressReporter } from '../progress/progressReporter.js';
import { compareOptimizers, finalIncumbent } from '../simulator/compare.js';
import type { SimulateOptions } from '../simulator/simulate.js';
import type { SimulationRecord } from '../simulator/types.js';
import { benchmarkHelp, benchmarkValue } from './benchmarks.js';
import { type CliIo, type OptionValues, defineCommand, progressOption, option } from './defineCommand.js';
import { writeExperimentFile } from './experimentFile.js';
import { hpoIncumbentSpec } from './hpoIncumbentSpec.js';
import { hpoStatusCommand } from './hpoStatusCommand.js';
import { hpoWorkerCommand } from './hpoWorkerCommand.js';
import { list, positiveInteger, positiveNumber, switchValue, text } from './optionValues.js';
import { type RunFolder, folderMode, openRunFolder } from './runFolder.js';

const fmt = (x: number) => (Number.isFinite(x) ? x.toPrecision(4) : 'n/a');
const quantile = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * (xs.length - 1) + 0.5))] as number;

/** The benchmark with its objective counting evaluations into `tick` (the simulator's results are unchanged). */
function counted(benchmark: Benchmark, tick: () => void): Benchmark {
  return { ...benchmark, objective: (config, context) => { tick(); return benchmark.objective(config, context); } };
}

/** Records each run as a study of `url` (`--storage`), or continues them (`--resume`); null without a URL. */
async function studyRecorder(url: string | undefined, prefix: string, resume: boolean) {
  if (url === undefined) return null;
  const { openStorage, simulateIntoStorage } = await import('../storage/index.js');
  const storage = await openStorage(url);
  return {
    run: (options: SimulateOptions, optimizer: string, seed: number) => simulateIntoStorage({ ...options, storage, study: `${prefix}/${optimizer}-seed${seed}`, resume })
      .catch((e: Error) => Promise.reject(new Error(`${resume ? '--resume' : '--storage'}: ${e.message}${resume ? '' : '; pass --resume URL to continue it'}`))),
    close: () => storage.close(),
  };
}

/** The options of `hypergrad hpo`. */
const hpoOptions = {
  benchmark: option(benchmarkValue, benchmarkHelp(), { required: true }),
  optimizer: option(list('LIST', () => OPTIMIZERS), `comma-separated: ${OPTIMIZERS.join(', ')}`, { required: true }),
  workers: option(positiveInteger(), 'simulated parallel workers', { default: 4 }),
  evals: option(positiveInteger(), 'results per run; with --max-time, whichever comes first', { defaultText: '200 without --max-time' }),
  maxTime: option(positiveNumber('HOURS'), 'simulated hours per run: compare optimizers at the same simulated time', { defaultText: 'none; zoo: its budget, 50 mean epochs per worker' }),
  seeds: option(positiveInteger(), 'runs per optimizer, seeds 0..S-1', { default: 5 }),
  out: option(text('DIR'), 'output folder (the benchmark gets a subfolder, the run folder: refused when it holds files, unless --resume or --overwrite)', { default: join('runs', 'hpo') }),
  overwrite: option(switchValue, 'replace what an earlier run wrote into the run folder', { default: false }),
  storage: option(text('URL'), 'also record every run as a study <prefix>/<optimizer>-seed<k> in this storage (postgresql://..., a journal file, memory:); a study that holds a run is refused'),
  study: option(text('PREFIX'), "the studies' prefix", { defaultText: "the benchmark's name" }),
  resume: option(text('DIR|URL'), "continue a cut-off run: its run folder DIR (<out>/<benchmark>; the options it started with are read from DIR's experiment.json), " +
    'or the runs recorded in a storage URL (with the same options as the first run); each run replays its records and goes on, a finished one is read back'),
  progress: progressOption('tty'),

};

/** `hpo`'s option values. */
type HpoOptions = OptionValues<typeof hpoOptions>;

/** `hypergrad hpo`. */
export const hpoCommand = defineCommand({
  name: 'hpo',
  summary: 'compare HPO optimizers on a benchmark in simulated time',
  description: 'Runs HPO optimizers through the simulator (asynchronous parallel workers, simulated time) and compares them: final ' +
    'incumbents over seeds, records (JSON lines), experiment.json, summary.json and a plot of the median incumbent with quartiles ' +
    'against simulated time (SVG, PNG and its Vega-Lite spec).',
  experimentFile: true,
  options: hpoOptions,
  subcommands: [hpoWorkerCommand, hpoStatusCommand],
  async run({ options: o, io, who }) {
    const resumeFolder = o.resume !== undefined && existsSync(o.resume) && statSync(o.resume).isDirectory() ? o.resume : undefined;
    if (o.storage !== undefined && o.resume !== undefined && resumeFolder === undefined) throw new Error(`${who}: give --storage URL (a new run) or --resume URL (continue one), not both`);
    const benchmark = o.benchmark.entry.make(o.benchmark.parameter);
    for (const name of o.optimizer) checkCheckpointsFor(name, benchmark); // before the run folder is made
    const dir = resumeFolder ?? join(o.out, benchmark.name.replace(':', '-'));
    // The run folder is checked and locked before any work; records carry the run's id, seed and command.
    const folder = openRunFolder({
      dir, mode: folderMode(who, o.resume !== undefined, o.overwrite), kind: 'hpo', seed: 0,
      command: `hypergrad hpo --benchmark ${benchmark.name} --optimizer ${o.optimizer.join(',')} --workers ${o.workers} --seeds ${o.seeds}` +
        `${o.evals !== undefined ? ` --evals ${o.evals}` : ''}${o.maxTime !== undefined ? ` --max-time ${o.maxTime}` : ''} --out ${o.out}`,
    });
    try {
      if (!folder.resumed) {
        writeExperimentFile(dir, 'hpo', {
          benchmark: o.benchmark.parameter === '' ? o.benchmark.entry.name : `${o.benchmark.entry.name}:${o.benchmark.parameter}`, optimizer: o.optimizer, workers: o.workers, evals: o.evals, maxTime: o.maxTime, seeds: o.seeds, out: o.out,
          storage: o.storage, study: o.study,
        });
      }
      return await runHpo(o, io, who, benchmark, dir, folder, resumeFolder !== undefined ? o.storage : (o.storage ?? o.resume));
    } finally {
      folder.release();
    }
  },
});

/** The comparison itself, in its locked run folder. */
async function runHpo(o: HpoOptions, io: CliIo, _who: string, benchmark: Benchmark, dir: string, folder: RunFolder, storageUrl: string | undefined): Promise<number> {
  {
    if (o.benchmark.entry.needsBackend || o.optimizer.some(isFreezeThaw)) await initBackend();
    const { workers: nWorkers, seeds } = o;
    const maxHours = o.maxTime ?? o.benchmark.entry.defaultMaxHours?.(benchmark);
    const nEvals = o.evals ?? 200;
    // --evals and --max-time both bound the run (whichever comes first); --evals defaults to 200 only without --max-time.
    const evalBound = o.evals !== undefined || maxHours === undefined ? { nEvals } : {};
    const t0 = performance.now();
    const recorder = await studyRecorder(storageUrl, o.study ?? benchmark.name, o.resume !== undefined);
    const runId = folder.identity.run;
    const runs = new Map<string, SimulationRecord[][]>();
    try {
      for (const name of o.optimizer) {
        let started = 0;
        const total = 'nEvals' in evalBound ? seeds * nEvals : undefined;
        const bar = progressReporter({ label: `${name.padEnd(11)} evaluations`, ...(total === undefined ? {} : { total }), unit: 'eval', stream: io.err, mode: o.progress });
        try {
          const one = await compareOptimizers({
            benchmark: counted(benchmark, () => bar.update(total === undefined ? ++started : Math.min(++started, total))), optimizers: [name], nWorkers, ...evalBound, seeds,
            outDir: dir, runId, command: folder.identity.command, resume: folder.resumed && recorder === null, overwrite: o.overwrite, ...(maxHours !== undefined ? { maxTotalEvalTime: maxHours * 3600 } : {}), ...(recorder !== null ? { runSimulation: recorder.run } : {}),
          });
          runs.set(name, one.get(name) as SimulationRecord[][]);
          bar.update(total ?? started);
        } finally {
          bar.stop();
        }
      }
    } finally {
      await recorder?.close();
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
    writeFileAtomic(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    const plots = await writePlot(join(dir, 'incumbent'), hpoIncumbentSpec(runs, { benchmark: benchmark.name, seeds, workers: nWorkers, objective }));
    io.out.write(`records: ${dir}/<optimizer>-seed<k>.jsonl, summary: ${join(dir, 'summary.json')}, experiment: ${join(dir, 'experiment.json')}\nplots: ${plots.join(', ')}\n`);
    await o.benchmark.entry.report?.(benchmark, runs, { ...(maxHours !== undefined ? { budgetSeconds: maxHours * 3600 } : {}), dir, out: io.out });
    return 0;
  }
}
