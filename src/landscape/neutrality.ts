import { checkNumber, checkOneOf } from '../util/validate.js';
import type { LandscapeGraph } from './landscapeGraph.js';
import { spearman } from './rankCorrelation.js';

/** A threshold as a share of the landscape's range: `epsilon = value (max f - min f)`. */
export interface RelativeThreshold {
  /** Discriminant. */
  kind: 'relative';
  /** The share, >= 0 (default 0.01). */
  value: number;
}

/** A threshold in the objective's units: `epsilon = value`. */
export interface AbsoluteThreshold {
  /** Discriminant. */
  kind: 'absolute';
  /** Epsilon, >= 0. */
  value: number;
}

/** The neutrality threshold: `relative` (default, 1% of the range) or `absolute`. */
export type NeutralityThreshold = RelativeThreshold | AbsoluteThreshold;

/** Default threshold: 1% of the fitness range. */
export const DEFAULT_NEUTRALITY: NeutralityThreshold = { kind: 'relative', value: 0.01 };

/** The threshold in the objective's units. */
export function neutralityEpsilon(lg: LandscapeGraph, t: NeutralityThreshold = DEFAULT_NEUTRALITY): number {
  checkOneOf('neutrality', 'threshold.kind', t?.kind, ['relative', 'absolute'] as const);
  checkNumber('neutrality', 'threshold.value', t.value, { min: 0 });
  if (t.kind === 'absolute') return t.value;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of lg.loss) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return t.value * (hi - lo);
}

/** What {@link neutrality} returns. */
export interface Neutrality {
  /** Share of neighbour pairs `{u, v}` with `|f(u) - f(v)| <= epsilon`. */
  neutrality: number;
  /** The threshold used, in the objective's units. */
  epsilon: number;
  /** Each node's share of neutral neighbours (NaN for a node without neighbours). */
  perNode: Float64Array;
}

/**
 * Neutrality (Huang & Li 2023; Reidys & Stadler 2001 for neutral networks): the share of neighbour
 * pairs whose values differ by at most epsilon, `N = |{{u, v} in E : |f(u) - f(v)| <= eps}| / |E|`,
 * with `eps` from the threshold (default 1% of the range `max f - min f`). A constant landscape has
 * N = 1. Also each node's share of neutral neighbours, `n(u) = |{v ~ u : |f(u) - f(v)| <= eps}| / deg(u)`.
 */
export function neutrality(lg: LandscapeGraph, threshold: NeutralityThreshold = DEFAULT_NEUTRALITY): Neutrality {
  const eps = neutralityEpsilon(lg, threshold);
  const { offsets, targets } = lg.neighbours;
  const { loss } = lg;
  const n = loss.length;
  const perNode = new Float64Array(n);
  let pairs = 0;
  let neutral = 0;
  for (let u = 0; u < n; u++) {
    let near = 0;
    const deg = (offsets[u + 1] as number) - (offsets[u] as number);
    for (let e = offsets[u] as number; e < (offsets[u + 1] as number); e++) {
      const v = targets[e] as number;
      const close = Math.abs((loss[u] as number) - (loss[v] as number)) <= eps;
      if (close) near++;
      if (v > u) {
        pairs++;
        if (close) neutral++;
      }
    }
    perNode[u] = deg === 0 ? Number.NaN : near / deg;
  }
  return { neutrality: pairs === 0 ? Number.NaN : neutral / pairs, epsilon: eps, perNode };
}

/**
 * Neutrality-distance correlation (Huang & Li 2023): Spearman's rho between each node's neutral
 * share `n(u)` and its distance to the nearest global optimum, `NDC = rho_S(n(u), d(u))` over
 * nodes with neighbours. Negative: the landscape gets flatter toward the optimum. NaN when either
 * is constant.
 */
export function neutralityDistanceCorrelation(perNode: Float64Array, distance: Int32Array): number {
  const keep: number[] = [];
  perNode.forEach((v, i) => {
    if (!Number.isNaN(v)) keep.push(i);
  });
  return spearman(keep.map((i) => perNode[i] as number), keep.map((i) => distance[i] as number));
}
