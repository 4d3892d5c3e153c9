import fc from 'fast-check';
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { cholesky, choleskyInverse, choleskySolve, logDeterminant, solveLower, solveUpper } from './cholesky.js';

/** A random symmetric positive-definite matrix `B B^T + c I`. */
function spd(n: number, values: number[], c: number): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = i === j ? c : 0;
      for (let k = 0; k < n; k++) s += (values[i * n + k] as number) * (values[j * n + k] as number);
      a[i * n + j] = s;
    }
  }
  return a;
}

const cases = fc.integer({ min: 1, max: 9 }).chain((n) =>
  fc.tuple(fc.constant(n), fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: n * n, maxLength: n * n }), fc.double({ min: 0.05, max: 2, noNaN: true })));

describe('cholesky', () => {
  it('matches ml-matrix\'s CholeskyDecomposition on random SPD matrices', () => {
    fc.assert(fc.property(cases, ([n, v, c]) => {
      const a = spd(n, v, c);
      const ours = cholesky(a, n);
      expect(ours.jitter).toBe(0);
      const ref = new CholeskyDecomposition(new Matrix(Array.from({ length: n }, (_r, i) => Array.from(a.subarray(i * n, i * n + n)))));
      const L = ref.lowerTriangularMatrix;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(ours.L[i * n + j]).toBeCloseTo(L.get(i, j), 10);
    }), { numRuns: 60, seed: 1 });
  });

  it('solves, inverts and takes the log determinant consistently', () => {
    fc.assert(fc.property(cases, ([n, v, c]) => {
      const a = spd(n, v, c);
      const f = cholesky(a, n);
      const b = Float64Array.from({ length: n * 2 }, (_v, i) => Math.sin(i + 1));
      const x = choleskySolve(f, b, 2);
      for (let i = 0; i < n; i++) {
        for (let col = 0; col < 2; col++) {
          let s = 0;
          for (let k = 0; k < n; k++) s += (a[i * n + k] as number) * (x[k * 2 + col] as number);
          expect(s).toBeCloseTo(b[i * 2 + col] as number, 8);
        }
      }
      const inv = choleskyInverse(f);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let k = 0; k < n; k++) s += (a[i * n + k] as number) * (inv[k * n + j] as number);
          expect(s).toBeCloseTo(i === j ? 1 : 0, 8);
        }
      }
      const ref = new CholeskyDecomposition(new Matrix(Array.from({ length: n }, (_r, i) => Array.from(a.subarray(i * n, i * n + n)))));
      let logDet = 0;
      for (let i = 0; i < n; i++) logDet += 2 * Math.log(ref.lowerTriangularMatrix.get(i, i));
      expect(logDeterminant(f)).toBeCloseTo(logDet, 9);
      // The two triangular solves invert L and L^T.
      const y = solveLower(f, b.subarray(0, n));
      const z = solveUpper(f, y);
      expect(Array.from(z)).toEqual(Array.from(choleskySolve(f, b.subarray(0, n))));
    }), { numRuns: 40, seed: 2 });
  });

  it('factors [[4, 2], [2, 3]] as [[2, 0], [1, sqrt 2]]', () => {
    const { L } = cholesky(new Float64Array([4, 2, 2, 3]), 2);
    expect(Array.from(L)).toEqual([2, 0, 1, Math.SQRT2]);
  });

  it('adds jitter to a singular kernel matrix (duplicate inputs, no noise) and says how much', () => {
    // k(x, x') = exp(-(x - x')^2 / 2) at x = 0, 0, 1: rows 0 and 1 are equal, so the matrix is singular.
    const x = [0, 0, 1];
    const a = new Float64Array(9);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) a[i * 3 + j] = Math.exp(-0.5 * ((x[i] as number) - (x[j] as number)) ** 2);
    const f = cholesky(a, 3);
    expect(f.jitter).toBeGreaterThan(0);
    expect(f.jitter).toBeLessThanOrEqual(1e-4);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += (f.L[i * 3 + k] as number) * (f.L[j * 3 + k] as number);
        expect(s).toBeCloseTo((a[i * 3 + j] as number) + (i === j ? f.jitter : 0), 12);
      }
    }
  });

  it('throws a clear error past the largest jitter', () => {
    expect(() => cholesky(new Float64Array([1, 2, 2, 1]), 2)).toThrow(/not positive definite even with jitter .*pivot 1 is -3\.0+e\+0.*raise the noise/);
    expect(() => cholesky(new Float64Array([1, 0, 0, -1e-3]), 2, { maxRelativeJitter: 1e-6 })).toThrow(/not positive definite/);
    expect(() => cholesky(new Float64Array([1, 0, 0]), 2)).toThrow('cholesky: the matrix must have n * n = 4 entries, got 3');
    expect(() => cholesky(new Float64Array([NaN]), 1)).toThrow('cholesky: diagonal entry 0 is NaN');
  });
});
