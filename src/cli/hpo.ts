import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPTIMIZERS } from '../hpo/registry.js';
import { isFreezeThaw } from '../hpo/freezeThawOptimizers.js';
import { compareOptimizers, finalIncumbent, incumbentBand } from '../simulator/compare.js';
import { LCBENCH_TASKS, lcbench } from '../simulator/benchmarks/lcbench.js';
import { mnistMlp } from '../simulator/benchmarks/mnistMlp.js';
import { mfBranin, mfHartmann } from '../simulator/benchmarks/synthetic.js';
import { initBackend } from '../backend/initBackend.js';
import type { Benchmark } from '../hpo/types.js';
import type { SimulateOptions } from '../simulator/simulate.js';
import { writeIncumbentPlot } from '../simulator/plot.js';
import { isZooBenchmark, zooBenchmarkByName } from '../zoo/zooBenchmark.js';
import { writeZooReport } from '../zoo/zooCli.js';

export const HPO_USAGE = `usage: hypergrad hpo --benchmark NAME --optimizer LIST [--workers N] [--evals M] [--max-time H] [--seeds S] [--out DIR]

Runs HPO optimizers through the simulator (asynchronous parallel workers, simulated time) and
compares them: final incumbents over seeds, records (JSON lines) and a plot of the median
incumbent with quartiles against simulated time (SVG and PNG).

  --benchmark   mfbranin | mfhartmann3 | mfhartmann6 | mnist-mlp | lcbench:<task>  (tasks: ${LCBENCH_TASKS.slice(0, 4).join(', ')}, ... 34 in all)
                | zoo[:task] | zoo-live[:task]  (model-zoo fine-tuning; tasks: mirror (default), rotated180, inverted)
  --optimizer   comma-separated: ${OPTIMIZERS.join(', ')}
  --workers     simulated parallel workers (default 4)
  --evals       results per run (default 200 without --max-time; with it, an upper bound)
  --max-time    simulated hours per run: compare optimizers at the same simulated time
                (zoo: default 50 mean epochs; regret and Kendall tau are reported at 50% and 100% of it)
  --seeds       runs per optimizer, seeds 0..S-1 (default 5)
  --out         output directory (default runs/hpo)
  --storage     also record every run as a study <prefix>/<optimizer>-seed<k> in this storage
                (postgresql://..., a journal file, memory:); a study that holds a run is refused
  --study       the studies' prefix (default: the benchmark's name)
  --resume      URL: continue the runs recorded in this storage (a cut-off run resumes from its
                records, a finished one is read back), with the same flags as the first run

  hypergrad hpo worker --help   evaluate a shared study for real, on any number of machines
  hypergrad hpo status --help   progress of the studies in a storage`;

/** The benchmark a name selects. */
export function benchmarkByName(name: string): Benchmark {
  if (name === 'mfbranin') return mfBranin();
  if (name === 'mfhartmann3') return mfHartmann(3);
  if (name === 'mfhartmann6') return mfHartmann(6);
  if (name.startsWith('lcbench:')) return lcbench(name.slice('lcbench:'.length));
  if (name === 'mnist-mlp') return mnistMlp();
  if (/^zoo(-live)?(:|$)/.test(name)) return zooBenchmarkByName(name);
  throw new Error(`--benchmark must be mfbranin, mfhartmann3, mfhartmann6, lcbench:<task>, mnist-mlp, zoo[:task] or zoo-live[:task], got '${name}'`);
}

/** Parses `--flag value` pairs; errors name the flag and what it accepts. */
export function parseFlags(args: readonly string[], known: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (!a.startsWith('--')) throw new Error(`unexpected argument '${a}'; options are ${known.map((k) => `--${k}`).join(', ')}`);
    const key = a.slice(2);
    if (!known.includes(key)) throw new Error(`unknown option '${a}'; options are ${known.map((k) => `--${k}`).join(', ')}`);
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`option '${a}' needs a value`);
    out[key] = v;
    i++;
  }
  return out;
}

function positiveInt(flag: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`--${flag} must be a positive integer, got '${v}'`);
  return n;
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toPrecision(4) : 'n/a');

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

/** Runs `hypergrad hpo`; returns the exit code. */
export async function hpoCommand(args: readonly string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  if (args[0] === 'worker') return (await import('./hpoWorker.js')).hpoWorkerCommand(args.slice(1), out, err);
  if (args[0] === 'status') return (await import('./hpoStatus.js')).hpoStatusCommand(args.slice(1), out, err);
  if (args.includes('--help') || args.includes('-h')) {
    out.write(`${HPO_USAGE}\n`);
    return 0;
  }
  let flags: Record<string, string>;
  try {
    flags = parseFlags(args, ['benchmark', 'optimizer', 'workers', 'evals', 'max-time', 'seeds', 'out', 'storage', 'study', 'resume']);
    if (flags.storage !== undefined && flags.resume !== undefined) throw new Error('give --storage URL (a new run) or --resume URL (continue one), not both');
    if (flags.benchmark === undefined) throw new Error('--benchmark is required');
    if (flags.optimizer === undefined) throw new Error('--optimizer is required');
  } catch (e) {
    err.write(`hypergrad hpo: ${(e as Error).message}\n\n${HPO_USAGE}\n`);
    return 2;
  }
  try {
    const benchmark = benchmarkByName(flags.benchmark as string);
    const optimizers = (flags.optimizer as string).split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (benchmark.name === 'mnist-mlp' || isZooBenchmark(benchmark) || optimizers.some(isFreezeThaw)) await initBackend();
    const unknown = optimizers.filter((o) => !(OPTIMIZERS as readonly string[]).includes(o));
    if (unknown.length > 0) throw new Error(`--optimizer: unknown ${unknown.join(', ')}; accepted: ${OPTIMIZERS.join(', ')}`);
    const nWorkers = positiveInt('workers', flags.workers, 4);
    const nEvals = positiveInt('evals', flags.evals, 200);
    const seeds = positiveInt('seeds', flags.seeds, 5);
    let maxHours = flags['max-time'] === undefined ? undefined : Number(flags['max-time']);
    if (maxHours !== undefined && !(maxHours > 0)) throw new Error(`--max-time must be a positive number of simulated hours, got '${flags['max-time']}'`);
    if (maxHours === undefined && isZooBenchmark(benchmark)) maxHours = benchmark.defaultBudget / 3600;
    const dir = join(flags.out ?? join('runs', 'hpo'), benchmark.name.replace(':', '-'));
    mkdirSync(dir, { recursive: true });
    const t0 = performance.now();
    const recorder = await studyRecorder(flags.storage ?? flags.resume, flags.study ?? benchmark.name, flags.resume !== undefined);
    // --evals and --max-time both bound the run (whichever comes first); --evals defaults to 200 only without --max-time.
    const evalBound = flags.evals !== undefined || maxHours === undefined ? { nEvals } : {};
    let runs: Awaited<ReturnType<typeof compareOptimizers>>;
    try {
      runs = await compareOptimizers({
        benchmark, optimizers, nWorkers, ...evalBound, seeds, outDir: dir,
        ...(maxHours !== undefined ? { maxTotalEvalTime: maxHours * 3600 } : {}), ...(recorder !== null ? { runSimulation: recorder.run } : {}),
      });
    } finally {
      await recorder?.close();
    }
    const wall = (performance.now() - t0) / 1000;
    const objective = benchmark.objectives[0] ?? 'loss';
    const summary: Record<string, unknown> = { benchmark: benchmark.name, nWorkers, nEvals, seeds, wallSeconds: wall, optimizers: {} };
    out.write(`\n${benchmark.name}: ${nWorkers} workers, ${maxHours !== undefined ? `${maxHours} simulated hours` : `${nEvals} evaluations`}, ${seeds} seeds (${wall.toFixed(1)} s wall)\n`);
    out.write('optimizer   final incumbent: median [q25, q75]   simulated hours (median)   evaluations (median)\n');
    const series = [];
    for (const [name, rs] of runs) {
      const finals = rs.map((r) => finalIncumbent(r, objective)).sort((a, b) => a - b);
      const hours = rs.map((r) => (r[r.length - 1]?.cumtime ?? 0) / 3600).sort((a, b) => a - b);
      const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * (xs.length - 1) + 0.5))] as number;
      const counts = rs.map((r) => r.length).sort((a, b) => a - b);
      out.write(`${name.padEnd(11)} ${fmt(q(finals, 0.5)).padStart(16)} [${fmt(q(finals, 0.25))}, ${fmt(q(finals, 0.75))}]   ${q(hours, 0.5).toPrecision(3).padStart(10)}   ${String(q(counts, 0.5)).padStart(19)}\n`);
      (summary.optimizers as Record<string, unknown>)[name] = { finalIncumbents: finals, simulatedHours: hours };
      const band = incumbentBand(rs, objective);
      series.push({ label: name, times: band.times, values: band.median, lower: band.lower, upper: band.upper });
    }
    writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    const positive = series.every((sr) => sr.values.every((v) => !Number.isFinite(v) || v > 0) && sr.lower.every((v) => !Number.isFinite(v) || v > 0));
    const plots = await writeIncumbentPlot(join(dir, 'incumbent'), series, {
      title: `${benchmark.name}: median incumbent and quartiles over ${seeds} seeds, ${nWorkers} workers`, yLabel: `best ${objective}`, logValue: positive,
    });
    out.write(`records: ${dir}/<optimizer>-seed<k>.jsonl, summary: ${join(dir, 'summary.json')}\nplots: ${plots.join(', ')}\n`);
    if (isZooBenchmark(benchmark) && benchmark.mode === 'tabulated') await writeZooReport(benchmark, runs, (maxHours as number) * 3600, dir, out);
    return 0;
  } catch (e) {
    err.write(`hypergrad hpo: ${(e as Error).message}\n`);
    return 2;
  }
}
