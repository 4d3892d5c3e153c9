import { type ChartOptions, type ChartSpec, chartFrame, plottable } from './chartFrame.js';

/** One bar. */
export interface Bar {
  /** Category under the bar. */
  label: string;
  /** Its height; a non-finite value draws no bar and the label `n/a`. */
  value: number;
}

/** Options of {@link barChartSpec}. */
export interface BarChartOptions extends ChartOptions {
  /** Vertical axis title. */
  yLabel: string;
  /** Horizontal axis title; default none. */
  xLabel?: string;
}

/**
 * A Vega-Lite bar chart, bars in the given order, each labelled with its value (3 significant
 * digits) above it. E.g. the hypergradient error of each method against a reference.
 * @example
 * ```ts
 * const spec = barChartSpec([{ label: 'cg', value: 0.01 }, { label: 'neumann', value: 0.2 }], { yLabel: 'relative error' });
 * ```
 */
export function barChartSpec(bars: readonly Bar[], options: BarChartOptions): ChartSpec {
  if (bars.length === 0) throw new Error('barChartSpec: bars must hold at least one bar, got none');
  const { xLabel, yLabel } = options;
  const values = bars.map((b) => (plottable(b.value)
    ? { label: b.label, value: b.value, text: Number(b.value.toPrecision(3)).toString() }
    : { label: b.label, value: 0, text: 'n/a' }));
  const labels = bars.map((b) => b.label);
  return {
    ...chartFrame(options),
    data: { values },
    encoding: {
      x: { field: 'label', type: 'nominal', sort: labels, title: xLabel ?? null, axis: { labelAngle: 0 } },
      y: { field: 'value', type: 'quantitative', title: yLabel },
    },
    layer: [
      { mark: { type: 'bar' }, encoding: { color: { field: 'label', type: 'nominal', scale: { domain: labels }, legend: null } } },
      { mark: { type: 'text', dy: -6, baseline: 'bottom' }, encoding: { text: { field: 'text' } } },
    ],
  };
}
