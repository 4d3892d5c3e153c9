import { DirectedGraph } from 'graphology';
import { type Landscape, gridIndexOf, nodeCount, orientedFitness } from './landscape.js';

/**
 * The neighbours of every node in compressed-row form: node `i`'s neighbours are
 * `targets[offsets[i] .. offsets[i + 1])`, in increasing order.
 */
export interface Neighbours {
  /** Row starts, length `n + 1`. */
  offsets: Int32Array;
  /** Neighbour node numbers. */
  targets: Int32Array;
}

/** Node attributes of a {@link LandscapeGraph}'s graph. */
export interface LandscapeNodeAttributes {
  /** The objective value as reported. */
  fitness: number;
}

/**
 * A landscape with its neighbourhood and its improvement graph (Huang & Li 2023, Sec. 2): node `i`
 * is a configuration; `u` and `v` are neighbours when they are one level apart on one ordinal axis
 * (all others equal) or differ in one categorical value; the directed graph has an edge
 * `u -> v` for each neighbour `v` strictly better than `u`. A local optimum has no out-edge.
 */
export interface LandscapeGraph {
  /** The landscape. */
  landscape: Landscape;
  /** Values oriented so that lower is better ({@link orientedFitness}). */
  loss: Float64Array;
  /** The undirected neighbourhood. */
  neighbours: Neighbours;
  /** The improvement graph (graphology), node keys `'0'..'n-1'`. */
  graph: DirectedGraph<LandscapeNodeAttributes>;
}

/**
 * The neighbourhood of a landscape's nodes on its grid (see {@link LandscapeGraph}). On a partial
 * grid (`nodes` set) only neighbours that are nodes count.
 */
export function gridNeighbours(l: Landscape): Neighbours {
  const n = nodeCount(l);
  const { axes, strides } = l.grid;
  let lookup: ((g: number) => number) | null = null;
  if (l.nodes !== null) {
    const map = new Map<number, number>();
    l.nodes.forEach((g, i) => map.set(g, i));
    lookup = (g) => map.get(g) ?? -1;
  }
  const offsets = new Int32Array(n + 1);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    offsets[i] = out.length;
    const g = gridIndexOf(l, i);
    const row: number[] = [];
    axes.forEach((ax, k) => {
      const s = strides[k] as number;
      const m = ax.values.length;
      const level = Math.floor(g / s) % m;
      const base = g - level * s;
      const push = (other: number) => {
        const j = lookup === null ? base + other * s : lookup(base + other * s);
        if (j >= 0) row.push(j);
      };
      if (ax.kind === 'ordinal') {
        if (level > 0) push(level - 1);
        if (level < m - 1) push(level + 1);
      } else {
        for (let c = 0; c < m; c++) if (c !== level) push(c);
      }
    });
    row.sort((a, b) => a - b);
    for (const j of row) out.push(j);
  }
  offsets[n] = out.length;
  return { offsets, targets: Int32Array.from(out) };
}

/** Builds the {@link LandscapeGraph} of a landscape. */
export function landscapeGraph(l: Landscape): LandscapeGraph {
  const loss = orientedFitness(l);
  const neighbours = gridNeighbours(l);
  const graph = new DirectedGraph<LandscapeNodeAttributes>({ multi: false, allowSelfLoops: false });
  const n = nodeCount(l);
  for (let i = 0; i < n; i++) graph.addNode(String(i), { fitness: l.fitness[i] as number });
  const { offsets, targets } = neighbours;
  for (let i = 0; i < n; i++) {
    for (let e = offsets[i] as number; e < (offsets[i + 1] as number); e++) {
      const j = targets[e] as number;
      if ((loss[j] as number) < (loss[i] as number)) graph.addDirectedEdge(String(i), String(j));
    }
  }
  return { landscape: l, loss, neighbours, graph };
}
