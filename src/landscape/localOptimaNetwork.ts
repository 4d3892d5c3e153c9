import { DirectedGraph } from 'graphology';
import { checkInteger } from '../util/validate.js';
import { type HillClimb, basinSizes, hillClimb } from './basins.js';
import { gridConfig } from './grid.js';
import { gridIndexOf } from './landscape.js';
import type { LandscapeGraph } from './landscapeGraph.js';

/** Node attributes of a local optima network. */
export interface LonNodeAttributes {
  /** The optimum's objective value, as reported. */
  fitness: number;
  /** Nodes whose best-improvement climb ends here. */
  basinSize: number;
  /** Whether it is a global optimum. */
  global: boolean;
  /** Its node number in the landscape. */
  node: number;
  /** Its configuration, as JSON. */
  config: string;
}

/** Edge attributes of a local optima network. */
export interface LonEdgeAttributes {
  /** Perturbations of the source optimum whose climb ends at the target. */
  weight: number;
  /** `weight` over the source's perturbations: the escape probability. */
  probability: number;
  /** Whether the target is strictly better than the source. */
  improving: boolean;
}

/** A local optima network as a graphology graph (keys: the optima's node numbers). */
export type LocalOptimaNetwork = DirectedGraph<LonNodeAttributes, LonEdgeAttributes>;

/** Options of {@link localOptimaNetwork}. */
export interface LonOptions {
  /** Perturbation radius D (grid steps, Manhattan/Hamming); default 2. */
  radius?: number;
  /** A hill climb already computed for this landscape. */
  climb?: HillClimb;
}

/**
 * The local optima network with escape edges (Ochoa et al. 2008; Verel, Daolio, Ochoa & Tomassini
 * 2011): nodes are the local optima of best-improvement hill climbing; from optimum `i`, every node
 * `x` at grid distance `1 <= d(x, i) <= D` is a perturbation, and climbing from `x` ends at
 * `optimum(x)`; an edge `i -> j` (`j != i`) has weight `w_ij = |{x : optimum(x) = j}|` and
 * probability `w_ij / |{x : 1 <= d(x, i) <= D}|`. The ball is found by breadth-first search over
 * the neighbourhood (on the full grid, graph distance equals grid distance).
 */
export function localOptimaNetwork(lg: LandscapeGraph, options: LonOptions = {}): LocalOptimaNetwork {
  const radius = checkInteger('localOptimaNetwork', 'radius', options.radius ?? 2, { min: 1, max: 16 });
  const climb = options.climb ?? hillClimb(lg);
  const { loss, landscape: l } = lg;
  const { offsets, targets } = lg.neighbours;
  const sizes = basinSizes(climb);
  const best = loss.reduce((m, v) => Math.min(m, v), Infinity);
  const lon: LocalOptimaNetwork = new DirectedGraph<LonNodeAttributes, LonEdgeAttributes>({ allowSelfLoops: false });
  climb.optima.forEach((o, k) => {
    lon.addNode(String(o), {
      fitness: l.fitness[o] as number, basinSize: sizes[k] as number, global: loss[o] === best, node: o,
      config: JSON.stringify(gridConfig(l.grid, gridIndexOf(l, o))),
    });
  });
  const depth = new Map<number, number>();
  for (const o of climb.optima) {
    // Breadth-first ball of radius D around o.
    depth.clear();
    depth.set(o, 0);
    let frontier = [o];
    const counts = new Map<number, number>();
    let perturbations = 0;
    for (let d = 1; d <= radius && frontier.length > 0; d++) {
      const nextFrontier: number[] = [];
      for (const u of frontier) {
        for (let e = offsets[u] as number; e < (offsets[u + 1] as number); e++) {
          const x = targets[e] as number;
          if (depth.has(x)) continue;
          depth.set(x, d);
          nextFrontier.push(x);
          perturbations++;
          const j = climb.optimum[x] as number;
          if (j !== o) counts.set(j, (counts.get(j) ?? 0) + 1);
        }
      }
      frontier = nextFrontier;
    }
    for (const [j, w] of [...counts].sort((a, b) => a[0] - b[0])) {
      lon.addDirectedEdge(String(o), String(j), { weight: w, probability: w / perturbations, improving: (loss[j] as number) < (loss[o] as number) });
    }
  }
  return lon;
}

/** Summary of a local optima network. */
export interface LonMetrics {
  /** Optima (nodes). */
  nodes: number;
  /** Escape edges. */
  edges: number;
  /** Share of edges that lead to a strictly better optimum. */
  improvingEdgeShare: number;
  /** Optima with no improving out-edge (funnel bottoms; the global optima among them). */
  sinks: number;
}

/** Counts of a local optima network (see {@link LonMetrics}). */
export function lonMetrics(lon: LocalOptimaNetwork): LonMetrics {
  let improving = 0;
  lon.forEachEdge((_e, a) => {
    if (a.improving) improving++;
  });
  let sinks = 0;
  lon.forEachNode((key) => {
    if (!lon.someOutEdge(key, (_e, a) => a.improving)) sinks++;
  });
  return { nodes: lon.order, edges: lon.size, improvingEdgeShare: lon.size === 0 ? Number.NaN : improving / lon.size, sinks };
}
