/**
 * `hypergrad landscape`: hyperparameter loss-landscape analysis (Huang & Li 2023) of one benchmark
 * at one fidelity, and its subcommands `study`, `compare` and `warmstart` (`landscapeStudyCommands.ts`).
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../backend/initBackend.js';
import { analyseLandscape } from '../landscape/analyseLandscape.js';
import { buildLandscape } from '../landscape/buildLandscape.js';
import { toGraphml } from '../landscape/graphml.js';
import { landscapeToJson } from '../landscape/landscape.js';
import { landscapeFileName } from '../landscape/landscapeStudy.js';
import { stringifyNumbers } from '../landscape/numbersJson.js';
import { writeLandscapePlots } from '../landscape/plots/writePlots.js';
import { parseNumberFlag } from '../util/validate.js';
import { benchmarkHelp, benchmarkValue } from './benchmarks.js';
import { defineCommand, option, progressOption } from './defineCommand.js';
import { lateProgress } from './lateProgress.js';
import { landscapeCompareCommand, landscapeStudyCommand, landscapeWarmstartCommand } from './landscapeStudyCommands.js';
import { choice, numberIn, numberText, positiveInteger, seedValue, text } from './optionValues.js';

/** A metric for the summary: four significant digits, `n/a` when undefined. */
const fmt = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(4)).toString() : 'n/a');

/** `hypergrad landscape`. */
export const landscapeCommand = defineCommand({
  name: 'landscape',
  summary: 'hyperparameter loss-landscape analysis, studies and comparisons',
  description: 'Hyperparameter loss-landscape analysis (Huang & Li 2023): a grid of levels per hyperparameter, evaluated at one fidelity; its graph '
    + '(neighbours one level apart, edges to the better one), fitness-distance correlation, random-walk autocorrelation, neutrality, local optima, '
    + 'basins and the local optima network (GraphML). Writes JSON (landscape and metrics), the local optima network as GraphML, and '
    + 'Vega-Lite plots (SVG, PNG and the *.vl.json spec).',
  experimentFile: true,
  options: {
    benchmark: option(text('NAME'), `lcbench (with --task) | ${benchmarkHelp()}`, { required: true }),
    task: option(text('T'), 'LCBench task (OpenML id), e.g. 3945'),
    levels: option(positiveInteger('L'), 'levels per numeric hyperparameter', { default: 4 }),
    fidelity: option(numberText('F'), 'fidelity to evaluate at', { defaultText: 'the full budget' }),
    objective: option(text('NAME'), 'objective to analyse', { defaultText: "the benchmark's first" }),
    direction: option(choice('DIR', ['minimize', 'maximize'] as const), 'minimize or maximize the objective', { default: 'minimize' as 'minimize' | 'maximize' }),
    walks: option(positiveInteger(), 'random walks of the autocorrelation', { default: 1000 }),
    walkLength: option(positiveInteger(), 'steps per random walk', { default: 20 }),
    seed: option(seedValue(), 'seed of the random walks', { default: 0 }),
    neutrality: option(numberIn({ min: 0, max: 1 }), 'neutrality threshold as a share of the value range', { default: 0.01 }),
    lonRadius: option(positiveInteger('R'), 'perturbation radius of the local optima network', { default: 2 }),
    out: option(text('DIR'), 'output folder', { default: join('runs', 'landscape') }),
    progress: progressOption('auto'),
  },
  subcommands: [landscapeStudyCommand, landscapeCompareCommand, landscapeWarmstartCommand],
  async run({ options: o, io, who }) {
    if (o.benchmark === 'lcbench' && o.task === undefined) throw new Error(`${who}: --benchmark lcbench needs --task (an OpenML id, e.g. 3945)`);
    const name = o.benchmark === 'lcbench' ? `lcbench:${o.task}` : o.benchmark;
    const { entry, parameter } = benchmarkValue.parse(name, { who, name: '--benchmark' });
    const benchmark = entry.make(parameter);
    if (entry.needsBackend) await initBackend();
    const fidelity = o.fidelity === undefined ? undefined : parseNumberFlag('--fidelity', o.fidelity, { min: benchmark.fidelity.min, max: benchmark.fidelity.max });
    const bar = lateProgress(`${benchmark.name} grid`, io.err, o.progress, 'eval');
    const t0 = performance.now();
    let l: Awaited<ReturnType<typeof buildLandscape>>;
    try {
      l = await buildLandscape(benchmark, {
        levels: o.levels, ...(fidelity !== undefined ? { fidelity } : {}), direction: o.direction,
        ...(o.objective !== undefined ? { objective: o.objective } : {}), onProgress: (d, t) => bar.update(d, t),
      });
    } finally {
      bar.stop();
    }
    const built = (performance.now() - t0) / 1000;
    const { metrics: m, lon, climb } = analyseLandscape(l, {
      walks: { walks: o.walks, length: o.walkLength, seed: o.seed }, neutrality: { kind: 'relative', value: o.neutrality }, lonRadius: o.lonRadius,
    });
    const analysed = (performance.now() - t0) / 1000 - built;
    mkdirSync(o.out, { recursive: true });
    const base = join(o.out, landscapeFileName(l.name));
    writeFileSync(`${base}.json`, `${stringifyNumbers({ landscape: landscapeToJson(l), metrics: m })}\n`);
    writeFileSync(`${base}-lon.graphml`, toGraphml(lon));
    const plots = await writeLandscapePlots(base, l, m, climb);
    io.out.write(`${l.name}: ${m.nodes} configurations, ${m.neighbourPairs} neighbour pairs (built in ${built.toFixed(1)} s, analysed in ${analysed.toFixed(1)} s)\n`
      + `best ${fmt(m.best.value)} at ${JSON.stringify(m.best.config)}\n`
      + `FDC ${fmt(m.fdc)}  rho(1) ${fmt(m.autocorrelation.rho)}  correlation length ${fmt(m.autocorrelation.correlationLength)}  neutrality ${fmt(m.neutrality)} (eps ${fmt(m.neutralityThreshold.epsilon)})  NDC ${fmt(m.ndc)}\n`
      + `local optima ${m.basins.localOptima} (share ${fmt(m.basins.localOptimaShare)}), mean basin ${fmt(m.basins.meanBasinSize)}, global basin share ${fmt(m.basins.globalBasinShare)}, mean climb ${fmt(m.basins.meanWalkLength)} moves\n`
      + `local optima network: ${m.lon.nodes} optima, ${m.lon.edges} escape edges (radius ${m.lon.radius})\n`
      + `files: ${base}.json, ${base}-lon.graphml, ${plots.join(', ')}\n`);
    return 0;
  },
});
