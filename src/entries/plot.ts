/**
 * `hypergrad/plot`: every chart hypergrad draws, as a Vega-Lite spec (a grammar of graphics:
 * data, marks, encodings) built by a small function, drawn headless to SVG by Vega and to PNG by
 * resvg, and written with its spec beside it (`*.vl.json`) so it can be restyled or opened in
 * any Vega tool.
 *
 * Add a chart by writing a builder that returns a spec (start from {@link lineChartSpec},
 * {@link barChartSpec}, {@link heatmapSpec} or {@link scatterSpec}, or compose their output), and
 * write it with {@link writePlot}.
 * @example
 * ```ts
 * import { lineChartSpec, writePlot } from 'hypergrad/plot';
 * const spec = lineChartSpec([{ label: 'cg', x: [1, 2, 3], y: [0.9, 0.6, 0.5] }], { title: 'loss', xLabel: 'step', yLabel: 'loss' });
 * await writePlot('runs/loss', spec); // runs/loss.svg, runs/loss.png, runs/loss.vl.json
 * ```
 * @packageDocumentation
 * @module hypergrad/plot
 */
export { type ChartOptions, type ChartSpec, VEGA_LITE_SCHEMA } from '../plot/chartFrame.js';
export { lineChartSpec, type LineSeries, type LineChartOptions } from '../plot/lineChartSpec.js';
export { barChartSpec, type Bar, type BarChartOptions } from '../plot/barChartSpec.js';
export { heatmapSpec, type HeatmapCell, type HeatmapOptions } from '../plot/heatmapSpec.js';
export { scatterSpec, type ScatterPoint, type ScatterOptions } from '../plot/scatterSpec.js';
export { histogramSpec, type HistogramOptions } from '../plot/histogramSpec.js';
export { renderSpec, svgToPng, type RenderedChart } from '../plot/renderSpec.js';
export { writePlot } from '../plot/writePlot.js';
export { incumbentPlotSpec, writeIncumbentPlot, type PlotSeries, type PlotOptions } from '../plot/incumbentPlot.js';
