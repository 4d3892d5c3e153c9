import { checkNumber } from '../util/validate.js';
import { type Landscape, orientedFitness } from './landscape.js';
import { averageRanks, kendallTau, spearman } from './rankCorrelation.js';

/** What {@link compareLandscapes} returns. */
export interface LandscapeSimilarity {
  /** Spearman's rho between the two landscapes' values over the shared configurations. */
  spearman: number;
  /** Kendall's tau-b. */
  kendall: number;
  /** Share of a's top-gamma configurations also in b's top gamma. */
  topOverlap: number;
  /** Mean absolute change of rank, from a to b, of a's top-gamma configurations, as a share of n. */
  shakeUp: number;
  /** The gamma used. */
  gamma: number;
  /** Configurations compared. */
  n: number;
}

/** Options of {@link compareLandscapes}. */
export interface CompareLandscapesOptions {
  /** The share of configurations counted as "top"; default 0.1. */
  gamma?: number;
}

/**
 * The configurations of `k = max(1, ceil(gamma n))` best oriented values (lower is better), ties
 * broken by node number.
 */
export function topNodes(loss: ArrayLike<number>, gamma: number): number[] {
  const n = loss.length;
  const k = Math.max(1, Math.ceil(gamma * n));
  return Array.from({ length: n }, (_v, i) => i).sort((i, j) => (loss[i] as number) - (loss[j] as number) || i - j).slice(0, k);
}

/** Checks that two landscapes are over the same configurations; returns their oriented values. */
function aligned(a: Landscape, b: Landscape): [Float64Array, Float64Array] {
  const sameAxes = a.grid.axes.length === b.grid.axes.length && a.grid.axes.every((ax, k) => {
    const bx = b.grid.axes[k];
    return bx !== undefined && bx.name === ax.name && bx.values.length === ax.values.length && bx.values.every((v, i) => v === ax.values[i]);
  });
  if (!sameAxes) throw new Error(`compareLandscapes: '${a.name}' and '${b.name}' are on different grids (axes, levels or values differ); compare landscapes built with the same levels`);
  const na = a.nodes;
  const nb = b.nodes;
  if (na === null && nb === null) return [orientedFitness(a), orientedFitness(b)];
  // Partial grids: compare the configurations both have.
  const la = orientedFitness(a);
  const lb = orientedFitness(b);
  const posB = new Map<number, number>();
  for (let i = 0; i < lb.length; i++) posB.set(nb === null ? i : (nb[i] as number), i);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < la.length; i++) {
    const j = posB.get(na === null ? i : (na[i] as number));
    if (j !== undefined) {
      xs.push(la[i] as number);
      ys.push(lb[j] as number);
    }
  }
  if (xs.length < 2) throw new Error(`compareLandscapes: '${a.name}' and '${b.name}' share ${xs.length} configuration(s); at least 2 are needed`);
  return [Float64Array.from(xs), Float64Array.from(ys)];
}

/**
 * Compares two landscapes over the same grid (Huang & Li 2023, Sec. 3.3), on values oriented so
 * that lower is better:
 * - Spearman's rho and Kendall's tau-b of the values;
 * - top-gamma overlap `|T_a ∩ T_b| / k`, `T` the k = ceil(gamma n) best configurations;
 * - rank shake-up `(1/k) sum_{u in T_a} |r_a(u) - r_b(u)| / n`, `r` the (average) ranks: 0 when a's
 *   best configurations keep their ranks, about 1/2 for unrelated landscapes (a's top ranks near
 *   0, b's uniform).
 * Identical landscapes give 1, 1, 1, 0; a reversed one gives rho = tau = -1.
 */
export function compareLandscapes(a: Landscape, b: Landscape, o: CompareLandscapesOptions = {}): LandscapeSimilarity {
  const gamma = checkNumber('compareLandscapes', 'gamma', o.gamma ?? 0.1, { min: 0, max: 1, minExclusive: true });
  const [x, y] = aligned(a, b);
  const n = x.length;
  const ta = topNodes(x, gamma);
  const tb = new Set(topNodes(y, gamma));
  const ra = averageRanks(x);
  const rb = averageRanks(y);
  const shake = ta.reduce((s, u) => s + Math.abs((ra[u] as number) - (rb[u] as number)), 0) / ta.length / n;
  return {
    spearman: spearman(x, y), kendall: kendallTau(x, y), topOverlap: ta.filter((u) => tb.has(u)).length / ta.length,
    shakeUp: shake, gamma, n,
  };
}
