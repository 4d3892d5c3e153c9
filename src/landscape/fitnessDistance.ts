import { gridDistance } from './grid.js';
import { gridIndexOf } from './landscape.js';
import type { LandscapeGraph } from './landscapeGraph.js';
import { spearman } from './rankCorrelation.js';

/** The global optima: the nodes of lowest (oriented) loss. */
export function globalOptima(loss: ArrayLike<number>): number[] {
  let best = Infinity;
  for (let i = 0; i < loss.length; i++) best = Math.min(best, loss[i] as number);
  const out: number[] = [];
  for (let i = 0; i < loss.length; i++) if (loss[i] === best) out.push(i);
  return out;
}

/**
 * Each node's grid distance to the nearest global optimum, `d(u) = min_{g in G} d_grid(u, g)`:
 * Manhattan over the levels of float and int parameters, Hamming over categorical ones (see
 * {@link gridDistance}).
 */
export function distanceToOptimum(lg: LandscapeGraph): Int32Array {
  const l = lg.landscape;
  const go = globalOptima(lg.loss).map((i) => gridIndexOf(l, i));
  const out = new Int32Array(lg.loss.length);
  for (let u = 0; u < out.length; u++) {
    const g = gridIndexOf(l, u);
    let d = Infinity;
    for (const o of go) d = Math.min(d, gridDistance(l.grid, g, o));
    out[u] = d;
  }
  return out;
}

/**
 * Fitness-distance correlation (Jones & Forrest 1995), with Spearman's rho as Huang & Li (2023) use
 * it: `FDC = rho_S(loss(u), d(u))` over all nodes, `d` the distance to the nearest global optimum.
 * The loss is oriented (lower is better, see `orientedFitness`), so in both directions FDC = 1 means
 * configurations get better steadily toward the optimum (an easy, "big valley" landscape) and
 * values near 0 or below mean distance says little. NaN when every node is a global optimum.
 */
export function fitnessDistanceCorrelation(lg: LandscapeGraph, distance: Int32Array = distanceToOptimum(lg)): number {
  return spearman(lg.loss, distance);
}
