/**
 * The subcommands of `hypergrad landscape`: `study` (landscapes over benchmarks, tasks and
 * fidelities, resumable, with tables and plots), `compare` (two landscape files over the same grid)
 * and `warmstart` (HPO warm-started from similar landscapes against cold starts).
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareLandscapes } from '../landscape/compareLandscapes.js';
import { landscapeFromJson } from '../landscape/landscape.js';
import { type StudyEvent, landscapeFileName, runLandscapeStudy } from '../landscape/landscapeStudy.js';
import { parseNumbers } from '../landscape/numbersJson.js';
import { writeStudyPlots } from '../landscape/plots/writePlots.js';
import { STUDY_PRESETS, studyPreset } from '../landscape/studyPresets.js';
import { comparisonTable, metricsCsv, metricsTable } from '../landscape/studyTables.js';
import { WARM_START_OPTIMIZERS, warmStartComparison, warmStartSummary, warmStartTable, warmStartTaskTable } from '../landscape/warmStart.js';
import { LCBENCH_TASKS, lcbench } from '../simulator/benchmarks/lcbench.js';
import { defineCommand, option, progressOption } from './defineCommand.js';
import { lateProgress } from './lateProgress.js';
import { list, numberIn, positiveInteger, positiveNumber, text } from './optionValues.js';

const gamma = () => option(numberIn({ min: 0, max: 1, minExclusive: true }, 'G'), 'share of top configurations compared', { default: 0.1 });

/** `hypergrad landscape study`. */
export const landscapeStudyCommand = defineCommand({
  name: 'study',
  summary: 'landscapes of benchmarks over tasks and fidelities, with tables and plots; resumes where it stopped',
  description: 'Builds and analyses the landscapes of each benchmark preset (every task, every fidelity), writing one file per landscape as it goes '
    + '(a second run resumes where the first stopped), then compares them (across fidelities and tasks) into tables.md, metrics.csv and plots.',
  experimentFile: true,
  options: {
    benchmark: option(list('LIST'), `comma-separated, of ${STUDY_PRESETS.join(', ')}`, { required: true }),
    out: option(text('DIR'), 'the study folder; an existing study there is resumed', { required: true }),
    levels: option(positiveInteger('L'), 'levels per numeric hyperparameter', { defaultText: 'per preset' }),
    tasks: option(list('LIST'), 'only these LCBench tasks'),
    fidelities: option(list('LIST'), 'comma-separated, increasing', { defaultText: 'per preset' }),
    gamma: gamma(),
    progress: progressOption('auto'),
  },
  async run({ options: o, io, who }) {
    const fidelities = o.fidelities?.map((f) => numberIn({ min: 0 }).parse(f, { who, name: '--fidelities' }));
    const benchmarks = o.benchmark.map((b) => studyPreset(b, {
      ...(o.levels !== undefined ? { levels: o.levels } : {}), ...(o.tasks !== undefined ? { tasks: o.tasks } : {}), ...(fidelities !== undefined ? { fidelities } : {}),
    }));
    const bar = lateProgress('landscapes', io.err, o.progress, 'landscape');
    const onProgress = (e: StudyEvent) => {
      if (e.kind === 'evaluated' || e.kind === 'resumed') bar.update(e.done, e.total);
      // Logs (not a terminal) also get each landscape's time.
      if (e.kind === 'evaluated' && o.progress !== 'off' && (io.err as { isTTY?: boolean }).isTTY !== true) io.err.write(`  ${e.landscape}: ${e.seconds.toFixed(1)} s (${e.done}/${e.total})\n`);
    };
    let result: Awaited<ReturnType<typeof runLandscapeStudy>>;
    try {
      result = await runLandscapeStudy({ benchmarks, outDir: o.out, gamma: o.gamma, onProgress });
    } finally {
      bar.stop();
    }
    const tables = `## Metrics (median [q25, q75] over tasks)\n\n${metricsTable(result)}\n## Comparisons\n\n${comparisonTable(result)}`;
    writeFileSync(join(o.out, 'tables.md'), tables);
    writeFileSync(join(o.out, 'metrics.csv'), metricsCsv(result));
    const plots = await writeStudyPlots(o.out, result);
    io.out.write(`${tables}\nfiles: ${join(o.out, 'study.json')}, tables.md, metrics.csv, landscapes/, ${plots.join(', ')}\n`);
    return 0;
  },
});

/** `hypergrad landscape compare A.json B.json`. */
export const landscapeCompareCommand = defineCommand({
  name: 'compare',
  summary: 'compare two landscapes over the same grid (rank correlations, top-configuration overlap), as JSON',
  arguments: [
    { name: 'a', description: "a landscape file (JSON written by 'hypergrad landscape')" },
    { name: 'b', description: 'another, over the same grid' },
  ],
  options: { gamma: gamma() },
  run({ args, options: o, io, who }) {
    const files = [args.a, args.b].filter((f) => f !== undefined);
    if (files.length !== 2) throw new Error(`${who}: compare needs two landscape files (JSON written by 'hypergrad landscape'), got ${files.length}`);
    const [a, b] = files.map((f) => {
      const j = parseNumbers(readFileSync(f, 'utf8')) as { landscape?: unknown };
      return landscapeFromJson(j.landscape ?? j, f);
    }) as [ReturnType<typeof landscapeFromJson>, ReturnType<typeof landscapeFromJson>];
    io.out.write(`${JSON.stringify({ a: a.name, b: b.name, ...compareLandscapes(a, b, { gamma: o.gamma }) }, null, 2)}\n`);
    return 0;
  },
});

/** `hypergrad landscape warmstart`. */
export const landscapeWarmstartCommand = defineCommand({
  name: 'warmstart',
  summary: 'HPO on LCBench warm-started from the most similar landscapes of a study, against cold starts',
  description: 'For each target task, probes a few configurations, ranks the other tasks of a finished LCBench study by landscape similarity, '
    + 'and starts the optimizers from the best configurations of the most similar; compares warm against cold runs in simulated time.',
  experimentFile: true,
  options: {
    study: option(text('DIR'), "a finished 'hypergrad landscape study --benchmark lcbench' (its full-fidelity landscapes are the sources)", { required: true }),
    optimizer: option(list('LIST', () => WARM_START_OPTIMIZERS), `comma-separated, of ${WARM_START_OPTIMIZERS.join(', ')}`, { required: true }),
    tasks: option(list('LIST'), 'target LCBench tasks', { defaultText: 'all 34' }),
    seeds: option(positiveInteger('S'), 'seeds per task', { default: 10 }),
    workers: option(positiveInteger(), 'simulated parallel workers', { default: 4 }),
    maxTime: option(positiveNumber('HOURS'), 'simulated hours per run', { default: 2 }),
    out: option(text('DIR'), 'output folder', { default: join('runs', 'landscape-warmstart') }),
    progress: progressOption('auto'),
  },
  async run({ options: o, io }) {
    const preset = studyPreset('lcbench');
    const full = preset.fidelities[preset.fidelities.length - 1] as number;
    const sources = new Map(LCBENCH_TASKS.map((task) => {
      const file = join(o.study, 'landscapes', `${landscapeFileName(`lcbench:${task}@${full}/loss`)}.json`);
      const j = parseNumbers(readFileSync(file, 'utf8')) as { landscape: unknown };
      return [task as string, landscapeFromJson(j.landscape, file)];
    }));
    const checkpoints = [o.maxTime * 3600 / 8, o.maxTime * 3600];
    const bar = lateProgress('warm vs cold runs', io.err, o.progress, 'run');
    let runs: Awaited<ReturnType<typeof warmStartComparison>>;
    try {
      runs = await warmStartComparison({
        make: (task) => lcbench(task), sources, targets: o.tasks ?? [...LCBENCH_TASKS], optimizers: o.optimizer,
        seeds: o.seeds, nWorkers: o.workers, maxTime: o.maxTime * 3600, checkpoints, resultsFile: join(o.out, 'runs.jsonl'), onProgress: (d, t) => bar.update(d, t),
      });
    } finally {
      bar.stop();
    }
    const table = warmStartTable(warmStartSummary(runs, checkpoints));
    const perTask = checkpoints.map((t, c) => warmStartTaskTable(runs, c, t)).join('\n');
    writeFileSync(join(o.out, 'warmstart.md'), `${table}\n${perTask}`);
    io.out.write(`${table}\nfiles: ${join(o.out, 'runs.jsonl')}, ${join(o.out, 'warmstart.md')}\n`);
    return 0;
  },
});
