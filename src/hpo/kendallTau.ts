/**
 * Kendall's rank correlation `tau-b` between two samples (ties corrected): `(C - D) /
 * sqrt((n0 - n1)(n0 - n2))` over the `n0 = n(n-1)/2` pairs, `C`/`D` the concordant/discordant
 * pairs and `n1`/`n2` the pairs tied in `x`/`y` (Kendall 1945). 1: same order, -1: reversed.
 * O(n^2), fine for the few hundred configurations of an HPO run. NaN when either sample is
 * constant or has fewer than two values.
 * @example
 * ```ts
 * kendallTau([1, 2, 3], [10, 30, 20]); // 1/3
 * ```
 */
export function kendallTau(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new Error(`kendallTau: samples of different lengths ${x.length} and ${y.length}`);
  const n = x.length;
  let c = 0;
  let d = 0;
  let tx = 0;
  let ty = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const a = Math.sign((x[i] as number) - (x[j] as number));
      const b = Math.sign((y[i] as number) - (y[j] as number));
      if (a === 0) tx++;
      if (b === 0) ty++;
      if (a !== 0 && b !== 0) {
        if (a === b) c++;
        else d++;
      }
    }
  }
  const n0 = (n * (n - 1)) / 2;
  const denom = Math.sqrt((n0 - tx) * (n0 - ty));
  return denom > 0 ? (c - d) / denom : Number.NaN;
}
