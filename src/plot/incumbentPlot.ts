import type { PerformanceCurve } from '../simulator/performance.js';
import type { ChartOptions, ChartSpec } from './chartFrame.js';
import { lineChartSpec } from './lineChartSpec.js';
import { writePlot } from './writePlot.js';

/** One labelled incumbent curve, optionally with a shaded band (e.g. quartiles over seeds). */
export interface PlotSeries extends PerformanceCurve {
  /** Legend label. */
  label: string;
  /** Lower edge of the band, per time. */
  lower?: number[];
  /** Upper edge of the band, per time. */
  upper?: number[];
}

/** Options of {@link incumbentPlotSpec}. */
export interface PlotOptions extends ChartOptions {
  /** Logarithmic time axis; default true (HPO runs span orders of magnitude). */
  logTime?: boolean;
  /** Logarithmic value axis (non-positive values left out); default false. */
  logValue?: boolean;
  /** Horizontal axis title; default `simulated time (s)`. */
  xLabel?: string;
  /** Vertical axis title; default `incumbent`. */
  yLabel?: string;
  /** Legend title; default none. */
  seriesTitle?: string;
}

/**
 * Incumbents (best value so far) over simulated time as steps, one line per series with its band:
 * {@link lineChartSpec} with `step: true` and HPO's defaults.
 */
export function incumbentPlotSpec(series: readonly PlotSeries[], options: PlotOptions = {}): ChartSpec {
  const { title = 'Incumbent over simulated time', logTime = true, logValue = false, xLabel = 'simulated time (s)', yLabel = 'incumbent', seriesTitle } = options;
  return lineChartSpec(
    series.map((s) => ({ label: s.label, x: s.times, y: s.values, ...(s.lower ? { lower: s.lower } : {}), ...(s.upper ? { upper: s.upper } : {}) })),
    { ...options, title, xLabel, yLabel, logX: logTime, logY: logValue, step: true, ...(seriesTitle === undefined ? {} : { seriesTitle }) },
  );
}

/** Writes the incumbent plot as `<base>.svg`, `<base>.png` and `<base>.vl.json`; returns the paths (see {@link writePlot}). */
export async function writeIncumbentPlot(base: string, series: readonly PlotSeries[], options: PlotOptions = {}): Promise<[svg: string, png: string, spec: string]> {
  return writePlot(base, incumbentPlotSpec(series, options));
}
