import { normalCdf } from '../util/normal.js';

/** The result of {@link mannWhitneyLess}. */
export interface MannWhitney {
  /** The U statistic of the first sample. */
  u: number;
  /** One-sided p-value that the first sample tends to be smaller. */
  p: number;
}

/**
 * One-sided Mann-Whitney U test that `a` tends to be smaller than `b` (normal approximation with
 * tie correction; continuity-corrected). Returns the U statistic of `a` and the p-value.
 */
export function mannWhitneyLess(a: readonly number[], b: readonly number[]): MannWhitney {
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  const ranks = new Array<number>(all.length);
  let tieTerm = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && (all[j + 1] as { v: number }).v === (all[i] as { v: number }).v) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[k] = r;
    const t = j - i + 1;
    tieTerm += t ** 3 - t;
    i = j + 1;
  }
  const n1 = a.length;
  const n2 = b.length;
  const r1 = all.reduce((s, x, i) => s + (x.g === 0 ? (ranks[i] as number) : 0), 0);
  const u = r1 - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const n = n1 + n2;
  const sd = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  if (sd === 0) return { u, p: 0.5 };
  const z = (u - mean + 0.5) / sd;
  // p = P(Z <= z): a small U (a ranks low) gives a small p.
  return { u, p: normalCdf(z) };
}
