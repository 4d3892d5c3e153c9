import type { ChartSpec } from './chartFrame.js';

/** A chart drawn: the SVG text and the same picture as PNG bytes. */
export interface RenderedChart {
  /** SVG 1.1, as Vega's SVG renderer writes it. */
  svg: string;
  /** PNG of the SVG, rendered by resvg at the spec's size. */
  png: Uint8Array;
}

/**
 * Draws a Vega-Lite spec headless: compiled to Vega by `vega-lite`, run by a `vega` View with no
 * DOM (`renderer: 'none'`), written as SVG by Vega, then rasterised to PNG by resvg (Rust, prebuilt
 * per platform, no install script) with the system's fonts. Both libraries load on first use, so
 * commands that draw nothing do not pay for them.
 * @example
 * ```ts
 * const { svg, png } = await renderSpec(lineChartSpec(series, { xLabel: 'step', yLabel: 'loss' }));
 * ```
 */
export async function renderSpec(spec: ChartSpec): Promise<RenderedChart> {
  const [{ compile }, vega] = await Promise.all([import('vega-lite'), import('vega')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return { svg, png: await svgToPng(svg) };
  } finally {
    view.finalize();
  }
}

/**
 * Renders an SVG to PNG with resvg at the SVG's own size, on white, with the system's fonts
 * (DejaVu Sans where a font is not found).
 */
export async function svgToPng(svg: string): Promise<Uint8Array> {
  const { Resvg } = await import('@resvg/resvg-js');
  return new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, background: 'white' }).render().asPng();
}
