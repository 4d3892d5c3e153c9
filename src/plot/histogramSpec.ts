import { type ChartOptions, type ChartSpec, chartFrame, plottable } from './chartFrame.js';

/** Options of {@link histogramSpec}. */
export interface HistogramOptions extends ChartOptions {
  /** Horizontal axis title (what is binned). */
  xLabel: string;
  /** Vertical axis title; default `count`. */
  yLabel?: string;
  /** At most this many bins (Vega-Lite picks round bin edges); default 30. */
  maxBins?: number;
}

/**
 * A Vega-Lite histogram: the values binned (at most `maxBins` bins, at round edges), one bar per
 * bin with its count. Non-finite values are left out.
 * @example
 * ```ts
 * const spec = histogramSpec(basinSizes.map(Math.log10), { xLabel: 'basin size (log10)', yLabel: 'local optima' });
 * ```
 */
export function histogramSpec(values: ArrayLike<number>, options: HistogramOptions): ChartSpec {
  const { xLabel, yLabel = 'count', maxBins = 30 } = options;
  const rows = Array.from(values).filter((v) => plottable(v)).map((value) => ({ value }));
  if (rows.length === 0) throw new Error('histogramSpec: no value to bin (every value is non-finite)');
  return {
    ...chartFrame(options),
    data: { values: rows },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'value', type: 'quantitative', bin: { maxbins: maxBins }, title: xLabel },
      y: { aggregate: 'count', type: 'quantitative', title: yLabel },
    },
  };
}
