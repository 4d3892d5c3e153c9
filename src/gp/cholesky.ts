/**
 * Cholesky factorization and triangular solves in float64, on row-major `Float64Array`s: the
 * linear algebra of exact Gaussian-process regression (Rasmussen & Williams 2006, Algorithm 2.1).
 *
 * Written here rather than taken from a library because it is the inner loop of every GP fit
 * (a deep-kernel fit factorizes once per training step); it is tested against ml-matrix's
 * `CholeskyDecomposition` (`src/gp/cholesky.test.ts`).
 * @module
 */

import { checkNumber, checkPositiveInteger } from '../util/validate.js';
import { GpNumericalError } from './numericalError.js';

/** A lower-triangular Cholesky factor `L` (`A + jitter I = L L^T`), row-major `n x n`. */
export interface CholeskyFactor {
  /** The factor, row-major; entries above the diagonal are zero. */
  L: Float64Array;
  /** Its order. */
  n: number;
  /** The jitter added to the diagonal to make the factorization succeed (0 when none was needed). */
  jitter: number;
}

/** Options of {@link cholesky}. */
export interface CholeskyOptions {
  /**
   * The largest jitter tried, relative to the mean of `A`'s diagonal; default 1e-4. Jitters
   * `1e-10, 1e-9, ...` times the mean diagonal are tried in turn up to it (GPyTorch's strategy).
   */
  maxRelativeJitter?: number;
}

/**
 * Factors `a` (symmetric, read from its lower triangle) in place of a copy: returns `L` or the
 * index of the first pivot that is not positive (the matrix is not positive definite to working
 * precision). Row-oriented (Cholesky-Banachiewicz): each entry is a dot product of two rows of `L`,
 * read contiguously.
 */
function factorOnce(a: Float64Array, n: number, shift: number): { L: Float64Array } | { failedAt: number; pivot: number } {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      let s = a[ri + j] as number;
      if (i === j) s += shift;
      for (let k = 0; k < j; k++) s -= (L[ri + k] as number) * (L[rj + k] as number);
      if (i === j) {
        if (!(s > 0)) return { failedAt: i, pivot: s };
        L[ri + i] = Math.sqrt(s);
      } else {
        L[ri + j] = s / (L[rj + j] as number);
      }
    }
  }
  return { L };
}

/**
 * The Cholesky factor of a symmetric positive-definite matrix `a` (row-major `n x n`, only its
 * lower triangle is read): `a + jitter I = L L^T`. When `a` is singular to working precision (a
 * kernel matrix of near-duplicate inputs with tiny noise), growing jitters are added to the
 * diagonal, `10^-10 .. maxRelativeJitter` times its mean; the one used is returned. Past the
 * largest it throws a {@link GpNumericalError}, naming the pivot and what to do.
 * @example
 * ```ts
 * const { L } = cholesky(new Float64Array([4, 2, 2, 3]), 2); // [2, 0, 1, sqrt(2)]
 * ```
 */
export function cholesky(a: Float64Array, n: number, { maxRelativeJitter = 1e-4 }: CholeskyOptions = {}): CholeskyFactor {
  checkPositiveInteger('cholesky', 'n', n);
  checkNumber('cholesky', 'maxRelativeJitter', maxRelativeJitter, { min: 0 });
  if (a.length !== n * n) throw new Error(`cholesky: the matrix must have n * n = ${n * n} entries, got ${a.length}`);
  let diag = 0;
  for (let i = 0; i < n; i++) {
    const d = a[i * n + i] as number;
    if (!Number.isFinite(d)) throw new Error(`cholesky: diagonal entry ${i} is ${d}; the matrix must be finite`);
    diag += Math.abs(d) / n;
  }
  let last: { failedAt: number; pivot: number } | null = null;
  for (let jitter = 0; ; jitter = jitter === 0 ? 1e-10 * diag : jitter * 10) {
    if (jitter > maxRelativeJitter * diag * (1 + 1e-9)) break;
    const r = factorOnce(a, n, jitter);
    if ('L' in r) return { L: r.L, n, jitter };
    last = r;
    if (diag === 0) break;
  }
  throw new GpNumericalError(
    `cholesky: the ${n} x ${n} matrix is not positive definite even with jitter ${(maxRelativeJitter * diag).toExponential(2)} ` +
      `(${maxRelativeJitter} x its mean diagonal ${diag.toExponential(3)}) added: pivot ${last?.failedAt} is ${last?.pivot.toExponential(3)}. ` +
      'For a kernel matrix, raise the noise (or its lower bound), or remove duplicate inputs observed without noise.',
  );
}

/** Solves `L x = b` (forward substitution) for `m` right-hand sides: `b` is row-major `n x m`. */
export function solveLower({ L, n }: CholeskyFactor, b: Float64Array, m = 1): Float64Array {
  if (b.length !== n * m) throw new Error(`solveLower: b must have ${n} x ${m} entries, got ${b.length}`);
  const x = Float64Array.from(b);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    const xi = i * m;
    for (let k = 0; k < i; k++) {
      const l = L[ri + k] as number;
      if (l === 0) continue;
      const xk = k * m;
      for (let c = 0; c < m; c++) x[xi + c] = (x[xi + c] as number) - l * (x[xk + c] as number);
    }
    const d = L[ri + i] as number;
    for (let c = 0; c < m; c++) x[xi + c] = (x[xi + c] as number) / d;
  }
  return x;
}

/** Solves `L^T x = b` (back substitution) for `m` right-hand sides: `b` is row-major `n x m`. */
export function solveUpper({ L, n }: CholeskyFactor, b: Float64Array, m = 1): Float64Array {
  if (b.length !== n * m) throw new Error(`solveUpper: b must have ${n} x ${m} entries, got ${b.length}`);
  const x = Float64Array.from(b);
  for (let i = n - 1; i >= 0; i--) {
    const xi = i * m;
    const d = L[i * n + i] as number;
    for (let c = 0; c < m; c++) x[xi + c] = (x[xi + c] as number) / d;
    // Column i of L^T's upper part is row i of L: x_k -= L[i, k] x_i for k < i.
    for (let k = 0; k < i; k++) {
      const l = L[i * n + k] as number;
      if (l === 0) continue;
      const xk = k * m;
      for (let c = 0; c < m; c++) x[xk + c] = (x[xk + c] as number) - l * (x[xi + c] as number);
    }
  }
  return x;
}

/** Solves `A x = b` from `A`'s Cholesky factor: `x = L^-T L^-1 b`. */
export function choleskySolve(f: CholeskyFactor, b: Float64Array, m = 1): Float64Array {
  return solveUpper(f, solveLower(f, b, m), m);
}

/** `log det A = 2 sum_i log L_ii`. */
export function logDeterminant({ L, n }: CholeskyFactor): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(L[i * n + i] as number);
  return 2 * s;
}

/**
 * `A^-1` (symmetric, row-major) from `A`'s Cholesky factor: `A^-1 = L^-T L^-1`, through the
 * triangular inverse `M = L^-1` and `A^-1_ij = sum_{k >= max(i, j)} M_ki M_kj`.
 */
export function choleskyInverse({ L, n }: CholeskyFactor): Float64Array {
  // Mt = L^-T (upper triangular), row j of Mt = column j of L^-1, by forward substitution
  // L m = e_j; both rows read in the inner loop are contiguous.
  const Mt = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    Mt[rj + j] = 1 / (L[rj + j] as number);
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = 0;
      for (let k = j; k < i; k++) s -= (L[ri + k] as number) * (Mt[rj + k] as number);
      Mt[rj + i] = s / (L[ri + i] as number);
    }
  }
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      let s = 0;
      // Rows i and j of Mt are nonzero from column max(i, j) = i on.
      for (let k = i; k < n; k++) s += (Mt[ri + k] as number) * (Mt[rj + k] as number);
      inv[ri + j] = s;
      inv[rj + i] = s;
    }
  }
  return inv;
}
