import type { ColorScheme } from 'vega';
import { type ChartOptions, type ChartSpec, chartFrame, plottable } from './chartFrame.js';

/** One cell of a grid. */
export interface HeatmapCell {
  /**
   * Column: a number (one column per distinct value, increasing to the right) or a category (one
   * column per distinct name, in order of first appearance).
   */
  x: number | string;
  /** Row: a number (increasing upwards) or a category (in order of first appearance, upwards). */
  y: number | string;
  /** Color; non-finite cells are left blank. */
  value: number;
  /** Panel of a faceted heatmap (one small grid per distinct panel, in order of first appearance); default none. */
  panel?: string;
}

/** Options of {@link heatmapSpec}. */
export interface HeatmapOptions extends ChartOptions {
  /** Horizontal axis title; default none. */
  xLabel?: string;
  /** Vertical axis title; default none. */
  yLabel?: string;
  /** Title of the color legend. */
  valueLabel: string;
  /** Logarithmic color scale (non-positive cells blank); default false. */
  logValue?: boolean;
  /** Vega color scheme (`viridis`, `magma`, `blues`, `blueorange`, ...); default `viridis`. */
  scheme?: ColorScheme;
  /** The values the color scale spans (e.g. `[-1, 1]` for correlations); default the data's range. */
  domain?: [number, number];
  /** Print each cell's value (2 decimals) in it; default false. */
  showValues?: boolean;
  /** Panels per row when the cells have panels; default 2. */
  columns?: number;
}

const axis = (field: 'x' | 'y', title: string | undefined, numeric: boolean) => ({
  field, type: 'ordinal', title: title ?? null,
  ...(numeric ? { sort: field === 'x' ? 'ascending' : 'descending', axis: { format: '.3~g', formatType: 'number', labelAngle: 0, labelOverlap: true } } : { sort: null, axis: { labelAngle: 0, labelOverlap: true } }),
  // Categories upwards in order of first appearance, as numbers increase upwards.
  ...(!numeric && field === 'y' ? { scale: { reverse: true } } : {}),
} as const);

/**
 * A Vega-Lite heatmap over a grid (e.g. a validation loss over two hyperparameters, a loss
 * landscape's slices, a similarity matrix): one rectangle per cell on ordinal axes, so log-spaced
 * grids get equal cells, numeric tick labels at 3 significant digits, and a continuous color
 * legend. Cells with a `panel` make a faceted chart, one small grid per panel, each with its own
 * axes (`width`/`height` are then each panel's).
 * @example
 * ```ts
 * const cells = [1e-3, 1e-2].flatMap((x) => [0, 1].map((y) => ({ x, y, value: x + y })));
 * const spec = heatmapSpec(cells, { xLabel: 'lr', yLabel: 'momentum', valueLabel: 'loss' });
 * ```
 */
export function heatmapSpec(cells: readonly HeatmapCell[], options: HeatmapOptions): ChartSpec {
  const { xLabel, yLabel, valueLabel, logValue = false, scheme = 'viridis', domain, showValues = false, columns = 2 } = options;
  const kept = (v: number | string) => typeof v === 'string' || plottable(v);
  const values = cells.filter((c) => kept(c.x) && kept(c.y)).map((c) => ({
    x: c.x, y: c.y, value: plottable(c.value, logValue) ? c.value : null, ...(c.panel === undefined ? {} : { panel: c.panel }),
  }));
  if (!values.some((v) => v.value !== null)) throw new Error('heatmapSpec: no cell to color (every value is non-finite or, with logValue, not positive)');
  const numeric = (k: 'x' | 'y') => values.every((v) => typeof v[k] === 'number');
  const color = { field: 'value', type: 'quantitative', title: valueLabel, scale: { scheme, ...(logValue ? { type: 'log' } : {}), ...(domain ? { domain } : {}) } } as const;
  const text = { mark: { type: 'text', fontSize: 10 }, encoding: { text: { field: 'value', type: 'quantitative', format: '.2f' } } } as const;
  const layers = {
    encoding: { x: axis('x', xLabel, numeric('x')), y: axis('y', yLabel, numeric('y')) },
    layer: [{ mark: { type: 'rect' }, encoding: { color } } as const, ...(showValues ? [text] : [])],
  };
  if (!values.some((v) => 'panel' in v)) return { ...chartFrame(options), data: { values }, ...layers };
  // A facet cannot fit a total size (Vega-Lite's autosize `fit` is for single views): size each panel.
  const { width, height, autosize: _whole, ...frame } = chartFrame({ width: 240, height: 200, ...options });
  return {
    ...frame, data: { values }, columns,
    facet: { field: 'panel', type: 'nominal', title: null, sort: null }, resolve: { scale: { x: 'independent', y: 'independent' } },
    spec: { width, height, ...layers },
  };
}
