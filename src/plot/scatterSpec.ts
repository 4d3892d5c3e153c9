import type { ColorScheme } from 'vega';
import { type ChartOptions, type ChartSpec, axisScale, chartFrame, plottable } from './chartFrame.js';

/** One point. */
export interface ScatterPoint {
  /** Horizontal position. */
  x: number;
  /** Vertical position. */
  y: number;
  /** Color group (e.g. the optimizer, the fidelity); default none. */
  group?: string;
  /** A value to color by on a continuous scale (e.g. a rank), instead of a group; default none. */
  value?: number;
}

/** Options of {@link scatterSpec}. */
export interface ScatterOptions extends ChartOptions {
  /** Horizontal axis title. */
  xLabel: string;
  /** Vertical axis title. */
  yLabel: string;
  /** Logarithmic horizontal axis; default false. */
  logX?: boolean;
  /** Logarithmic vertical axis; default false. */
  logY?: boolean;
  /** Legend title when points have groups; default none. */
  groupTitle?: string;
  /** Legend title when points have values; default `value`. */
  valueLabel?: string;
  /** Vega color scheme of values; default `viridis`. */
  scheme?: ColorScheme;
  /** The values the color scale spans; default the data's range. */
  domain?: [number, number];
  /** Tick labels on the axes; default true (false for coordinates without units, such as an embedding's). */
  tickLabels?: boolean;
}

/**
 * A Vega-Lite scatter plot (e.g. a hyperparameter against the value each trial reached), colored
 * by group when the points carry one (groups in order of first appearance), or on a continuous
 * scale when they carry values (the lowest drawn last, on top: the best of a loss or a rank).
 * @example
 * ```ts
 * const spec = scatterSpec(trials.map((t) => ({ x: t.lr, y: t.loss, group: t.optimizer })), { xLabel: 'lr', yLabel: 'loss', logX: true });
 * ```
 */
export function scatterSpec(points: readonly ScatterPoint[], options: ScatterOptions): ChartSpec {
  const { xLabel, yLabel, logX = false, logY = false, groupTitle, valueLabel = 'value', scheme = 'viridis', domain, tickLabels = true } = options;
  const byValue = points.some((p) => p.value !== undefined);
  const values: { x: number; y: number; group?: string; value?: number }[] = points.filter((p) => plottable(p.x, logX) && plottable(p.y, logY) && (!byValue || plottable(p.value)))
    .map((p) => (byValue ? { x: p.x, y: p.y, value: p.value as number } : { x: p.x, y: p.y, group: p.group ?? '' }));
  if (values.length === 0) throw new Error('scatterSpec: no point to plot (every point is non-finite or not positive on a log axis)');
  if (byValue) values.sort((a, b) => (b.value as number) - (a.value as number));
  const groups = [...new Set(values.map((v) => v.group ?? ''))];
  const axis = tickLabels ? {} : { axis: { labels: false, ticks: false } };
  return {
    ...chartFrame(options),
    data: { values },
    mark: { type: 'point', filled: true, opacity: 0.7, size: byValue ? 24 : 40 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: xLabel, scale: axisScale(logX), ...axis },
      y: { field: 'y', type: 'quantitative', title: yLabel, scale: axisScale(logY), ...axis },
      ...(byValue
        ? { color: { field: 'value', type: 'quantitative', title: valueLabel, scale: { scheme, ...(domain ? { domain } : {}) } } }
        : groups.length > 1 || groups[0] !== '' ? { color: { field: 'group', type: 'nominal', scale: { domain: groups }, title: groupTitle ?? null } } : {}),
    },
  };
}
