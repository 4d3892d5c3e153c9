import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { incumbentBand } from '../simulator/compare.js';
import type { FreezeThawOptions } from '../hpo/freezeThawBo.js';
import { isFreezeThaw, makeFreezeThaw } from '../hpo/freezeThawOptimizers.js';
import { writeIncumbentPlot } from '../plot/incumbentPlot.js';
import type { Benchmark } from '../hpo/types.js';
import type { SimulationRecord } from '../simulator/types.js';
import { type ZooBenchmark, isZooBenchmark } from './zooBenchmark.js';
import { TARGET_TASKS } from './zooSpec.js';
import { formatZooSummary, scoreZooRuns, summarizeZooScores } from './zooReport.js';

/** The paper's reported Kendall tau (Mehta et al. 2024): FMS against DyHPO on three hubs. */
export const PAPER_TAU: readonly PaperTau[] = [
  { hub: 'small-CNN hub', fms: 0.92, dyhpo: 0.77 },
  { hub: 'pretrained hub 1', fms: 0.9, dyhpo: 0.76 },
  { hub: 'pretrained hub 2', fms: 0.91, dyhpo: 0.78 },
];

/** One of the paper's reported Kendall tau pairs. */
export interface PaperTau {
  /** The model hub. */
  hub: string;
  /** FMS's tau. */
  fms: number;
  /** DyHPO's. */
  dyhpo: number;
}

/** The forecasts are fitted from scratch on the records that arrived: 100 steps rather than a run's 50 + 5 per observation. */
export const FORECAST_SCHEDULE: Partial<Pick<FreezeThawOptions, 'fitSteps'>> = { fitSteps: 100 };

/**
 * The zoo part of `hypergrad hpo`: scores every run at 50% and 100% of the budget (regret from
 * the table's best; Kendall tau of each model's forecast against the true final ranking of all
 * tabulated configurations), tests each optimizer against DyHPO (one-sided Mann-Whitney), prints
 * the table, and writes `zoo-summary.json` and a plot of the median regret over simulated time.
 */
export async function writeZooReport(zoo: ZooBenchmark, runs: ReadonlyMap<string, SimulationRecord[][]>, budget: number, dir: string, out: NodeJS.WritableStream): Promise<void> {
  const factory = (name: string, seed: number) => (isFreezeThaw(name) ? makeFreezeThaw(name, zoo, seed, FORECAST_SCHEDULE) : null);
  const scores = scoreZooRuns(zoo, runs, budget, factory);
  const rows = summarizeZooScores(scores);
  out.write(`\nregret (validation error minus the table's best, ${(zoo.bestLoss as number).toFixed(4)}) and Kendall tau of each model's forecast of the final error against the truth over all ${zoo.candidates?.length} tabulated configurations, medians over seeds; one-sided Mann-Whitney p-values against dyhpo\n`);
  out.write(`${formatZooSummary(rows)}\n`);
  out.write(`paper (Mehta et al. 2024), Kendall tau fms / dyhpo: ${PAPER_TAU.map((v) => `${v.hub} ${v.fms} / ${v.dyhpo}`).join('; ')}\n`);
  const file = join(dir, 'zoo-summary.json');
  writeFileSync(file, `${JSON.stringify({ benchmark: zoo.name, budgetSeconds: budget, bestLoss: zoo.bestLoss, rows, perSeed: Object.fromEntries(scores), paperTau: PAPER_TAU }, null, 2)}\n`);
  const best = zoo.bestLoss as number;
  const series = [...runs].map(([label, rs]) => {
    const band = incumbentBand(rs.map((r) => r.map((x) => ({ ...x, values: { ...x.values, loss: (x.values.loss as number) - best } }))));
    return { label, times: band.times, values: band.median, lower: band.lower, upper: band.upper };
  });
  const plots = await writeIncumbentPlot(join(dir, 'regret'), series, { title: `${zoo.name}: median regret and quartiles over seeds`, yLabel: 'regret (validation error)' });
  out.write(`zoo summary: ${file}\nplots: ${plots.join(', ')}\n`);
}

/** The zoo's tasks for `--help`: `zoo tasks: mirror (default), rotated180, inverted`. */
export const ZOO_TASK_HELP = `zoo tasks: ${TARGET_TASKS.map((t, i) => (i === 0 ? `${t.name} (default)` : t.name)).join(', ')}`;

/**
 * What `hypergrad hpo` does for the zoo benchmarks (the hooks of their entries in the CLI's
 * benchmark table): the backend is initialised (the live mode trains, the checkpoints are tfjs
 * weights), a run without `--max-time` gets the zoo's budget (`defaultBudget`, 50 mean epochs per
 * worker), and a tabulated zoo adds the report of {@link writeZooReport} once the runs are done.
 */
export const ZOO_CLI = {
  needsBackend: true,
  defaultMaxHours: (b: Benchmark): number => {
    if (!isZooBenchmark(b)) throw new Error(`ZOO_CLI.defaultMaxHours: '${b.name}' is not a zoo benchmark`);
    return b.defaultBudget / 3600;
  },
  report: async (b: Benchmark, runs: ReadonlyMap<string, SimulationRecord[][]>, at: { budgetSeconds?: number; dir: string; out: NodeJS.WritableStream }): Promise<void> => {
    if (isZooBenchmark(b) && b.mode === 'tabulated' && at.budgetSeconds !== undefined) await writeZooReport(b, runs, at.budgetSeconds, at.dir, at.out);
  },
};
