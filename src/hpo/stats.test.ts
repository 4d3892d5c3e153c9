import { describe, expect, it } from 'vitest';
import { mannWhitneyLess } from './stats.js';

/** Exact one-sided p-value by enumerating every split of the pooled values (small samples). */
function exactP(a: number[], b: number[]): number {
  const pooled = [...a, ...b];
  const n1 = a.length;
  const rankSum = (idx: number[]) => idx.reduce((s, i) => s + pooled.filter((v) => v < (pooled[i] as number)).length + (pooled.filter((v) => v === pooled[i]).length + 1) / 2, 0);
  const observed = rankSum(a.map((_v, i) => i));
  let count = 0;
  let total = 0;
  const choose = (start: number, picked: number[]) => {
    if (picked.length === n1) {
      total++;
      if (rankSum(picked) <= observed + 1e-9) count++;
      return;
    }
    for (let i = start; i < pooled.length; i++) choose(i + 1, [...picked, i]);
  };
  choose(0, []);
  return count / total;
}

describe('Mann-Whitney U (one-sided, a < b)', () => {
  it('agrees with the exact permutation p-value within the normal approximation', () => {
    const cases: [number[], number[]][] = [
      [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]],
      [[1, 3, 5, 7, 9, 11], [2, 4, 6, 8, 10, 12]],
      [[0.1, 0.4, 0.35, 0.8, 0.2, 0.5, 0.6], [0.9, 0.3, 0.7, 1.0, 0.95, 0.45, 0.85]],
      [[5, 6, 7, 8], [1, 2, 3, 4]],
    ];
    for (const [a, b] of cases) expect(Math.abs(mannWhitneyLess(a, b).p - exactP(a, b))).toBeLessThan(0.02);
    expect(mannWhitneyLess([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).u).toBe(0);
  });
});
