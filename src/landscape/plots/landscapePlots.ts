import { UMAP } from 'umap-js';
import type { ChartSpec } from '../../plot/chartFrame.js';
import { heatmapSpec } from '../../plot/heatmapSpec.js';
import { histogramSpec } from '../../plot/histogramSpec.js';
import { scatterSpec } from '../../plot/scatterSpec.js';
import { checkInteger, checkSeed } from '../../util/validate.js';
import { seededRandom, shuffleInPlace } from '../../util/random.js';
import { globalOptima } from '../fitnessDistance.js';
import { gridCoords, gridIndex } from '../grid.js';
import { type Landscape, gridIndexOf, orientedFitness } from '../landscape.js';
import { averageRanks } from '../rankCorrelation.js';

/** Each node's rank as a share of the nodes: 0 for the best, near 1 for the worst. */
export function rankShare(l: Landscape): Float64Array {
  const r = averageRanks(orientedFitness(l));
  return r.map((v) => (v - 1) / Math.max(1, r.length - 1));
}

/** A node's features for the embedding: each ordinal level scaled to [0, 1], one-hot categoricals. */
function features(l: Landscape, node: number): number[] {
  const coords = gridCoords(l.grid, gridIndexOf(l, node));
  return l.grid.axes.flatMap((ax, k) => {
    const c = coords[k] as number;
    if (ax.kind === 'ordinal') return [ax.values.length === 1 ? 0 : c / (ax.values.length - 1)];
    return ax.values.map((_v, j) => (j === c ? 1 : 0));
  });
}

/** Options of {@link landscapeEmbedding}. */
export interface EmbeddingOptions {
  /** Nodes embedded (a seeded sample, the best 50 always in); default 1500. */
  sample?: number;
  /** Seed of the sample and of UMAP; default 0. */
  seed?: number;
}

/** One embedded node. */
export interface EmbeddedNode {
  /** Node number. */
  node: number;
  /** First embedding coordinate. */
  x: number;
  /** Second embedding coordinate. */
  y: number;
  /** Rank share (0 best). */
  rank: number;
}

/**
 * A 2-D embedding of a landscape (UMAP, McInnes et al. 2018, via umap-js, seeded), on the nodes'
 * grid coordinates (levels scaled to [0, 1], categoricals one-hot), so configurations close on the
 * grid land close together; each point carries its rank share for the colour. Huang & Li (2023)
 * embed a graph embedding (HOPE) with UMAP instead; the grid coordinates are our documented,
 * simpler input.
 */
export function landscapeEmbedding(l: Landscape, o: EmbeddingOptions = {}): EmbeddedNode[] {
  const sample = checkInteger('landscapeEmbedding', 'sample', o.sample ?? 1500, { min: 3 });
  const rand = seededRandom(checkSeed('landscapeEmbedding', 'seed', o.seed ?? 0));
  const rank = rankShare(l);
  const n = rank.length;
  const best = Array.from({ length: n }, (_v, i) => i).sort((i, j) => (rank[i] as number) - (rank[j] as number)).slice(0, Math.min(50, n));
  const chosen = new Set(best);
  for (const i of shuffleInPlace(Array.from({ length: n }, (_v, i) => i), rand)) {
    if (chosen.size >= Math.min(sample, n)) break;
    chosen.add(i);
  }
  const nodes = [...chosen].sort((a, b) => a - b);
  const umap = new UMAP({ nComponents: 2, nNeighbors: Math.min(15, nodes.length - 1), random: rand, nEpochs: 200 });
  const y = umap.fit(nodes.map((i) => features(l, i)));
  return nodes.map((node, k) => ({ node, x: y[k]?.[0] as number, y: y[k]?.[1] as number, rank: rank[node] as number }));
}

/** The scatter of an embedding (`hypergrad/plot`'s {@link scatterSpec}), colored by rank share, the best drawn on top. */
export function embeddingSpec(points: readonly EmbeddedNode[], title: string): ChartSpec {
  return scatterSpec(points.map((p) => ({ x: p.x, y: p.y, value: p.rank })), {
    title, width: 640, height: 520, xLabel: 'UMAP 1', yLabel: 'UMAP 2', valueLabel: 'rank (0 = best)', domain: [0, 1], tickLabels: false,
  });
}

/** One cell of a 2-D slice through the optimum. */
export interface SliceCell {
  /** The panel, `x-axis / y-axis`. */
  panel: string;
  /** Level value on the panel's first axis, as text. */
  x: string;
  /** Level value on its second axis, as text. */
  y: string;
  /** Order of x within the axis. */
  xi: number;
  /** Order of y within the axis. */
  yi: number;
  /** Rank share of the configuration (0 best). */
  rank: number;
}

/**
 * 2-D slices through the global optimum: for a pair of axes, every combination of their levels with
 * all other hyperparameters at the optimum's levels. Pairs with the widest spread of rank share
 * come first; `panels` of them are kept (default 4). Grid points that are not nodes are left out.
 */
export function optimumSlices(l: Landscape, panels = 4): SliceCell[] {
  const rank = rankShare(l);
  const loss = orientedFitness(l);
  const opt = gridCoords(l.grid, gridIndexOf(l, globalOptima(loss)[0] as number));
  const pos = new Map<number, number>();
  for (let i = 0; i < rank.length; i++) pos.set(gridIndexOf(l, i), i);
  const axes = l.grid.axes;
  const slices: { cells: SliceCell[]; spread: number }[] = [];
  for (let a = 0; a < axes.length; a++) {
    for (let b = a + 1; b < axes.length; b++) {
      const A = axes[a] as (typeof axes)[number];
      const B = axes[b] as (typeof axes)[number];
      const panel = `${A.name} / ${B.name}`;
      const cells: SliceCell[] = [];
      A.values.forEach((va, i) => B.values.forEach((vb, j) => {
        const c = [...opt];
        c[a] = i;
        c[b] = j;
        const node = pos.get(gridIndex(l.grid, c));
        if (node !== undefined) cells.push({ panel, x: String(Number.isFinite(va) ? Number(Number(va).toPrecision(3)) : va), y: String(Number.isFinite(vb) ? Number(Number(vb).toPrecision(3)) : vb), xi: i, yi: j, rank: rank[node] as number });
      }));
      const rs = cells.map((c) => c.rank);
      slices.push({ cells, spread: rs.length === 0 ? 0 : Math.max(...rs) - Math.min(...rs) });
    }
  }
  return slices.sort((p, q) => q.spread - p.spread).slice(0, panels).flatMap((s) => s.cells);
}

/** Heatmaps (`hypergrad/plot`'s {@link heatmapSpec}, one panel per pair of axes) of {@link optimumSlices}, colored by rank share. */
export function sliceHeatmapSpec(cells: readonly SliceCell[], title: string): ChartSpec {
  return heatmapSpec(cells.map((c) => ({ x: c.x, y: c.y, value: c.rank, panel: c.panel })), {
    title, width: 220, height: 180, valueLabel: 'rank (0 = best)', domain: [0, 1],
  });
}

/** A histogram (`hypergrad/plot`'s {@link histogramSpec}) of basin sizes on a log10 axis, one count per local optimum. */
export function basinHistogramSpec(sizes: ArrayLike<number>, title: string): ChartSpec {
  return histogramSpec(Array.from(sizes, (s) => Math.log10(s)), { title, width: 560, height: 360, xLabel: 'basin size (log10 configurations)', yLabel: 'local optima' });
}

/** A similarity matrix (`hypergrad/plot`'s {@link heatmapSpec}, e.g. Spearman between tasks), one cell per ordered pair, values printed when few. */
export function similarityMatrixSpec(cells: readonly { a: string; b: string; value: number }[], title: string, metric: string): ChartSpec {
  const n = new Set(cells.map((c) => c.a)).size;
  const size = Math.max(200, Math.min(640, 18 * n));
  return heatmapSpec(cells.map((c) => ({ x: c.a, y: c.b, value: c.value })), {
    title, width: Math.max(480, size + 160), height: Math.max(400, size + 80), valueLabel: metric, scheme: 'blueorange', domain: [-1, 1], showValues: n <= 12,
  });
}
