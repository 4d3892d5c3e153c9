import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { svgToPng } from '../../simulator/plot.js';

/**
 * Renders a Vega-Lite spec (Satyanarayan et al. 2017) to SVG with vega's headless view (no canvas
 * needed), and writes `<base>.svg` and `<base>.png` (PNG by resvg). Returns both paths.
 */
export async function writeVegaLite(base: string, spec: TopLevelSpec): Promise<[string, string]> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  mkdirSync(dirname(base), { recursive: true });
  writeFileSync(`${base}.svg`, svg);
  writeFileSync(`${base}.png`, await svgToPng(svg));
  return [`${base}.svg`, `${base}.png`];
}
