import { describe, expect, it } from 'vitest';
import { kendallTau } from './kendallTau.js';

describe('kendallTau', () => {
  it('counts concordant and discordant pairs, with the tau-b tie correction', () => {
    expect(kendallTau([1, 2, 3], [10, 30, 20])).toBeCloseTo(1 / 3, 12);
    expect(kendallTau([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
    // Pairs: 3 concordant, 1 discordant, one tied in x, one tied in y: 2 / sqrt(5 * 5).
    expect(kendallTau([1, 2, 2, 3], [1, 3, 2, 2])).toBeCloseTo(0.4, 12);
    expect(kendallTau([1, 1], [1, 2])).toBeNaN();
    expect(() => kendallTau([1], [1, 2])).toThrow('kendallTau: samples of different lengths 1 and 2');
  });
});
