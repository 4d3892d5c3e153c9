/**
 * Rank statistics of the landscape metrics and comparisons: average ranks with ties, Pearson,
 * Spearman and Kendall's tau-b. Undefined correlations (a constant input) are `NaN`.
 * @module
 */

function checkPair(who: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new Error(`${who}: the two samples must have the same length, got ${a.length} and ${b.length}`);
}

/**
 * Ranks 1..n of `x` (ascending), ties given the mean of the ranks they span (the "fractional"
 * ranking that Spearman's rho with ties uses).
 */
export function averageRanks(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const order = Array.from({ length: n }, (_v, i) => i).sort((i, j) => (x[i] as number) - (x[j] as number));
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && x[order[j + 1] as number] === x[order[i] as number]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k] as number] = r;
    i = j + 1;
  }
  return ranks;
}

/** Pearson's correlation `cov(a, b) / (sd(a) sd(b))`; NaN when either is constant or n < 2. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkPair('pearson', a, b);
  const n = a.length;
  if (n < 2) return Number.NaN;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] as number;
    mb += b[i] as number;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = (a[i] as number) - ma;
    const db = (b[i] as number) - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa === 0 || sbb === 0) return Number.NaN;
  return Math.max(-1, Math.min(1, sab / Math.sqrt(saa * sbb)));
}

/** Spearman's rho: Pearson's correlation of the average ranks (Spearman 1904; ties as scipy's `spearmanr`). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkPair('spearman', a, b);
  return pearson(averageRanks(a), averageRanks(b));
}

/**
 * Kendall's tau-b (Kendall 1945), `(n_c - n_d) / sqrt((n_0 - n_1)(n_0 - n_2))` with `n_0 = n(n-1)/2`,
 * `n_1`, `n_2` the pairs tied in a, in b; computed in O(n log n) by Knight's (1966) merge sort.
 * NaN when either sample is constant.
 */
export function kendallTau(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkPair('kendallTau', a, b);
  const n = a.length;
  if (n < 2) return Number.NaN;
  // Sort by (a, b); count pairs tied in a and tied in both.
  const order = Array.from({ length: n }, (_v, i) => i).sort((i, j) => (a[i] as number) - (a[j] as number) || (b[i] as number) - (b[j] as number));
  const tiedPairs = (same: (i: number, j: number) => boolean, idx: number[]) => {
    let total = 0;
    for (let i = 0; i < n; ) {
      let j = i;
      while (j + 1 < n && same(idx[i] as number, idx[j + 1] as number)) j++;
      const t = j - i + 1;
      total += (t * (t - 1)) / 2;
      i = j + 1;
    }
    return total;
  };
  const n1 = tiedPairs((i, j) => a[i] === a[j], order);
  const n3 = tiedPairs((i, j) => a[i] === a[j] && b[i] === b[j], order);
  // Merge sort the b values in that order, counting swaps (discordant pairs).
  let ys = Float64Array.from(order, (i) => b[i] as number);
  let buf = new Float64Array(n);
  let swaps = 0;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        if ((ys[j] as number) < (ys[i] as number)) {
          buf[k++] = ys[j++] as number;
          swaps += mid - i;
        } else buf[k++] = ys[i++] as number;
      }
      while (i < mid) buf[k++] = ys[i++] as number;
      while (j < hi) buf[k++] = ys[j++] as number;
    }
    [ys, buf] = [buf, ys];
  }
  const sorted = Array.from(ys);
  const n2 = tiedPairs((i, j) => sorted[i] === sorted[j], Array.from({ length: n }, (_v, i) => i));
  const n0 = (n * (n - 1)) / 2;
  // Concordant minus discordant among pairs tied in neither: n0 - n1 - n2 + n3 - 2 swaps.
  const s = n0 - n1 - n2 + n3 - 2 * swaps;
  const denom = Math.sqrt((n0 - n1) * (n0 - n2));
  return denom === 0 ? Number.NaN : Math.max(-1, Math.min(1, s / denom));
}

/** The q-quantile of a sample (linear interpolation between order statistics, numpy's default); NaN when empty. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Array.from(values).filter((v) => !Number.isNaN(v)).sort((x, y) => x - y);
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}
