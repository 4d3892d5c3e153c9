import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Benchmark } from '../hpo/types.js';
import { checkNumber, checkSeed } from '../util/validate.js';
import { type AnalyseOptions, type LandscapeMetrics, analyseLandscape } from './analyseLandscape.js';
import { evaluateGrid } from './buildLandscape.js';
import { type LandscapeSimilarity, compareLandscapes } from './compareLandscapes.js';
import { type GridOptions, landscapeGrid } from './grid.js';
import { type Direction, type Landscape, type LandscapeJson, landscapeFromJson, landscapeOf, landscapeToJson } from './landscape.js';
import { parseNumbers, stringifyNumbers } from './numbersJson.js';

/** An objective of a study, with the direction it is optimised in. */
export interface StudyObjective {
  /** The name the benchmark reports it under. */
  name: string;
  /** Default `minimize`. */
  direction?: Direction;
}

/** Two objectives measured on different splits of the data (e.g. validation and test), compared at the full fidelity. */
export interface StudySplitPair {
  /** A label, e.g. `validation vs test (balanced accuracy)`. */
  label: string;
  /** The first split's objective. */
  a: StudyObjective;
  /** The second split's objective. */
  b: StudyObjective;
}

/** One benchmark family of a study: its tasks, grid, fidelities and objectives. */
export interface StudyBenchmark {
  /** A group name, e.g. `lcbench`. */
  group: string;
  /** Its tasks (datasets); `['-']` for a benchmark without tasks. */
  tasks: readonly string[];
  /** Builds the benchmark of a task. */
  make: (task: string) => Benchmark | Promise<Benchmark>;
  /** Levels of the grid. */
  levels: GridOptions['levels'];
  /** Fidelities, increasing; the last is the full fidelity the others are compared with. */
  fidelities: readonly number[];
  /** The objective whose landscapes are analysed and compared across fidelities and tasks. */
  objective: StudyObjective;
  /** Split pairs compared at the full fidelity. */
  splits?: readonly StudySplitPair[];
  /** Seed of every evaluation; default 0. */
  seed?: number;
}

/** Progress through a study's evaluation units (one grid evaluation each). */
interface UnitProgress {
  /** The unit's first landscape. */
  landscape: string;
  /** Units done. */
  done: number;
  /** Units in all. */
  total: number;
}

/** A unit read back from its files. */
export interface StudyResumed extends UnitProgress {
  /** Discriminant. */
  kind: 'resumed';
}

/** A unit about to be evaluated. */
export interface StudyEvaluating extends UnitProgress {
  /** Discriminant. */
  kind: 'evaluating';
  /** Configurations of its grid. */
  configs: number;
}

/** A unit evaluated, analysed and written. */
export interface StudyEvaluated extends UnitProgress {
  /** Discriminant. */
  kind: 'evaluated';
  /** Wall seconds it took. */
  seconds: number;
}

/** The comparisons are starting. */
export interface StudyComparing {
  /** Discriminant. */
  kind: 'comparing';
  /** Comparisons to make. */
  pairs: number;
}

/** What a study reports as it goes. */
export type StudyEvent = StudyResumed | StudyEvaluating | StudyEvaluated | StudyComparing;

/** Options of {@link runLandscapeStudy}. */
export interface StudyOptions {
  /** The benchmark families. */
  benchmarks: readonly StudyBenchmark[];
  /** Where the landscapes, metrics and tables go; a study already there is resumed. */
  outDir: string;
  /** Metric options. */
  analyse?: AnalyseOptions;
  /** Top share of the comparisons; default 0.1. */
  gamma?: number;
  /** Progress events. */
  onProgress?: (e: StudyEvent) => void;
}

/** One comparison of two landscapes. */
export interface StudyComparison extends LandscapeSimilarity {
  /** `fidelity`, `task` or `split`. */
  kind: 'fidelity' | 'task' | 'split';
  /** The benchmark group. */
  group: string;
  /** What is compared, e.g. `6 vs 52` (fidelities), `3945 vs 7593` (tasks), a split label. */
  label: string;
  /** The first landscape. */
  a: string;
  /** The second landscape. */
  b: string;
}

/** A landscape's metrics with where it sits in the study. */
export interface StudyMetrics extends LandscapeMetrics {
  /** Benchmark group. */
  group: string;
  /** Task (`-` for none). */
  task: string;
  /** Fidelity. */
  fidelity: number;
  /** Objective. */
  objective: string;
}

/** What {@link runLandscapeStudy} returns (and writes to `study.json`). */
export interface StudyResult {
  /** Metrics of every analysed landscape. */
  metrics: StudyMetrics[];
  /** Every comparison. */
  comparisons: StudyComparison[];
}

/** The file name (without `.json`) a study gives a landscape: its name with runs of other characters than `[A-Za-z0-9_.-]` as `_`. */
export const landscapeFileName = (name: string): string => name.replace(/[^A-Za-z0-9_.-]+/g, '_');

/** A landscape file: the landscape and (for analysed ones) its metrics. */
interface StoredLandscape { landscape: LandscapeJson; metrics: LandscapeMetrics | null }

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

function readStored(path: string): StoredLandscape | null {
  if (!existsSync(path)) return null;
  try {
    const s = parseNumbers(readFileSync(path, 'utf8')) as StoredLandscape;
    landscapeFromJson(s.landscape, path);
    return s;
  } catch {
    return null; // a torn or foreign file is rebuilt
  }
}

interface Unit { b: StudyBenchmark; task: string; fidelity: number; objectives: StudyObjective[]; analysed: Set<string> }

const unitName = (b: StudyBenchmark, task: string, fidelity: number, objective: string) => `${b.group}${task === '-' ? '' : `:${task}`}@${fidelity}/${objective}`;

/**
 * Runs a landscape study in the manner of Huang & Li (2023): for every benchmark, task and fidelity,
 * evaluates the grid once (batched), keeps one landscape per objective it needs, analyses the main
 * objective's landscapes (`analyseLandscape`) and compares (`compareLandscapes`) every pair of
 * fidelities of a task, every pair of tasks at the full fidelity, and each split pair. Each landscape is
 * written to `outDir/landscapes/` as soon as it is evaluated (an atomic rename), so a study cut off
 * midway resumes where it stopped; `study.json` holds the metrics and comparisons at the end
 * (non-finite numbers as strings, see `parseNumbers`).
 */
export async function runLandscapeStudy(o: StudyOptions): Promise<StudyResult> {
  const gamma = checkNumber('runLandscapeStudy', 'gamma', o.gamma ?? 0.1, { min: 0, max: 1, minExclusive: true });
  const dir = join(o.outDir, 'landscapes');
  mkdirSync(dir, { recursive: true });
  const units: Unit[] = [];
  for (const b of o.benchmarks) {
    if (b.fidelities.length === 0 || b.fidelities.some((f, i) => i > 0 && f <= (b.fidelities[i - 1] as number))) {
      throw new Error(`runLandscapeStudy: ${b.group}.fidelities must be non-empty and increasing, got ${JSON.stringify(b.fidelities)}`);
    }
    checkSeed('runLandscapeStudy', `${b.group}.seed`, b.seed ?? 0);
    const full = b.fidelities[b.fidelities.length - 1] as number;
    for (const task of b.tasks) {
      for (const fidelity of b.fidelities) {
        const objectives = [b.objective, ...(fidelity === full ? (b.splits ?? []).flatMap((s) => [s.a, s.b]) : [])];
        const unique = objectives.filter((ob, i) => objectives.findIndex((x) => x.name === ob.name) === i);
        units.push({ b, task, fidelity, objectives: unique, analysed: new Set([b.objective.name]) });
      }
    }
  }
  const total = units.length;
  const landscapes = new Map<string, Landscape>();
  const metrics: StudyResult['metrics'] = [];
  let done = 0;
  for (const u of units) {
    const names = u.objectives.map((ob) => unitName(u.b, u.task, u.fidelity, ob.name));
    const paths = names.map((n) => join(dir, `${landscapeFileName(n)}.json`));
    let stored = paths.map(readStored);
    if (stored.every((s) => s !== null)) {
      done++;
      o.onProgress?.({ kind: 'resumed', landscape: names[0] as string, done, total });
    } else {
      const t0 = performance.now();
      const benchmark = await u.b.make(u.task);
      const grid = landscapeGrid(benchmark.searchSpace, { levels: u.b.levels });
      o.onProgress?.({ kind: 'evaluating', landscape: names[0] as string, configs: grid.size, done, total });
      const values = await evaluateGrid(benchmark, grid, { fidelity: u.fidelity, seed: u.b.seed ?? 0 });
      stored = u.objectives.map((ob, k) => {
        const v = values[ob.name];
        if (v === undefined) throw new Error(`runLandscapeStudy: ${benchmark.name} reports no '${ob.name}'; it reports ${Object.keys(values).join(', ')}`);
        const l = landscapeOf(grid, v, { name: names[k] as string, objective: ob.name, direction: ob.direction ?? 'minimize', fidelity: u.fidelity });
        const m = u.analysed.has(ob.name) ? analyseLandscape(l, o.analyse).metrics : null;
        const text = stringifyNumbers({ landscape: landscapeToJson(l), metrics: m });
        writeAtomic(paths[k] as string, text);
        return parseNumbers(text) as StoredLandscape; // exactly what a resumed study reads
      });
      done++;
      o.onProgress?.({ kind: 'evaluated', landscape: names[0] as string, done, total, seconds: (performance.now() - t0) / 1000 });
    }
    stored.forEach((s, k) => {
      const ob = u.objectives[k] as StudyObjective;
      landscapes.set(names[k] as string, landscapeFromJson((s as StoredLandscape).landscape));
      const m = (s as StoredLandscape).metrics;
      if (m !== null && u.analysed.has(ob.name)) metrics.push({ ...m, group: u.b.group, task: u.task, fidelity: u.fidelity, objective: ob.name });
    });
  }
  const comparisons = studyComparisons(o.benchmarks, landscapes, gamma, o.onProgress);
  const result: StudyResult = { metrics, comparisons };
  writeAtomic(join(o.outDir, 'study.json'), `${stringifyNumbers(result, 1)}\n`);
  return result;
}

/** The fidelity, task and split comparisons of a study's landscapes. */
function studyComparisons(benchmarks: readonly StudyBenchmark[], ls: Map<string, Landscape>, gamma: number, onProgress?: (e: StudyEvent) => void): StudyComparison[] {
  const plan: { kind: StudyComparison['kind']; group: string; label: string; a: string; b: string }[] = [];
  for (const b of benchmarks) {
    const full = b.fidelities[b.fidelities.length - 1] as number;
    const main = b.objective.name;
    for (const task of b.tasks) {
      b.fidelities.forEach((f1, i) => b.fidelities.slice(i + 1).forEach((f2) => {
        plan.push({ kind: 'fidelity', group: b.group, label: `${f1} vs ${f2}`, a: unitName(b, task, f1, main), b: unitName(b, task, f2, main) });
      }));
      for (const s of b.splits ?? []) plan.push({ kind: 'split', group: b.group, label: s.label, a: unitName(b, task, full, s.a.name), b: unitName(b, task, full, s.b.name) });
    }
    b.tasks.forEach((t1, i) => b.tasks.slice(i + 1).forEach((t2) => {
      plan.push({ kind: 'task', group: b.group, label: `${t1} vs ${t2}`, a: unitName(b, t1, full, main), b: unitName(b, t2, full, main) });
    }));
  }
  onProgress?.({ kind: 'comparing', pairs: plan.length });
  return plan.map((p) => ({ ...p, ...compareLandscapes(ls.get(p.a) as Landscape, ls.get(p.b) as Landscape, { gamma }) }));
}
