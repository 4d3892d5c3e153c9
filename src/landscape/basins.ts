import type { LandscapeGraph } from './landscapeGraph.js';

/**
 * Where best-improvement hill climbing goes from each node: `next[i]` is the neighbour it moves to
 * (-1 at a local optimum), `optimum[i]` the local optimum it ends at, `steps[i]` the moves it takes.
 */
export interface HillClimb {
  /** The best strictly better neighbour of each node (lowest node number on ties), or -1. */
  next: Int32Array;
  /** The local optimum each node's climb ends at. */
  optimum: Int32Array;
  /** The number of moves of each climb. */
  steps: Int32Array;
  /** The local optima (nodes without a strictly better neighbour), increasing. */
  optima: Int32Array;
}

/**
 * Best-improvement hill climbing from every node, on the improvement graph: a node moves to its
 * out-neighbour of lowest loss, `next(u) = argmin_{v: u -> v} loss(v)` (lowest node number on ties),
 * until it reaches a local optimum (no out-edge, i.e. no strictly better neighbour). Every climb
 * ends since the loss falls strictly at each move. Each node's optimum is memoised, so the whole
 * map costs O(edges).
 */
export function hillClimb(lg: LandscapeGraph): HillClimb {
  const { graph, loss } = lg;
  const n = loss.length;
  const next = new Int32Array(n).fill(-1);
  const optima: number[] = [];
  for (let u = 0; u < n; u++) {
    let best = -1;
    graph.forEachOutNeighbor(String(u), (key) => {
      const v = Number(key);
      if (best < 0 || (loss[v] as number) < (loss[best] as number) || ((loss[v] as number) === (loss[best] as number) && v < best)) best = v;
    });
    next[u] = best;
    if (best < 0) optima.push(u);
  }
  const optimum = new Int32Array(n).fill(-1);
  const steps = new Int32Array(n);
  const path: number[] = [];
  for (let u = 0; u < n; u++) {
    let v = u;
    while (optimum[v] === -1 && next[v] !== -1) {
      path.push(v);
      v = next[v] as number;
    }
    if (optimum[v] === -1) {
      optimum[v] = v;
      steps[v] = 0;
    }
    const end = optimum[v] as number;
    let s = steps[v] as number;
    while (path.length > 0) {
      const w = path.pop() as number;
      s += 1;
      optimum[w] = end;
      steps[w] = s;
    }
  }
  return { next, optimum, steps, optima: Int32Array.from(optima) };
}

/** Local optima and basins of attraction of a landscape (see {@link basinMetrics}). */
export interface BasinMetrics {
  /** Number of local optima. */
  localOptima: number;
  /** Their share of the nodes, `n_lo / n`. */
  localOptimaShare: number;
  /** Mean basin size, `n / n_lo` (every node lies in exactly one basin). */
  meanBasinSize: number;
  /** Largest basin's size as a share of the nodes. */
  largestBasinShare: number;
  /** Share of the nodes whose climb ends at a global optimum (a node of the lowest loss). */
  globalBasinShare: number;
  /** Mean number of moves of a climb to its local optimum, over all nodes. */
  meanWalkLength: number;
  /** Longest climb. */
  maxWalkLength: number;
}

/** The size of each local optimum's basin, in the order of `climb.optima`. */
export function basinSizes(climb: HillClimb): Int32Array {
  const pos = new Map<number, number>();
  climb.optima.forEach((o, k) => pos.set(o, k));
  const sizes = new Int32Array(climb.optima.length);
  climb.optimum.forEach((o) => {
    const k = pos.get(o) as number;
    sizes[k] = (sizes[k] as number) + 1;
  });
  return sizes;
}

/**
 * Local-optima and basin metrics (Huang & Li 2023; Ochoa et al. 2008 for basins under
 * best-improvement): `n_lo`, `n_lo / n`, mean basin size `n / n_lo`, the global optima's basin
 * share `|{u : optimum(u) in G}| / n` (G the nodes of minimal loss) and the mean climb length
 * `(1/n) sum_u steps(u)`.
 */
export function basinMetrics(lg: LandscapeGraph, climb: HillClimb = hillClimb(lg)): BasinMetrics {
  const n = lg.loss.length;
  const best = lg.loss.reduce((m, v) => Math.min(m, v), Infinity);
  let global = 0;
  let totalSteps = 0;
  let maxSteps = 0;
  for (let u = 0; u < n; u++) {
    if (lg.loss[climb.optimum[u] as number] === best) global++;
    totalSteps += climb.steps[u] as number;
    maxSteps = Math.max(maxSteps, climb.steps[u] as number);
  }
  const sizes = basinSizes(climb);
  const nLo = climb.optima.length;
  return {
    localOptima: nLo, localOptimaShare: nLo / n, meanBasinSize: n / nLo, largestBasinShare: sizes.reduce((m, s) => Math.max(m, s), 0) / n,
    globalBasinShare: global / n, meanWalkLength: totalSteps / n, maxWalkLength: maxSteps,
  };
}
