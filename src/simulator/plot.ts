import type { PerformanceCurve } from './performance.js';

/** One labelled curve of a plot, optionally with a shaded band (e.g. quartiles over seeds). */
export interface PlotSeries extends PerformanceCurve {
  /** Legend label. */
  label: string;
  /** Lower edge of the band, per time. */
  lower?: number[];
  /** Upper edge of the band, per time. */
  upper?: number[];
}

/** Options of {@link incumbentPlotSvg}. */
export interface PlotOptions {
  /** Title above the plot. */
  title?: string;
  /** Logarithmic time axis; default true (HPO runs span orders of magnitude). */
  logTime?: boolean;
  /** Logarithmic value axis (all values must be positive); default false. */
  logValue?: boolean;
  /** Axis labels. */
  xLabel?: string;
  /** Axis labels. */
  yLabel?: string;
  /** Size in pixels; default 720 x 440. */
  width?: number;
  /** Size in pixels. */
  height?: number;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

function ticks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const fmt = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(1) : String(Number(v.toPrecision(3))));
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * An SVG line chart of incumbents over simulated time (step functions, one per series), with
 * axes, ticks and a legend. Plain SVG 1.1: opens in any browser or image viewer.
 */
export function incumbentPlotSvg(series: readonly PlotSeries[], options: PlotOptions = {}): string {
  const { title = 'Incumbent over simulated time', logTime = true, logValue = false, xLabel = 'simulated time (s)', yLabel = 'incumbent', width = 720, height = 440 } = options;
  const pts = series.flatMap((s) => s.times.flatMap((t, i) => [[t, s.values[i] as number], [t, s.lower?.[i] ?? Number.NaN], [t, s.upper?.[i] ?? Number.NaN]] as const))
    .filter(([t, v]) => Number.isFinite(v) && (!logTime || t > 0) && (!logValue || v > 0));
  if (pts.length === 0) throw new Error('incumbentPlotSvg: no finite points to plot');
  const tx = (t: number) => (logTime ? Math.log10(t) : t);
  const [x0, x1] = [Math.min(...pts.map((p) => tx(p[0]))), Math.max(...pts.map((p) => tx(p[0])))];
  const ty = (v: number) => (logValue ? Math.log10(v) : v);
  const [y0, y1] = [Math.min(...pts.map((p) => ty(p[1]))), Math.max(...pts.map((p) => ty(p[1])))];
  const m = { l: 70, r: 160, t: 40, b: 50 };
  const W = width - m.l - m.r;
  const H = height - m.t - m.b;
  const sx = (t: number) => m.l + ((tx(t) - x0) / (x1 - x0 || 1)) * W;
  const sy = (v: number) => m.t + H - ((ty(v) - y0) / (y1 - y0 || 1)) * H;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${m.l + W / 2}" y="22" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    `<rect x="${m.l}" y="${m.t}" width="${W}" height="${H}" fill="none" stroke="#333"/>`,
  ];
  const yt = logValue ? ticks(Math.floor(y0), Math.ceil(y1), Math.max(1, Math.ceil(y1) - Math.floor(y0))).filter((e) => e >= y0 - 1e-9 && e <= y1 + 1e-9).map((e) => 10 ** e) : ticks(y0, y1);
  for (const v of yt) {
    parts.push(`<line x1="${m.l}" x2="${m.l + W}" y1="${sy(v)}" y2="${sy(v)}" stroke="#eee"/>`, `<text x="${m.l - 6}" y="${sy(v) + 4}" text-anchor="end">${fmt(v)}</text>`);
  }
  const xt = logTime ? ticks(Math.floor(x0), Math.ceil(x1), Math.max(1, Math.ceil(x1) - Math.floor(x0))).filter((e) => e >= x0 - 1e-9 && e <= x1 + 1e-9).map((e) => 10 ** e) : ticks(x0, x1);
  for (const t of xt) {
    parts.push(`<line x1="${sx(t)}" x2="${sx(t)}" y1="${m.t}" y2="${m.t + H}" stroke="#eee"/>`, `<text x="${sx(t)}" y="${m.t + H + 16}" text-anchor="middle">${fmt(t)}</text>`);
  }
  parts.push(`<text x="${m.l + W / 2}" y="${height - 10}" text-anchor="middle">${esc(xLabel)}${logTime ? ' (log)' : ''}</text>`,
    `<text transform="translate(16 ${m.t + H / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}${logValue ? ' (log)' : ''}</text>`);
  series.forEach((s, k) => {
    const color = PALETTE[k % PALETTE.length] as string;
    if (s.lower !== undefined && s.upper !== undefined) {
      const ok = s.times.map((t, i) => (!logTime || t > 0) && Number.isFinite(s.lower?.[i]) && Number.isFinite(s.upper?.[i]));
      const up = s.times.flatMap((t, i) => (ok[i] ? [`${sx(t).toFixed(1)},${sy(s.upper?.[i] as number).toFixed(1)}`] : []));
      const down = s.times.flatMap((t, i) => (ok[i] ? [`${sx(t).toFixed(1)},${sy(s.lower?.[i] as number).toFixed(1)}`] : [])).reverse();
      if (up.length > 1) parts.push(`<polygon fill="${color}" fill-opacity="0.18" stroke="none" points="${[...up, ...down].join(' ')}"/>`);
    }
    const step: string[] = [];
    s.times.forEach((t, i) => {
      if ((logTime && t <= 0) || !Number.isFinite(s.values[i])) return;
      const x = sx(t).toFixed(1);
      const y = sy(s.values[i] as number).toFixed(1);
      if (step.length > 0) step.push(`${x},${step[step.length - 1]?.split(',')[1]}`);
      step.push(`${x},${y}`);
    });
    if (step.length > 0) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${step.join(' ')}"/>`);
    parts.push(`<line x1="${m.l + W + 12}" x2="${m.l + W + 32}" y1="${m.t + 12 + 18 * k}" y2="${m.t + 12 + 18 * k}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${m.l + W + 38}" y="${m.t + 16 + 18 * k}">${esc(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/**
 * Renders an SVG to PNG with resvg (Rust, prebuilt for each platform; no install script), using the
 * system's fonts for text.
 */
export async function svgToPng(svg: string): Promise<Uint8Array> {
  const { Resvg } = await import('@resvg/resvg-js');
  return new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, background: 'white' }).render().asPng();
}

/** Writes the incumbent plot as `<base>.svg` and `<base>.png`; returns both paths. */
export async function writeIncumbentPlot(base: string, series: readonly PlotSeries[], options: PlotOptions = {}): Promise<[string, string]> {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { dirname } = await import('node:path');
  mkdirSync(dirname(base), { recursive: true });
  const svg = incumbentPlotSvg(series, options);
  writeFileSync(`${base}.svg`, svg);
  writeFileSync(`${base}.png`, await svgToPng(svg));
  return [`${base}.svg`, `${base}.png`];
}

/** An SVG bar chart (e.g. hypergradient error per method), values labelled above the bars. */
export function barChartSvg(labels: readonly string[], values: readonly number[], { title = '', yLabel = '', width = 720, height = 400 }: { title?: string; yLabel?: string; width?: number; height?: number } = {}): string {
  if (labels.length !== values.length || labels.length === 0) throw new Error('barChartSvg: needs one value per label, at least one');
  const m = { l: 70, r: 20, t: 40, b: 60 };
  const W = width - m.l - m.r;
  const H = height - m.t - m.b;
  const finite = values.filter((v) => Number.isFinite(v));
  const top = Math.max(1e-12, ...finite) * 1.15;
  const bw = W / labels.length;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${m.l + W / 2}" y="22" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    `<line x1="${m.l}" x2="${m.l + W}" y1="${m.t + H}" y2="${m.t + H}" stroke="#333"/>`,
    `<text transform="translate(16 ${m.t + H / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
  ];
  labels.forEach((label, i) => {
    const v = values[i] as number;
    const h = Number.isFinite(v) ? (v / top) * H : 0;
    const x = m.l + i * bw + bw * 0.15;
    parts.push(`<rect x="${x}" y="${m.t + H - h}" width="${bw * 0.7}" height="${h}" fill="${PALETTE[i % PALETTE.length]}"/>`,
      `<text x="${x + bw * 0.35}" y="${m.t + H - h - 4}" text-anchor="middle">${Number.isFinite(v) ? fmt(v) : 'n/a'}</text>`,
      `<text x="${x + bw * 0.35}" y="${m.t + H + 18}" text-anchor="middle">${esc(label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
