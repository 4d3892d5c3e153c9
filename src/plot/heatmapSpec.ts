import type { ColorScheme } from 'vega';
import { type ChartOptions, type ChartSpec, chartFrame, plottable } from './chartFrame.js';

/** One cell of a grid. */
export interface HeatmapCell {
  /** Column position (one column per distinct value, in increasing order). */
  x: number;
  /** Row position (one row per distinct value). */
  y: number;
  /** Color; non-finite cells are left blank. */
  value: number;
}

/** Options of {@link heatmapSpec}. */
export interface HeatmapOptions extends ChartOptions {
  /** Horizontal axis title. */
  xLabel: string;
  /** Vertical axis title. */
  yLabel: string;
  /** Title of the color legend. */
  valueLabel: string;
  /** Logarithmic color scale (non-positive cells blank); default false. */
  logValue?: boolean;
  /** Vega color scheme (`viridis`, `magma`, `blues`, ...); default `viridis`. */
  scheme?: ColorScheme;
}

/**
 * A Vega-Lite heatmap over a grid (e.g. a validation loss over two hyperparameters, a loss
 * landscape): one rectangle per cell on ordinal axes, so log-spaced grids get equal cells, with
 * tick labels at 3 significant digits and a continuous color legend.
 * @example
 * ```ts
 * const cells = [1e-3, 1e-2].flatMap((x) => [0, 1].map((y) => ({ x, y, value: x + y })));
 * const spec = heatmapSpec(cells, { xLabel: 'lr', yLabel: 'momentum', valueLabel: 'loss' });
 * ```
 */
export function heatmapSpec(cells: readonly HeatmapCell[], options: HeatmapOptions): ChartSpec {
  const { xLabel, yLabel, valueLabel, logValue = false, scheme = 'viridis' } = options;
  const values = cells.filter((c) => plottable(c.x) && plottable(c.y)).map((c) => ({ x: c.x, y: c.y, value: plottable(c.value, logValue) ? c.value : null }));
  if (!values.some((v) => v.value !== null)) throw new Error('heatmapSpec: no cell to color (every value is non-finite or, with logValue, not positive)');
  const axis = (field: 'x' | 'y', title: string) => ({ field, type: 'ordinal', sort: 'ascending', title, axis: { format: '.3~g', formatType: 'number', labelAngle: 0 } } as const);
  return {
    ...chartFrame(options),
    data: { values },
    mark: { type: 'rect' },
    encoding: {
      x: axis('x', xLabel),
      y: { ...axis('y', yLabel), sort: 'descending' },
      color: { field: 'value', type: 'quantitative', title: valueLabel, scale: { scheme, ...(logValue ? { type: 'log' } : {}) } },
    },
  };
}
