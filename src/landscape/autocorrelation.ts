import { checkInteger, checkSeed } from '../util/validate.js';
import { seededRandom } from '../util/random.js';
import type { LandscapeGraph } from './landscapeGraph.js';

/** Options of {@link randomWalkAutocorrelation}. */
export interface WalkOptions {
  /** Number of walks; default 1000. */
  walks?: number;
  /** Moves per walk; default 20 (so 21 values per walk). */
  length?: number;
  /** Lag; default 1. */
  lag?: number;
  /** Seed of the start nodes and moves; default 0. */
  seed?: number;
}

/** What {@link randomWalkAutocorrelation} returns. */
export interface Autocorrelation {
  /** The autocorrelation at the lag, rho(s). */
  rho: number;
  /** Correlation length `-1 / ln |rho(1)|` (Infinity when |rho| = 1, 0 when rho = 0); only for lag 1, else NaN. */
  correlationLength: number;
  /** Walks run. */
  walks: number;
  /** Moves per walk. */
  length: number;
  /** The lag. */
  lag: number;
}

/**
 * Random-walk autocorrelation (Weinberger 1990): `walks` walks of `length` moves, each from a
 * uniformly drawn node to a uniformly drawn neighbour (seeded), values `f_t` along each; pooled
 * over walks under one grand mean `m`,
 * `rho(s) = sum_walks sum_t (f_t - m)(f_{t+s} - m) / sum_walks sum_t (f_t - m)^2`.
 * Near 1: neighbours have similar values (smooth); near 0: uncorrelated (rugged). The correlation
 * length `l = -1 / ln |rho(1)|` (Stadler 1996) is the distance over which values stay correlated.
 * NaN for a constant landscape (no variance).
 */
export function randomWalkAutocorrelation(lg: LandscapeGraph, options: WalkOptions = {}): Autocorrelation {
  const walks = checkInteger('randomWalkAutocorrelation', 'walks', options.walks ?? 1000, { min: 1 });
  const length = checkInteger('randomWalkAutocorrelation', 'length', options.length ?? 20, { min: 1 });
  const lag = checkInteger('randomWalkAutocorrelation', 'lag', options.lag ?? 1, { min: 1, max: length });
  const rand = seededRandom(checkSeed('randomWalkAutocorrelation', 'seed', options.seed ?? 0));
  const { offsets, targets } = lg.neighbours;
  const { loss } = lg;
  const n = loss.length;
  const series: Float64Array[] = [];
  let sum = 0;
  let count = 0;
  for (let w = 0; w < walks; w++) {
    let u = Math.floor(rand() * n);
    const xs = [loss[u] as number];
    for (let t = 0; t < length; t++) {
      const deg = (offsets[u + 1] as number) - (offsets[u] as number);
      if (deg === 0) break;
      u = targets[(offsets[u] as number) + Math.floor(rand() * deg)] as number;
      xs.push(loss[u] as number);
    }
    if (xs.length <= lag) continue;
    series.push(Float64Array.from(xs));
    for (const x of xs) sum += x;
    count += xs.length;
  }
  const mean = sum / count;
  let num = 0;
  let den = 0;
  for (const xs of series) {
    for (let t = 0; t < xs.length; t++) {
      const d = (xs[t] as number) - mean;
      den += d * d;
      if (t + lag < xs.length) num += d * ((xs[t + lag] as number) - mean);
    }
  }
  const rho = den === 0 ? Number.NaN : num / den;
  const a = Math.abs(rho);
  const correlationLength = lag !== 1 || Number.isNaN(rho) ? Number.NaN : a >= 1 ? Infinity : a === 0 ? 0 : -1 / Math.log(a);
  return { rho, correlationLength, walks, length, lag };
}
