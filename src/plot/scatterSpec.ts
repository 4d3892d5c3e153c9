import { type ChartOptions, type ChartSpec, axisScale, chartFrame, plottable } from './chartFrame.js';

/** One point. */
export interface ScatterPoint {
  /** Horizontal position. */
  x: number;
  /** Vertical position. */
  y: number;
  /** Color group (e.g. the optimizer, the fidelity); default none. */
  group?: string;
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
}

/**
 * A Vega-Lite scatter plot (e.g. a hyperparameter against the value each trial reached), colored
 * by group when the points carry one, groups in order of first appearance.
 * @example
 * ```ts
 * const spec = scatterSpec(trials.map((t) => ({ x: t.lr, y: t.loss, group: t.optimizer })), { xLabel: 'lr', yLabel: 'loss', logX: true });
 * ```
 */
export function scatterSpec(points: readonly ScatterPoint[], options: ScatterOptions): ChartSpec {
  const { xLabel, yLabel, logX = false, logY = false, groupTitle } = options;
  const values = points.filter((p) => plottable(p.x, logX) && plottable(p.y, logY)).map((p) => ({ x: p.x, y: p.y, group: p.group ?? '' }));
  if (values.length === 0) throw new Error('scatterSpec: no point to plot (every point is non-finite or not positive on a log axis)');
  const groups = [...new Set(values.map((v) => v.group))];
  return {
    ...chartFrame(options),
    data: { values },
    mark: { type: 'point', filled: true, opacity: 0.7, size: 40 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: xLabel, scale: axisScale(logX) },
      y: { field: 'y', type: 'quantitative', title: yLabel, scale: axisScale(logY) },
      ...(groups.length > 1 || groups[0] !== '' ? { color: { field: 'group', type: 'nominal', scale: { domain: groups }, title: groupTitle ?? null } } : {}),
    },
  };
}
