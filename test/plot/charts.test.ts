import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ChartSpec, barChartSpec, heatmapSpec, histogramSpec, incumbentPlotSpec, lineChartSpec, renderSpec, scatterSpec, writeIncumbentPlot, writePlot,
} from '../../src/entries/plot.js';

const require = createRequire(import.meta.url);
let validate: (spec: unknown) => boolean;
let schemaErrors: () => string;

beforeAll(() => {
  const ajv = new Ajv({ strict: false, allowUnionTypes: true, validateFormats: false, inlineRefs: false, code: { optimize: false } }) // compiles the 1.8 MB schema 3x faster;
  const check = ajv.compile(require('vega-lite/vega-lite-schema.json'));
  validate = (spec) => check(spec) as boolean;
  schemaErrors = () => ajv.errorsText(check.errors);
});

/** Vega's SVG renderer writes one `<g class="mark-<type> role-mark ...">` per drawn mark group: one per series for lines and areas. */
const markGroups = (svg: string, type: string) => svg.match(new RegExp(`<g class="mark-${type} role-mark`, 'g'))?.length ?? 0;
/** The texts of Vega's axis titles, in the SVG. */
const axisTitles = (svg: string) => [...svg.matchAll(/role-axis-title"[^>]*><text[^>]*>([^<]*)</g)].map((m) => m[1]);
const pngSize = (png: Uint8Array) => {
  const b = Buffer.from(png);
  return { signature: [...b.subarray(0, 8)], width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
};
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Where the pictures go for a look (HYPERGRAD_PLOT_DIR=dir npx vitest run test/plot). */
const lookDir = process.env.HYPERGRAD_PLOT_DIR;

async function checkChart(spec: ChartSpec, size = { width: 720, height: 440 }) {
  expect(validate(spec), schemaErrors()).toBe(true);
  const { svg, png } = await renderSpec(spec);
  if (lookDir !== undefined) await writePlot(join(lookDir, `${expect.getState().currentTestName?.split(':')[0]?.split(' ').pop()}`), spec);
  expect(svg).toMatch(new RegExp(`^<svg [^>]*width="${size.width}" height="${size.height}"`));
  expect(pngSize(png)).toEqual({ signature: PNG_SIGNATURE, ...size });
  return svg;
}

describe('chart specs (Vega-Lite, rendered by vega and resvg)', () => {
  it('lineChartSpec: one line and one band per series, axis titles, log axes; non-finite points left out', async () => {
    const spec = lineChartSpec([
      { label: 'random', x: [1, 10, 100], y: [3, 2, 1], lower: [2.5, 1.5, 0.5], upper: [3.5, 2.5, 1.5] },
      { label: 'asha', x: [2, 20, 200], y: [Number.NaN, 0.5, 0.25], lower: [Number.NaN, 0.3, 0.2], upper: [Number.NaN, 0.7, 0.3] },
      { label: 'tpe', x: [0, 5, 50], y: [2, 1, 0.1] },
    ], { title: 'T', xLabel: 'simulated time (s)', yLabel: 'best loss', logX: true, logY: true, step: true, seriesTitle: 'optimizer' });
    const svg = await checkChart(spec);
    expect(markGroups(svg, 'line')).toBe(3);
    expect(markGroups(svg, 'area')).toBe(2);
    expect(axisTitles(svg).sort()).toEqual(['best loss', 'simulated time (s)']);
    const rows = (spec.data as { values: { series: string; x: number }[] }).values;
    expect(rows.filter((r) => r.series === 'asha')).toHaveLength(2); // the NaN point
    expect(rows.filter((r) => r.series === 'tpe').map((r) => r.x)).toEqual([5, 50]); // x = 0 on a log axis
    expect(() => lineChartSpec([{ label: 'a', x: [1], y: [Number.NaN] }], { xLabel: 'x', yLabel: 'y' })).toThrow(/lineChartSpec: no point to plot/);
  });

  it('barChartSpec: one bar per label in order, with value labels (n/a where not finite)', async () => {
    const spec = barChartSpec([{ label: 'unrolled', value: 0.002 }, { label: 'neumann', value: 2.842 }, { label: 'bad', value: Number.POSITIVE_INFINITY }],
      { title: 'hypergradient error', yLabel: 'relative error' });
    const svg = await checkChart(spec);
    expect((svg.match(/<g class="mark-rect role-mark/g) ?? []).length).toBe(1);
    const rects = svg.slice(svg.indexOf('mark-rect role-mark')).split('</g>')[0]?.match(/<path/g) ?? [];
    expect(rects).toHaveLength(3);
    const labels = svg.slice(svg.indexOf('mark-text role-mark')).split('</g>')[0] ?? '';
    expect(labels).toContain('>0.002<');
    expect(labels).toContain('>2.84<');
    expect(labels).toContain('>n/a<');
    expect(axisTitles(svg)).toEqual(['relative error']);
    expect(() => barChartSpec([], { yLabel: 'y' })).toThrow(/bars must hold at least one bar/);
  });

  it('heatmapSpec: one cell per grid point, ordinal axes with titles, a color legend', async () => {
    const xs = [1e-3, 1e-2, 1e-1];
    const ys = [0, 0.5, 0.9];
    const cells = xs.flatMap((x) => ys.map((y) => ({ x, y, value: Math.log10(x) ** 2 + y })));
    const spec = heatmapSpec(cells, { title: 'landscape', xLabel: 'learning rate', yLabel: 'momentum', valueLabel: 'loss', width: 500, height: 400 });
    const svg = await checkChart(spec, { width: 500, height: 400 });
    const rects = svg.slice(svg.indexOf('mark-rect role-mark')).split('</g>')[0]?.match(/<path/g) ?? [];
    expect(rects).toHaveLength(9);
    expect(axisTitles(svg).sort()).toEqual(['learning rate', 'momentum']);
    expect(svg).toContain('role-legend');
  });

  it('scatterSpec: one symbol per finite point, colored by group', async () => {
    const points = [...Array(20).keys()].map((i) => ({ x: 10 ** (-4 + i / 5), y: Math.sin(i), group: i % 2 ? 'asha' : 'tpe' }));
    const spec = scatterSpec([...points, { x: Number.NaN, y: 1 }], { xLabel: 'learning rate', yLabel: 'loss', logX: true, groupTitle: 'optimizer' });
    const svg = await checkChart(spec);
    const symbols = svg.slice(svg.indexOf('mark-symbol role-mark')).split('</g>')[0]?.match(/<path/g) ?? [];
    expect(symbols).toHaveLength(20);
    expect(axisTitles(svg).sort()).toEqual(['learning rate', 'loss']);
  });

  it('heatmapSpec: categories in order of first appearance (rows upwards), fixed color domain, printed values', async () => {
    const names = ['3945', '7593', '34539'];
    const cells = names.flatMap((a, i) => names.map((b, j) => ({ x: a, y: b, value: i === j ? 1 : 0.1 * (i + j) })));
    const spec = heatmapSpec(cells, { title: 'Spearman between tasks', valueLabel: 'Spearman', scheme: 'blueorange', domain: [-1, 1], showValues: true, width: 420, height: 380 });
    const svg = await checkChart(spec, { width: 420, height: 380 });
    expect(svg.slice(svg.indexOf('mark-rect role-mark')).split('</g>')[0]?.match(/<path/g)).toHaveLength(9);
    const labels = svg.slice(svg.indexOf('mark-text role-mark')).split('</g>')[0] ?? '';
    expect(labels.match(/<text/g)).toHaveLength(9);
    expect(labels).toContain('>1.00<');
    expect(labels).toContain('>0.30<');
    expect(axisTitles(svg)).toEqual([]);
    const json = spec as { encoding: { x: { sort: unknown }; y: { scale: unknown } }; layer: { encoding: { color?: { scale: unknown } } }[] };
    expect(json.encoding.x.sort).toBeNull(); // the order given
    expect(json.encoding.y.scale).toEqual({ reverse: true }); // the first category at the bottom, as the smallest number
    expect(json.layer[0]?.encoding.color?.scale).toEqual({ scheme: 'blueorange', domain: [-1, 1] });
  });

  it('heatmapSpec with panels: one small grid per panel, each with its own axes', async () => {
    const cells = ['lr / wd', 'lr / momentum'].flatMap((panel, p) => [0, 1, 2].flatMap((x) => [0, 1].map((y) => ({ panel, x: `${x + p}`, y: `${y}`, value: (x + y) / 3 }))));
    const spec = heatmapSpec(cells, { title: 'slices', valueLabel: 'rank', domain: [0, 1], width: 200, height: 150 });
    expect(validate(spec), schemaErrors()).toBe(true);
    expect(spec).toMatchObject({ columns: 2, facet: { field: 'panel' }, resolve: { scale: { x: 'independent', y: 'independent' } }, spec: { width: 200, height: 150 } });
    expect(spec).not.toHaveProperty('autosize');
    const { svg } = await renderSpec(spec);
    expect(svg.match(/<g class="mark-rect role-mark/g)).toHaveLength(2); // one per panel
    expect([...svg.matchAll(/aria-label="Title text '([^']*)'"/g)].map((m) => m[1]).sort()).toEqual(['lr / momentum', 'lr / wd', 'slices']);
  });

  it('histogramSpec: counts per bin at round edges; non-finite values left out', async () => {
    const values = [...Array(200).keys()].map((i) => Math.log10(1 + i));
    const spec = histogramSpec([...values, Number.NaN], { title: 'basins', xLabel: 'basin size (log10)', yLabel: 'local optima', maxBins: 10 });
    const svg = await checkChart(spec);
    const bars = svg.slice(svg.indexOf('mark-rect role-mark')).split('</g>')[0]?.match(/<path/g) ?? [];
    expect(bars.length).toBeGreaterThan(3);
    expect(bars.length).toBeLessThanOrEqual(10);
    expect((spec.data as { values: unknown[] }).values).toHaveLength(200);
    expect(axisTitles(svg).sort()).toEqual(['basin size (log10)', 'local optima']);
    expect(() => histogramSpec([Number.NaN], { xLabel: 'x' })).toThrow(/histogramSpec: no value to bin/);
  });

  it('scatterSpec by value: a continuous legend, the lowest value drawn last (on top), no tick labels on request', async () => {
    const points = [...Array(30).keys()].map((i) => ({ x: Math.cos(i), y: Math.sin(i), value: ((i * 7) % 30) / 29 }));
    const spec = scatterSpec(points, { xLabel: 'UMAP 1', yLabel: 'UMAP 2', valueLabel: 'rank', domain: [0, 1], tickLabels: false });
    const svg = await checkChart(spec);
    expect(svg.slice(svg.indexOf('mark-symbol role-mark')).split('</g>')[0]?.match(/<path/g)).toHaveLength(30);
    const drawn = (spec.data as { values: { value: number }[] }).values.map((v) => v.value);
    expect(drawn[drawn.length - 1]).toBe(0);
    expect(drawn).toEqual([...drawn].sort((a, b) => b - a));
    expect(svg).toContain('role-legend');
    expect(svg).not.toMatch(/role-axis-label/);
  });

  it('writePlot writes the SVG, the PNG and the spec with its data; writeIncumbentPlot draws steps with bands', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hg-plot-'));
    const series = [{ label: 'a', times: [1, 10, 100], values: [3, 2, 1], lower: [2, 1, 0.5], upper: [4, 3, 2] }, { label: 'b', times: [2, 20], values: [2.5, 0.5] }];
    const paths = await writeIncumbentPlot(join(dir, 'p'), series, { title: 'T', yLabel: 'best loss', logValue: true });
    expect(paths).toEqual([join(dir, 'p.svg'), join(dir, 'p.png'), join(dir, 'p.vl.json')]);
    const spec = JSON.parse(readFileSync(paths[2], 'utf8'));
    expect(spec).toEqual(JSON.parse(JSON.stringify(incumbentPlotSpec(series, { title: 'T', yLabel: 'best loss', logValue: true }))));
    expect(validate(spec), schemaErrors()).toBe(true);
    expect(spec.data.values).toHaveLength(5);
    const svg = readFileSync(paths[0], 'utf8');
    expect(markGroups(svg, 'line')).toBe(2);
    expect(markGroups(svg, 'area')).toBe(1);
    expect(pngSize(readFileSync(paths[1]))).toEqual({ signature: PNG_SIGNATURE, width: 720, height: 440 });
    const again = await writePlot(join(dir, 'q'), spec);
    expect(readFileSync(again[0], 'utf8')).toBe(svg); // the written spec alone redraws the same picture
  });
});
