import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyseLandscape } from '../landscape/analyseLandscape.js';
import { buildLandscape } from '../landscape/buildLandscape.js';
import { compareLandscapes } from '../landscape/compareLandscapes.js';
import { toGraphml } from '../landscape/graphml.js';
import { landscapeFromJson, landscapeToJson } from '../landscape/landscape.js';
import { type StudyEvent, landscapeFileName, runLandscapeStudy } from '../landscape/landscapeStudy.js';
import { parseNumbers, stringifyNumbers } from '../landscape/numbersJson.js';
import { STUDY_PRESETS, studyPreset } from '../landscape/studyPresets.js';
import { comparisonTable, metricsCsv, metricsTable } from '../landscape/studyTables.js';
import { writeLandscapePlots, writeStudyPlots } from '../landscape/plots/writePlots.js';
import { checkOneOf, parseNumberFlag } from '../util/validate.js';
import { WARM_START_OPTIMIZERS, warmStartComparison, warmStartSummary, warmStartTable, warmStartTaskTable } from '../landscape/warmStart.js';
import { LCBENCH_TASKS, lcbench } from '../simulator/benchmarks/lcbench.js';
import { benchmarkByName, parseFlags } from './hpo.js';
import { progressBar } from './progress.js';
import { initBackend } from '../backend/initBackend.js';

export const LANDSCAPE_USAGE = `usage: hypergrad landscape --benchmark NAME [--task T] [--levels L] [--fidelity F] [--out DIR] [options]
       hypergrad landscape study --benchmark LIST --out DIR [--levels L] [--tasks LIST] [--fidelities LIST]
       hypergrad landscape compare A.json B.json [--gamma G]
       hypergrad landscape warmstart --study DIR --optimizer LIST [--tasks LIST] [--seeds S] [--workers N] [--max-time H] [--out DIR]

Hyperparameter loss-landscape analysis (Huang & Li 2023): a grid of levels per hyperparameter,
evaluated at one fidelity; its graph (neighbours one level apart, edges to the better one),
fitness-distance correlation, random-walk autocorrelation, neutrality, local optima, basins and
the local optima network (GraphML); comparisons of landscapes over the same grid.

  --benchmark    lcbench (with --task) | lcbench:<task> | mfbranin | mfhartmann3 | mfhartmann6 | mnist-mlp
                 (study: a comma-separated list of ${STUDY_PRESETS.join(', ')})
  --task         LCBench task (OpenML id), e.g. 3945
  --levels       levels per numeric hyperparameter (default 4; study: per preset)
  --fidelity     fidelity to evaluate at (default: the full budget)
  --objective    objective to analyse (default: the benchmark's first)
  --direction    minimize | maximize (default minimize)
  --walks, --walk-length, --seed   random walks of the autocorrelation (default 1000 x 20, seed 0)
  --neutrality   neutrality threshold as a share of the value range (default 0.01)
  --lon-radius   perturbation radius of the local optima network (default 2)
  --tasks        study: only these LCBench tasks (comma-separated)
  --fidelities   study: comma-separated, increasing (default per preset)
  --gamma        share of top configurations compared (default 0.1)
  --study        warmstart: a finished LCBench study (its full-fidelity landscapes are the sources)
  --optimizer    warmstart: comma-separated, of random, tpe, bohb
  --seeds, --workers, --max-time   warmstart: seeds per task (10), simulated workers (4), simulated hours (2)
  --out          output directory (default runs/landscape)

Writes JSON (landscape and metrics), the local optima network as GraphML, and SVG/PNG plots; a
study writes one file per landscape as it goes and resumes where it stopped.`;

const positiveInt = (flag: string, v: string | undefined, fallback: number) => (v === undefined ? fallback : parseNumberFlag(`--${flag}`, v, { min: 1 }, true));
const fmt = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(4)).toString() : 'n/a');

async function single(args: readonly string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const flags = parseFlags(args, ['benchmark', 'task', 'levels', 'fidelity', 'objective', 'direction', 'walks', 'walk-length', 'seed', 'neutrality', 'lon-radius', 'out']);
  if (flags.benchmark === undefined) throw new Error('--benchmark is required');
  if (flags.benchmark === 'lcbench' && flags.task === undefined) throw new Error('--benchmark lcbench needs --task (an OpenML id, e.g. 3945)');
  const name = flags.benchmark === 'lcbench' ? `lcbench:${flags.task}` : flags.benchmark;
  const benchmark = benchmarkByName(name);
  if (benchmark.name === 'mnist-mlp') await initBackend();
  const fidelity = flags.fidelity === undefined ? undefined : parseNumberFlag('--fidelity', flags.fidelity, { min: benchmark.fidelity.min, max: benchmark.fidelity.max });
  const direction = checkOneOf('hypergrad landscape', '--direction', flags.direction ?? 'minimize', ['minimize', 'maximize'] as const);
  const bar = progressBar(err, `${benchmark.name} grid`);
  const t0 = performance.now();
  const l = await buildLandscape(benchmark, {
    levels: positiveInt('levels', flags.levels, 4), ...(fidelity !== undefined ? { fidelity } : {}), direction,
    ...(flags.objective !== undefined ? { objective: flags.objective } : {}), onProgress: (d, t) => bar(d, t, undefined),
  });
  const built = (performance.now() - t0) / 1000;
  const { metrics, lon, climb } = analyseLandscape(l, {
    walks: { walks: positiveInt('walks', flags.walks, 1000), length: positiveInt('walk-length', flags['walk-length'], 20), seed: flags.seed === undefined ? 0 : parseNumberFlag('--seed', flags.seed, { min: 0 }, true) },
    neutrality: { kind: 'relative', value: flags.neutrality === undefined ? 0.01 : parseNumberFlag('--neutrality', flags.neutrality, { min: 0, max: 1 }) },
    lonRadius: positiveInt('lon-radius', flags['lon-radius'], 2),
  });
  const analysed = (performance.now() - t0) / 1000 - built;
  const dir = flags.out ?? join('runs', 'landscape');
  mkdirSync(dir, { recursive: true });
  const base = join(dir, landscapeFileName(l.name));
  writeFileSync(`${base}.json`, `${stringifyNumbers({ landscape: landscapeToJson(l), metrics })}\n`);
  writeFileSync(`${base}-lon.graphml`, toGraphml(lon));
  const plots = await writeLandscapePlots(base, l, metrics, climb);
  const m = metrics;
  out.write(`${l.name}: ${m.nodes} configurations, ${m.neighbourPairs} neighbour pairs (built in ${built.toFixed(1)} s, analysed in ${analysed.toFixed(1)} s)\n`
    + `best ${fmt(m.best.value)} at ${JSON.stringify(m.best.config)}\n`
    + `FDC ${fmt(m.fdc)}  rho(1) ${fmt(m.autocorrelation.rho)}  correlation length ${fmt(m.autocorrelation.correlationLength)}  neutrality ${fmt(m.neutrality)} (eps ${fmt(m.neutralityThreshold.epsilon)})  NDC ${fmt(m.ndc)}\n`
    + `local optima ${m.basins.localOptima} (share ${fmt(m.basins.localOptimaShare)}), mean basin ${fmt(m.basins.meanBasinSize)}, global basin share ${fmt(m.basins.globalBasinShare)}, mean climb ${fmt(m.basins.meanWalkLength)} moves\n`
    + `local optima network: ${m.lon.nodes} optima, ${m.lon.edges} escape edges (radius ${m.lon.radius})\n`
    + `files: ${base}.json, ${base}-lon.graphml, ${plots.join(', ')}\n`);
  return 0;
}

async function study(args: readonly string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const flags = parseFlags(args, ['benchmark', 'levels', 'tasks', 'fidelities', 'gamma', 'out']);
  if (flags.benchmark === undefined) throw new Error(`--benchmark is required (a comma-separated list of ${STUDY_PRESETS.join(', ')})`);
  if (flags.out === undefined) throw new Error('--out is required (the study directory; an existing study there is resumed)');
  const list = (s: string | undefined) => s?.split(',').map((x) => x.trim()).filter((x) => x !== '');
  const fidelities = list(flags.fidelities)?.map((f) => parseNumberFlag('--fidelities', f, { min: 0 }));
  const benchmarks = (list(flags.benchmark) ?? []).map((b) => studyPreset(b, {
    ...(flags.levels !== undefined ? { levels: positiveInt('levels', flags.levels, 4) } : {}),
    ...(flags.tasks !== undefined ? { tasks: list(flags.tasks) as string[] } : {}), ...(fidelities !== undefined ? { fidelities } : {}),
  }));
  const gamma = flags.gamma === undefined ? 0.1 : parseNumberFlag('--gamma', flags.gamma, { min: 0, max: 1, minExclusive: true });
  const bar = progressBar(err, 'landscapes');
  const onProgress = (e: StudyEvent) => {
    if (e.kind === 'evaluated' || e.kind === 'resumed') bar(e.done, e.total, undefined);
    if (e.kind === 'evaluated' && (err as { isTTY?: boolean }).isTTY !== true) err.write(`  ${e.landscape}: ${e.seconds.toFixed(1)} s (${e.done}/${e.total})\n`);
  };
  const result = await runLandscapeStudy({ benchmarks, outDir: flags.out, gamma, onProgress });
  const tables = `## Metrics (median [q25, q75] over tasks)\n\n${metricsTable(result)}\n## Comparisons\n\n${comparisonTable(result)}`;
  writeFileSync(join(flags.out, 'tables.md'), tables);
  writeFileSync(join(flags.out, 'metrics.csv'), metricsCsv(result));
  const plots = await writeStudyPlots(flags.out, result);
  out.write(`${tables}\nfiles: ${join(flags.out, 'study.json')}, tables.md, metrics.csv, landscapes/, ${plots.join(', ')}\n`);
  return 0;
}

function compare(args: readonly string[], out: NodeJS.WritableStream): number {
  const files = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--gamma');
  const flags = parseFlags(args.filter((a) => !files.includes(a)), ['gamma']);
  if (files.length !== 2) throw new Error(`compare needs two landscape files (JSON written by 'hypergrad landscape'), got ${files.length}`);
  const [a, b] = files.map((f) => {
    const j = parseNumbers(readFileSync(f, 'utf8')) as { landscape?: unknown };
    return landscapeFromJson(j.landscape ?? j, f);
  }) as [ReturnType<typeof landscapeFromJson>, ReturnType<typeof landscapeFromJson>];
  const s = compareLandscapes(a, b, { gamma: flags.gamma === undefined ? 0.1 : parseNumberFlag('--gamma', flags.gamma, { min: 0, max: 1, minExclusive: true }) });
  out.write(`${JSON.stringify({ a: a.name, b: b.name, ...s }, null, 2)}\n`);
  return 0;
}

async function warmstart(args: readonly string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const flags = parseFlags(args, ['study', 'optimizer', 'tasks', 'seeds', 'workers', 'max-time', 'out']);
  if (flags.study === undefined) throw new Error('--study is required (the directory of a finished `hypergrad landscape study --benchmark lcbench`)');
  if (flags.optimizer === undefined) throw new Error(`--optimizer is required (comma-separated, of ${WARM_START_OPTIMIZERS.join(', ')})`);
  const preset = studyPreset('lcbench');
  const full = preset.fidelities[preset.fidelities.length - 1] as number;
  const sources = new Map(LCBENCH_TASKS.map((task) => {
    const file = join(flags.study as string, 'landscapes', `${landscapeFileName(`lcbench:${task}@${full}/loss`)}.json`);
    const j = parseNumbers(readFileSync(file, 'utf8')) as { landscape: unknown };
    return [task as string, landscapeFromJson(j.landscape, file)];
  }));
  const targets = flags.tasks?.split(',').map((t) => t.trim()).filter((t) => t !== '') ?? [...LCBENCH_TASKS];
  const hours = flags['max-time'] === undefined ? 2 : parseNumberFlag('--max-time', flags['max-time'], { min: 0, minExclusive: true });
  const dir = flags.out ?? join('runs', 'landscape-warmstart');
  const checkpoints = [hours * 3600 / 8, hours * 3600];
  const bar = progressBar(err, 'warm vs cold runs');
  const runs = await warmStartComparison({
    make: (task) => lcbench(task), sources, targets, optimizers: flags.optimizer.split(',').map((x) => x.trim()),
    seeds: positiveInt('seeds', flags.seeds, 10), nWorkers: positiveInt('workers', flags.workers, 4), maxTime: hours * 3600, checkpoints,
    resultsFile: join(dir, 'runs.jsonl'), onProgress: (d, t) => bar(d, t, undefined),
  });
  const table = warmStartTable(warmStartSummary(runs, checkpoints));
  const perTask = checkpoints.map((t, c) => warmStartTaskTable(runs, c, t)).join('\n');
  writeFileSync(join(dir, 'warmstart.md'), `${table}\n${perTask}`);
  out.write(`${table}
files: ${join(dir, 'runs.jsonl')}, ${join(dir, 'warmstart.md')}
`);
  return 0;
}

/** Runs `hypergrad landscape`; returns the exit code. */
export async function landscapeCommand(args: readonly string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    out.write(`${LANDSCAPE_USAGE}\n`);
    return 0;
  }
  const [sub, ...rest] = args;
  try {
    if (sub === 'study') return await study(rest, out, err);
    if (sub === 'compare') return compare(rest, out);
    if (sub === 'warmstart') return await warmstart(rest, out, err);
    return await single(args, out, err);
  } catch (e) {
    err.write(`hypergrad landscape: ${(e as Error).message}\n`);
    return 2;
  }
}
