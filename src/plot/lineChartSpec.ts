import { type ChartOptions, type ChartSpec, axisScale, chartFrame, plottable } from './chartFrame.js';

/** One labelled line, with an optional band (e.g. quartiles over seeds) around it. */
export interface LineSeries {
  /** Legend label. */
  label: string;
  /** Horizontal positions. */
  x: readonly number[];
  /** Values, one per `x`; non-finite ones are left out. */
  y: readonly number[];
  /** Lower edge of the band, one per `x`. */
  lower?: readonly number[];
  /** Upper edge of the band, one per `x`. */
  upper?: readonly number[];
}

/** Options of {@link lineChartSpec}. */
export interface LineChartOptions extends ChartOptions {
  /** Horizontal axis title. */
  xLabel: string;
  /** Vertical axis title. */
  yLabel: string;
  /** Logarithmic horizontal axis (non-positive x left out); default false. */
  logX?: boolean;
  /** Logarithmic vertical axis (non-positive values left out); default false. */
  logY?: boolean;
  /** Draw steps (`step-after`: each value holds until the next x), as for incumbents; default false. */
  step?: boolean;
  /** Legend title; default none. */
  seriesTitle?: string;
}

/**
 * A Vega-Lite line chart, one colored line per series in the given order, each with its shaded
 * band where `lower` and `upper` are given (layers: `area` with opacity 0.2 under `line`). The data
 * are inline, in long form: one row `{series, x, y, lower, upper}` per point, so the spec alone
 * redraws the chart in any Vega tool.
 * @example
 * ```ts
 * const spec = lineChartSpec([{ label: 'cg', x: [1, 2, 3], y: [0.9, 0.6, 0.5] }], { xLabel: 'step', yLabel: 'loss' });
 * const { svg, png } = await renderSpec(spec);
 * ```
 */
export function lineChartSpec(series: readonly LineSeries[], options: LineChartOptions): ChartSpec {
  const { xLabel, yLabel, logX = false, logY = false, step = false, seriesTitle } = options;
  const values = series.flatMap((s) => s.x.flatMap((x, i) => {
    const y = s.y[i];
    if (!plottable(x, logX) || !plottable(y, logY)) return [];
    const lo = s.lower?.[i];
    const hi = s.upper?.[i];
    const band = plottable(lo, logY) && plottable(hi, logY);
    return [{ series: s.label, x, y, lower: band ? lo : null, upper: band ? hi : null }];
  }));
  if (values.length === 0) throw new Error(`lineChartSpec: no point to plot (every value is non-finite${logX || logY ? ' or not positive on a log axis' : ''})`);
  const labels = series.map((s) => s.label);
  const interpolate = step ? 'step-after' : 'linear';
  const x = { field: 'x', type: 'quantitative', title: xLabel, scale: { ...axisScale(logX), nice: false, padding: 8 } } as const; // the last step's drop stays off the frame
  const color = { field: 'series', type: 'nominal', scale: { domain: labels }, title: seriesTitle ?? null } as const;
  const hasBand = values.some((v) => v.lower !== null);
  return {
    ...chartFrame(options),
    data: { values },
    encoding: { x },
    // The band's color legend is dropped, the line's kept (legends of a shared scale merge otherwise).
    resolve: { legend: { color: 'independent' } },
    layer: [
      ...(hasBand ? [{
        transform: [{ filter: 'isValid(datum.lower) && isValid(datum.upper)' }] as { filter: string }[],
        mark: { type: 'area', opacity: 0.2, interpolate },
        encoding: { y: { field: 'lower', type: 'quantitative', title: yLabel, scale: axisScale(logY) }, y2: { field: 'upper' }, color: { ...color, legend: null } },
      } as const] : []),
      {
        mark: { type: 'line', strokeWidth: 2, interpolate },
        encoding: { y: { field: 'y', type: 'quantitative', title: yLabel, scale: axisScale(logY) }, color: { ...color, legend: { symbolType: 'stroke' } } },
      },
    ],
  };
}
