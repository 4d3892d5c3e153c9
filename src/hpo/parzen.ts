import type { Config, Param, SearchSpace } from './types.js';
import { normalCdf } from '../util/normal.js';

/**
 * Univariate Parzen estimators for TPE (Bergstra et al. 2011) and BOHB (Falkner et al. 2018), in
 * each parameter's internal space (log for log-scale parameters; integers as intervals of width 1).
 * A numeric estimator is a mixture of Gaussians truncated to the bounds: one per observation plus
 * a prior component at the centre with the width of the range; each bandwidth is the larger gap to
 * a neighbour, clipped to [range / min(100, n + 1), range] (Optuna's heuristic), times `bandwidthFactor`.
 * A categorical estimator is the choices' frequencies plus a uniform prior of total weight 1.
 */

interface Bounds { lo: number; hi: number }

function internalBounds(p: Param): Bounds {
  if (p.type === 'categorical') return { lo: 0, hi: p.choices.length };
  if (p.type === 'float') return p.log ? { lo: Math.log(p.low), hi: Math.log(p.high) } : { lo: p.low, hi: p.high };
  return p.log ? { lo: Math.log(p.low - 0.5), hi: Math.log(p.high + 0.5) } : { lo: p.low - 0.5, hi: p.high + 0.5 };
}

/** A value of a config, in the parameter's internal space. */
export function toInternal(p: Param, v: Config[string]): number {
  if (p.type === 'categorical') return p.choices.indexOf(v as never);
  return p.log ? Math.log(v as number) : (v as number);
}

/** Back from internal space (rounded and clipped for integers). */
export function fromInternal(p: Param, x: number): Config[string] {
  if (p.type === 'categorical') return p.choices[Math.round(x)] as Config[string];
  const v = p.log ? Math.exp(x) : x;
  if (p.type === 'float') return Math.min(p.high, Math.max(p.low, v));
  return Math.min(p.high, Math.max(p.low, Math.round(v)));
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** A univariate estimator: sample and log-density in internal space. */
export interface Estimator {
  /** Draws one internal value. */
  sample(rand: () => number): number;
  /** The log-density (or log-probability) at an internal value. */
  logDensity(x: number): number;
}

/** Builds the estimator of `p` from observed internal values. */
export function parzen(p: Param, observed: readonly number[], bandwidthFactor = 1): Estimator {
  if (p.type === 'categorical') {
    const k = p.choices.length;
    const w = new Array(k).fill(1 / k);
    for (const o of observed) w[o] += 1;
    const total = w.reduce((a, b) => a + b, 0);
    const probs = w.map((x) => x / total);
    return {
      sample: (rand) => {
        let u = rand();
        for (let i = 0; i < k; i++) if ((u -= probs[i] as number) < 0) return i;
        return k - 1;
      },
      logDensity: (x) => Math.log(probs[Math.round(x)] ?? 1e-300),
    };
  }
  const { lo, hi } = internalBounds(p);
  const range = hi - lo;
  const mus = [...observed, (lo + hi) / 2];
  const order = mus.map((m, i) => [m, i] as const).sort((a, b) => a[0] - b[0]);
  const sigmas = new Array<number>(mus.length);
  const minSigma = range / Math.min(100, observed.length + 1);
  order.forEach(([m, i], j) => {
    const left = j === 0 ? m - lo : m - (order[j - 1] as readonly [number, number])[0];
    const right = j === order.length - 1 ? hi - m : (order[j + 1] as readonly [number, number])[0] - m;
    sigmas[i] = Math.min(range, Math.max(minSigma, Math.max(left, right))) * bandwidthFactor;
  });
  const prior = mus.length - 1;
  sigmas[prior] = range;
  const weights = mus.map(() => 1 / mus.length);
  const mass = mus.map((m, i) => normalCdf((hi - m) / (sigmas[i] as number)) - normalCdf((lo - m) / (sigmas[i] as number)));
  // The mixture as flat arrays, each term's divisor precomputed (the same operations, so the same bits).
  const n = mus.length;
  const mu = Float64Array.from(mus);
  const sd = Float64Array.from(sigmas);
  const w = Float64Array.from(weights);
  const denom = Float64Array.from(mus, (_m, i) => (sigmas[i] as number) * Math.max(mass[i] as number, 1e-12));
  return {
    sample: (rand) => {
      const i = Math.min(mus.length - 1, Math.floor(rand() * mus.length));
      for (let tries = 0; tries < 100; tries++) {
        const x = (mus[i] as number) + (sigmas[i] as number) * gaussian(rand);
        if (x >= lo && x <= hi) return x;
      }
      return Math.min(hi, Math.max(lo, mus[i] as number));
    },
    logDensity: (x) => {
      let s = 0;
      for (let i = 0; i < n; i++) {
        const z = (x - (mu[i] as number)) / (sd[i] as number);
        // exp underflows to exactly 0 beyond |z| ~ 38.6: skipping those terms changes no bit of the sum.
        if (z * z < 1490) s += ((w[i] as number) * Math.exp(-0.5 * z * z - LOG_SQRT_2PI)) / (denom[i] as number);
      }
      return Math.log(Math.max(s, 1e-300));
    },
  };
}

/**
 * One TPE proposal: per parameter, `candidates` draws from the good estimator `l` (with its
 * bandwidths scaled by `bandwidthFactor`, BOHB's widened sampling), keeping the one maximising
 * `log l(x) - log g(x)` under the unscaled estimators (the expected-improvement criterion of
 * Bergstra et al. 2011).
 */
export function proposeByDensityRatio(space: SearchSpace, good: readonly Config[], bad: readonly Config[], candidates: number,
  rand: () => number, bandwidthFactor = 1): Config {
  const config: Config = {};
  for (const name of Object.keys(space).sort()) {
    const p = space[name] as Param;
    const goodValues = good.map((c) => toInternal(p, c[name] as Config[string]));
    const l = parzen(p, goodValues);
    const sampler = bandwidthFactor === 1 ? l : parzen(p, goodValues, bandwidthFactor);
    const g = parzen(p, bad.map((c) => toInternal(p, c[name] as Config[string])));
    let best = sampler.sample(rand);
    let bestScore = l.logDensity(best) - g.logDensity(best);
    for (let i = 1; i < candidates; i++) {
      const x = sampler.sample(rand);
      const score = l.logDensity(x) - g.logDensity(x);
      if (score > bestScore) [best, bestScore] = [x, score];
    }
    config[name] = fromInternal(p, best);
  }
  return config;
}
