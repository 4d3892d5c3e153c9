import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ChartSpec } from './chartFrame.js';
import { renderSpec } from './renderSpec.js';

/**
 * Writes a chart as `<base>.svg`, `<base>.png` and `<base>.vl.json` (the Vega-Lite spec with its
 * data inline, to restyle or open in any Vega tool: the online editor, `vl2png`, vega-embed);
 * returns the three paths in that order. Creates the folder.
 * @example
 * ```ts
 * const [svg, png, spec] = await writePlot('runs/l2/validation-loss', lineChartSpec(series, options));
 * ```
 */
export async function writePlot(base: string, spec: ChartSpec): Promise<[svg: string, png: string, spec: string]> {
  mkdirSync(dirname(base), { recursive: true });
  const { svg, png } = await renderSpec(spec);
  const paths: [string, string, string] = [`${base}.svg`, `${base}.png`, `${base}.vl.json`];
  writeFileSync(paths[2], `${JSON.stringify(spec, null, 2)}\n`);
  writeFileSync(paths[0], svg);
  writeFileSync(paths[1], png);
  return paths;
}
