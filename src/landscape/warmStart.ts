import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { makeOptimizer } from '../hpo/registry.js';
import { incumbentAt } from '../simulator/compare.js';
import { mannWhitneyLess } from '../hpo/stats.js';
import type { Benchmark } from '../hpo/types.js';
import { simulate } from '../simulator/simulate.js';
import type { Config } from '../hpo/types.js';
import { checkInteger, checkNumber } from '../util/validate.js';
import type { Landscape } from './landscape.js';
import { quantile } from './rankCorrelation.js';
import { type ProbeOptions, type TransferOptions, probeTarget, transferConfigs } from './transfer.js';

/** The optimizers a warm start applies to. */
export const WARM_START_OPTIMIZERS = ['random', 'tpe', 'bohb'] as const;

/** Options of {@link warmStartComparison}. */
export interface WarmStartOptions {
  /** Each task's benchmark. */
  make: (task: string) => Benchmark;
  /** Each task's full-fidelity landscape (the sources; a target's own is left out). */
  sources: ReadonlyMap<string, Landscape>;
  /** The held-out target tasks. */
  targets: readonly string[];
  /** Optimizers, from {@link WARM_START_OPTIMIZERS}. */
  optimizers: readonly string[];
  /** Seeds 0..seeds-1 per task, optimizer and start; default 10. */
  seeds?: number;
  /** Simulated workers; default 4. */
  nWorkers?: number;
  /** Simulated seconds per run, the probe included for warm starts. */
  maxTime: number;
  /** Times (simulated seconds) at which incumbents are compared; default `[maxTime / 8, maxTime]`. */
  checkpoints?: readonly number[];
  /** The probe of the target; default 32 configurations at the lowest fidelity. */
  probe?: ProbeOptions;
  /** How many configurations are transferred; default 3 sources x 4. */
  transfer?: TransferOptions;
  /** JSON-lines file of finished runs: appended as each ends, read back to resume. */
  resultsFile?: string;
  /** Called after each run. */
  onProgress?: (done: number, total: number) => void;
}

/** One finished run of {@link warmStartComparison}. */
export interface WarmStartRun {
  /** Target task. */
  task: string;
  /** Optimizer. */
  optimizer: string;
  /** `cold` (no transfer) or `warm`. */
  start: 'cold' | 'warm';
  /** Seed. */
  seed: number;
  /** Simulated seconds spent on the probe before the search (warm only; else 0). */
  probeTime: number;
  /** The incumbent (the best value told so far, at whatever fidelity) at each checkpoint; NaN before the first result. */
  incumbents: number[];
  /** Results the search told. */
  evaluations: number;
}

const runKey = (r: Pick<WarmStartRun, 'task' | 'optimizer' | 'start' | 'seed'>) => `${r.task}|${r.optimizer}|${r.start}|${r.seed}`;

/**
 * Warm starts against cold starts, leave-one-task-out, on the simulated clock: for each held-out
 * target, a cheap probe (default 32 grid configurations at the lowest fidelity) is run on `nWorkers`
 * simulated workers; its makespan is charged to every warm run, which then starts from
 * `transferConfigs` of the other tasks' landscapes (the most similar sources' best configurations).
 * Cold runs start from nothing. Both run `maxTime` simulated seconds in all; incumbents (the best
 * value told so far, any fidelity) are read at each checkpoint. Runs are appended to `resultsFile`
 * as they finish, so a cut-off comparison resumes.
 */
export async function warmStartComparison(o: WarmStartOptions): Promise<WarmStartRun[]> {
  const seeds = checkInteger('warmStartComparison', 'seeds', o.seeds ?? 10, { min: 1 });
  const nWorkers = checkInteger('warmStartComparison', 'nWorkers', o.nWorkers ?? 4, { min: 1 });
  const maxTime = checkNumber('warmStartComparison', 'maxTime', o.maxTime, { min: 0, minExclusive: true });
  const checkpoints = o.checkpoints ?? [maxTime / 8, maxTime];
  checkpoints.forEach((t, i) => checkNumber('warmStartComparison', `checkpoints[${i}]`, t, { min: 0, max: maxTime, minExclusive: true }));
  for (const name of o.optimizers) {
    if (!(WARM_START_OPTIMIZERS as readonly string[]).includes(name)) throw new Error(`warmStartComparison: optimizers must be among ${WARM_START_OPTIMIZERS.join(', ')}, got '${name}'`);
  }
  const done = new Map<string, WarmStartRun>();
  if (o.resultsFile !== undefined) {
    mkdirSync(dirname(o.resultsFile), { recursive: true });
    if (existsSync(o.resultsFile)) {
      for (const line of readFileSync(o.resultsFile, 'utf8').split('\n')) {
        try {
          const r = JSON.parse(line, (_k, v: unknown) => (v === null ? Number.NaN : v)) as WarmStartRun;
          done.set(runKey(r), r);
        } catch {
          // an empty or cut-off line
        }
      }
    }
  }
  const total = o.targets.length * o.optimizers.length * 2 * seeds;
  const out: WarmStartRun[] = [];
  for (const task of o.targets) {
    const bench = o.make(task);
    const target = o.sources.get(task);
    if (target === undefined) throw new Error(`warmStartComparison: no landscape for target task '${task}' (its grid defines the probe)`);
    const sources = [...o.sources].filter(([t]) => t !== task).map(([, l]) => l);
    let warm: { configs: Config[]; probeTime: number } | null = null;
    for (const optimizer of o.optimizers) {
      for (const start of ['cold', 'warm'] as const) {
        for (let seed = 0; seed < seeds; seed++) {
          const key = runKey({ task, optimizer, start, seed });
          const old = done.get(key);
          if (old !== undefined) {
            out.push(old);
            o.onProgress?.(out.length, total);
            continue;
          }
          if (start === 'warm' && warm === null) {
            const probe = await probeTarget(bench, target.grid, o.probe);
            const configs = probe.configs;
            let k = 0;
            const { records } = await simulate({
              objective: bench.objective, nWorkers, nEvals: configs.length, chargeSamplingTime: false,
              optimizer: { ask: () => ({ config: configs[k++ % configs.length] as Config, fidelity: probe.fidelity }), tell: () => {} },
            });
            warm = { configs: transferConfigs(probe, sources, o.transfer).configs, probeTime: records.reduce((m, r) => Math.max(m, r.cumtime), 0) };
          }
          const probeTime = start === 'warm' ? (warm as { probeTime: number }).probeTime : 0;
          const opt = makeOptimizer(optimizer, bench, seed, start === 'warm' ? { initialConfigs: (warm as { configs: Config[] }).configs } : {});
          const { records } = await simulate({
            objective: bench.objective, optimizer: opt, nWorkers, nEvals: 1_000_000, seed, continualMaxFidelity: bench.fidelity.max,
            chargeSamplingTime: false, maxTotalEvalTime: Math.max(1e-9, maxTime - probeTime),
          });
          const objective = bench.objectives[0] ?? 'loss';
          const run: WarmStartRun = {
            task, optimizer, start, seed, probeTime, evaluations: records.length,
            incumbents: checkpoints.map((t) => (t <= probeTime ? Number.NaN : incumbentAt(records, t - probeTime, objective))),
          };
          if (o.resultsFile !== undefined) appendFileSync(o.resultsFile, `${JSON.stringify(run)}\n`);
          out.push(run);
          o.onProgress?.(out.length, total);
        }
      }
    }
  }
  return out;
}

/** One row of {@link warmStartTable}: an optimizer at a checkpoint, over the targets. */
export interface WarmStartSummary {
  /** Optimizer. */
  optimizer: string;
  /** Checkpoint (simulated seconds). */
  time: number;
  /** Targets. */
  tasks: number;
  /** Median over targets of (median warm incumbent) / (median cold incumbent). */
  medianRatio: number;
  /** Targets where the warm median is lower than the cold median. */
  warmBetter: number;
  /** Targets where warm is lower with one-sided Mann-Whitney p < 0.05. */
  warmSignificant: number;
  /** Targets where cold is lower with p < 0.05. */
  coldSignificant: number;
}

/** Per optimizer and checkpoint: how warm starts compare with cold ones over the targets (see {@link WarmStartSummary}). */
export function warmStartSummary(runs: readonly WarmStartRun[], checkpoints: readonly number[]): WarmStartSummary[] {
  const out: WarmStartSummary[] = [];
  const optimizers = [...new Set(runs.map((r) => r.optimizer))];
  const tasks = [...new Set(runs.map((r) => r.task))];
  for (const optimizer of optimizers) {
    checkpoints.forEach((time, c) => {
      const ratios: number[] = [];
      let warmBetter = 0;
      let warmSignificant = 0;
      let coldSignificant = 0;
      for (const task of tasks) {
        const pick = (start: string) => runs.filter((r) => r.task === task && r.optimizer === optimizer && r.start === start).map((r) => r.incumbents[c] as number);
        // A run without a result by the checkpoint counts as worst (Infinity).
        const warm = pick('warm').map((v) => (Number.isNaN(v) ? Infinity : v));
        const cold = pick('cold').map((v) => (Number.isNaN(v) ? Infinity : v));
        if (warm.length === 0 || cold.length === 0) continue;
        const mw = quantile(warm, 0.5);
        const mc = quantile(cold, 0.5);
        ratios.push(mw / mc);
        if (mw < mc) warmBetter++;
        if (mannWhitneyLess(warm, cold).p < 0.05) warmSignificant++;
        if (mannWhitneyLess(cold, warm).p < 0.05) coldSignificant++;
      }
      out.push({ optimizer, time, tasks: ratios.length, medianRatio: quantile(ratios, 0.5), warmBetter, warmSignificant, coldSignificant });
    });
  }
  return out;
}

/** {@link warmStartSummary} as a Markdown table. */
export function warmStartTable(summary: readonly WarmStartSummary[]): string {
  const rows = summary.map((s) => `| ${s.optimizer} | ${(s.time / 3600).toPrecision(3)} h | ${s.tasks} | ${s.medianRatio.toFixed(3)} | ${s.warmBetter} / ${s.tasks} | ${s.warmSignificant} | ${s.coldSignificant} |`);
  return `${['| optimizer | simulated time | targets | median warm/cold incumbent | warm median lower | warm better (p < 0.05) | cold better (p < 0.05) |', '|---|---|---|---|---|---|---|', ...rows].join('\n')}\n`;
}

/**
 * Per target task, at one checkpoint: the median incumbent of cold and of warm starts per
 * optimizer and the one-sided Mann-Whitney p-value that warm is lower. Markdown.
 */
export function warmStartTaskTable(runs: readonly WarmStartRun[], checkpoint: number, time: number): string {
  const optimizers = [...new Set(runs.map((r) => r.optimizer))];
  const tasks = [...new Set(runs.map((r) => r.task))];
  const head = `| task | ${optimizers.map((o) => `${o} cold | ${o} warm | p`).join(' | ')} |`;
  const rule = `|---|${optimizers.map(() => '---|---|---').join('|')}|`;
  const rows = tasks.map((task) => {
    const cells = optimizers.map((optimizer) => {
      const pick = (start: string) => runs.filter((r) => r.task === task && r.optimizer === optimizer && r.start === start).map((r) => {
        const v = r.incumbents[checkpoint] as number;
        return Number.isNaN(v) ? Infinity : v;
      });
      const cold = pick('cold');
      const warm = pick('warm');
      return `${quantile(cold, 0.5).toPrecision(4)} | ${quantile(warm, 0.5).toPrecision(4)} | ${mannWhitneyLess(warm, cold).p.toPrecision(2)}`;
    });
    return `| ${task} | ${cells.join(' | ')} |`;
  });
  return `Median incumbent over seeds at ${(time / 3600).toPrecision(3)} simulated hours; p: one-sided Mann-Whitney, warm lower.\n\n${[head, rule, ...rows].join('\n')}\n`;
}
