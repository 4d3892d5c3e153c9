import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { averageRanks, kendallTau, pearson, quantile, spearman } from './rankCorrelation.js';

/** Kendall's tau-b by its definition over all pairs, O(n^2). */
function kendallBrute(a: number[], b: number[]): number {
  let s = 0;
  let tiesA = 0;
  let tiesB = 0;
  let pairs = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      pairs++;
      const da = Math.sign((a[i] as number) - (a[j] as number));
      const db = Math.sign((b[i] as number) - (b[j] as number));
      if (da === 0) tiesA++;
      if (db === 0) tiesB++;
      s += da * db;
    }
  }
  return s / Math.sqrt((pairs - tiesA) * (pairs - tiesB));
}

/** Ranks by counting: rank(x_i) = 1 + #{x_j < x_i} + (#{x_j = x_i} - 1) / 2. */
function ranksBrute(x: number[]): number[] {
  return x.map((v) => 1 + x.filter((w) => w < v).length + (x.filter((w) => w === v).length - 1) / 2);
}

const sample = fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 3, maxLength: 40 });

describe('rank statistics', () => {
  it("Kendall's tau-b (merge sort) equals the O(n^2) definition, ties included", () => {
    fc.assert(fc.property(sample, sample, (x, y) => {
      const n = Math.min(x.length, y.length);
      const a = x.slice(0, n);
      const b = y.slice(0, n);
      const brute = kendallBrute(a, b);
      const fast = kendallTau(a, b);
      if (!Number.isFinite(brute)) return Number.isNaN(fast);
      return Math.abs(fast - brute) < 1e-12;
    }), { numRuns: 300 });
  });

  it('average ranks equal ranks by counting, and Spearman is Pearson of them', () => {
    fc.assert(fc.property(sample, (x) => {
      expect(Array.from(averageRanks(x))).toEqual(ranksBrute(x));
    }));
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBe(1);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
    expect(spearman([1, 2, 3, 4], [1, 1, 1, 1])).toBeNaN();
    expect(kendallTau([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
    // Pearson against the textbook formula on a small case: x = 1..4, y = 1, 3, 2, 4: r = 0.8.
    expect(pearson([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 12);
  });

  it('quantiles interpolate like numpy', () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5], 0.25)).toBe(2);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('refuses samples of different lengths', () => {
    expect(() => kendallTau([1, 2], [1])).toThrow(/kendallTau: the two samples must have the same length, got 2 and 1/);
  });
});
