import type { TopLevelSpec } from 'vega-lite';

/** What every chart takes: a title and the size of the whole picture. */
export interface ChartOptions {
  /** Title above the chart; default none. */
  title?: string;
  /** Width of the whole picture in pixels (axes, legend and title included); default 720. */
  width?: number;
  /** Height of the whole picture in pixels; default 440. */
  height?: number;
}

/** The Vega-Lite schema the specs are written against. */
export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** A Vega-Lite top-level spec: what `renderSpec` draws and `*.vl.json` files hold. */
export type ChartSpec = TopLevelSpec;

/**
 * The top-level fields every hypergrad chart shares: the schema, the size (the whole picture is
 * `width` x `height`, Vega-Lite's `autosize: fit` with the padding inside) and the title, and one
 * look (white background, a readable font size).
 */
export function chartFrame({ title, width = 720, height = 440 }: ChartOptions) {
  return {
    $schema: VEGA_LITE_SCHEMA,
    width,
    height,
    autosize: { type: 'fit', contains: 'padding' },
    ...(title === undefined ? {} : { title }),
    background: 'white',
    config: { font: 'DejaVu Sans', axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 11, titleFontSize: 12 }, title: { fontSize: 14 } },
  } as const;
}

/** The scale of a quantitative axis: logarithmic, or linear without forcing zero in. */
export const axisScale = (log: boolean) => (log ? ({ type: 'log' } as const) : ({ zero: false } as const));

/** Keeps the points a log axis can show: finite, and positive where `log`. */
export const plottable = (v: number | null | undefined, log = false): v is number => typeof v === 'number' && Number.isFinite(v) && (!log || v > 0);
