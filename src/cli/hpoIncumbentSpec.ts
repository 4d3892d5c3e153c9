import { incumbentBand } from '../simulator/compare.js';
import type { ChartSpec } from '../plot/chartFrame.js';
import { type PlotSeries, incumbentPlotSpec } from '../plot/incumbentPlot.js';
import type { SimulationRecord } from '../simulator/types.js';

/** What the title and axes of an HPO comparison's plot name. */
export interface HpoPlotInfo {
  /** The benchmark's name, e.g. `mfbranin`. */
  benchmark: string;
  /** Seeds per optimizer. */
  seeds: number;
  /** Simulated workers. */
  workers: number;
  /** The objective minimised, e.g. `loss`. */
  objective: string;
  /** Legend label of each optimizer (default its name), e.g. `asha (2/5 seeds)` while a run is under way. */
  label?: (optimizer: string) => string;
}

/**
 * The plot of `hypergrad hpo`: per optimizer, the median incumbent over seeds with its quartile
 * band ({@link incumbentBand}: quantiles over seeds of each run's best value so far, on a
 * log-spaced simulated-time grid), as steps against simulated time ({@link incumbentPlotSpec}); the
 * value axis is logarithmic when every plotted value is positive. The CLI writes it beside its
 * records; the dashboard draws it from the same records as they arrive.
 * @param runs Per optimizer, its runs' records (one array per seed, in arrival order); seeds and optimizers without records are left out.
 * @example
 * ```ts
 * const spec = hpoIncumbentSpec(new Map([['asha', [readRecords('runs/hpo/mfbranin/asha-seed0.jsonl')]]]), { benchmark: 'mfbranin', seeds: 1, workers: 4, objective: 'loss' });
 * ```
 */
export function hpoIncumbentSpec(runs: ReadonlyMap<string, readonly (readonly SimulationRecord[])[]>, info: HpoPlotInfo): ChartSpec {
  const { benchmark, seeds, workers, objective, label = (name) => name } = info;
  const series: PlotSeries[] = [];
  for (const [name, all] of runs) {
    const rs = all.filter((r) => r.length > 0); // a seed that has no result yet
    if (rs.length === 0) continue;
    const band = incumbentBand(rs, objective);
    series.push({ label: label(name), times: band.times, values: band.median, lower: band.lower, upper: band.upper });
  }
  const positive = series.every((sr) => sr.values.every((v) => !Number.isFinite(v) || v > 0) && (sr.lower ?? []).every((v) => !Number.isFinite(v) || v > 0));
  return incumbentPlotSpec(series, {
    title: `${benchmark}: median incumbent and quartiles over ${seeds} seeds, ${workers} workers`, yLabel: `best ${objective}`, logValue: positive, seriesTitle: 'optimizer',
  });
}
