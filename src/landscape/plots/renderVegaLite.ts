import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { renderSpec } from '../../plot/renderSpec.js';

/**
 * Renders a Vega-Lite spec (Satyanarayan et al. 2017) with hypergrad's one renderer
 * (`renderSpec` of `hypergrad/plot`: vega headless to SVG, resvg to PNG), and writes `<base>.svg`
 * and `<base>.png`. Returns both paths. (`writePlot` of `hypergrad/plot` also writes the spec.)
 */
export async function writeVegaLite(base: string, spec: TopLevelSpec): Promise<[string, string]> {
  const { svg, png } = await renderSpec(spec);
  mkdirSync(dirname(base), { recursive: true });
  writeFileSync(`${base}.svg`, svg);
  writeFileSync(`${base}.png`, png);
  return [`${base}.svg`, `${base}.png`];
}
