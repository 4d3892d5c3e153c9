/**
 * Stationary covariance functions in float64, with their gradients with respect to their
 * hyperparameters and to their inputs (the inputs are a deep kernel's learned features).
 *
 * Every kernel here is `k(x, x') = s^2 f(u)`, `u = sum_k (x_k - x'_k)^2 / l_k^2` (squared scaled
 * distance, one length scale per dimension or one shared), with `f` and `df/du`:
 * - `rbf`: `f = exp(-u / 2)`;
 * - `matern` with `nu = 1/2`: `f = exp(-r)`; `3/2`: `f = (1 + sqrt3 r) exp(-sqrt3 r)`;
 *   `5/2`: `f = (1 + sqrt5 r + 5 r^2 / 3) exp(-sqrt5 r)`, with `r = sqrt(u)`
 *   (Rasmussen & Williams 2006, eq. 4.9 and 4.17).
 * @module
 */

import { checkOneOf } from '../util/validate.js';

/** Which covariance function: the squared exponential, or a Matern of smoothness `nu`. */
export type KernelSpec =
  | {
      /** The squared exponential. */
      type: 'rbf';
    }
  | {
      /** A Matern kernel. */
      type: 'matern';
      /** Its smoothness. */
      nu: 0.5 | 1.5 | 2.5;
    };

/** A stationary kernel's hyperparameters. */
export interface KernelParams {
  /** Length scales `l`: one per input dimension (ARD) or a single shared one. */
  lengthscales: Float64Array;
  /** The signal variance `s^2`. */
  outputscale: number;
}

/** Checks a {@link KernelSpec}; returns it. */
export function checkKernelSpec(who: string, spec: KernelSpec): KernelSpec {
  const type = checkOneOf(who, 'kernel.type', spec?.type, ['rbf', 'matern'] as const);
  if (type === 'matern') checkOneOf(who, 'kernel.nu', (spec as { nu?: unknown }).nu, [0.5, 1.5, 2.5] as const);
  return spec;
}

const SQRT3 = Math.sqrt(3);
const SQRT5 = Math.sqrt(5);

/**
 * `f(u)` and `df/du` of the kernel's profile at squared scaled distance `u >= 0`. For the Matern
 * 1/2 kernel `df/du` is infinite at `u = 0` (its kink); 0 is returned there, so coincident
 * inputs contribute no gradient (a subgradient).
 */
export function kernelProfile(spec: KernelSpec, u: number): [number, number] {
  if (spec.type === 'rbf') {
    const f = Math.exp(-0.5 * u);
    return [f, -0.5 * f];
  }
  const r = Math.sqrt(u);
  if (spec.nu === 0.5) {
    const e = Math.exp(-r);
    return [e, r === 0 ? 0 : -e / (2 * r)];
  }
  if (spec.nu === 1.5) {
    const e = Math.exp(-SQRT3 * r);
    return [(1 + SQRT3 * r) * e, -1.5 * e];
  }
  const e = Math.exp(-SQRT5 * r);
  return [(1 + SQRT5 * r + (5 / 3) * u) * e, -(5 / 6) * (1 + SQRT5 * r) * e];
}

/** `1 / l_k^2` for each of the `d` input dimensions (a shared length scale repeated). */
function inverseSquaredScales(params: KernelParams, d: number): Float64Array {
  const { lengthscales } = params;
  if (lengthscales.length !== 1 && lengthscales.length !== d) {
    throw new Error(`kernel: needs 1 or ${d} length scales for ${d}-dimensional inputs, got ${lengthscales.length}`);
  }
  return Float64Array.from({ length: d }, (_v, k) => 1 / (lengthscales[lengthscales.length === 1 ? 0 : k] as number) ** 2);
}

/**
 * The cross-covariance matrix `K_ij = k(a_i, b_j)`, row-major `na x nb`, of row-major inputs
 * `a` (`na x d`) and `b` (`nb x d`).
 */
export function kernelMatrix(spec: KernelSpec, params: KernelParams, a: Float64Array, b: Float64Array, d: number): Float64Array {
  const na = a.length / d;
  const nb = b.length / d;
  if (!Number.isInteger(na) || !Number.isInteger(nb)) throw new Error(`kernelMatrix: inputs of ${a.length} and ${b.length} entries are not rows of ${d}`);
  const w = inverseSquaredScales(params, d);
  const s2 = params.outputscale;
  const K = new Float64Array(na * nb);
  for (let i = 0; i < na; i++) {
    for (let j = 0; j < nb; j++) {
      let u = 0;
      for (let k = 0; k < d; k++) {
        const t = (a[i * d + k] as number) - (b[j * d + k] as number);
        u += t * t * (w[k] as number);
      }
      K[i * nb + j] = s2 * kernelProfile(spec, u)[0];
    }
  }
  return K;
}

/** What {@link kernelBackward} returns: the gradient of a loss through `K = k(X, X)`. */
export interface KernelGradients {
  /** `dL/d log l_k`, one per length scale. */
  logLengthscales: Float64Array;
  /** `dL/d log s^2`. */
  logOutputscale: number;
  /** `dL/dX`, row-major `n x d`. */
  inputs: Float64Array;
}

/**
 * Pulls `G = dL/dK` (row-major `n x n`) back through `K = k(X, X)`:
 * `dL/d log s^2 = sum_ij G_ij K_ij`,
 * `dL/d log l_k = sum_ij G_ij s^2 f'(u_ij) (-2 (x_ik - x_jk)^2 / l_k^2)`,
 * `dL/dx_i = sum_j (G_ij + G_ji) s^2 f'(u_ij) 2 (x_i - x_j) / l^2`.
 */
export function kernelBackward(spec: KernelSpec, params: KernelParams, x: Float64Array, d: number, G: Float64Array): KernelGradients {
  const n = x.length / d;
  if (G.length !== n * n) throw new Error(`kernelBackward: G must be ${n} x ${n}, got ${G.length} entries`);
  const w = inverseSquaredScales(params, d);
  const s2 = params.outputscale;
  const shared = params.lengthscales.length === 1;
  const dl = new Float64Array(params.lengthscales.length);
  const dx = new Float64Array(n * d);
  const diff = new Float64Array(d);
  let ds = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const g = G[i * n + j] as number;
      if (g === 0) continue;
      let u = 0;
      for (let k = 0; k < d; k++) {
        const t = (x[i * d + k] as number) - (x[j * d + k] as number);
        diff[k] = t;
        u += t * t * (w[k] as number);
      }
      const [f, fp] = kernelProfile(spec, u);
      ds += g * s2 * f;
      if (fp === 0) continue;
      const c = g * s2 * fp;
      for (let k = 0; k < d; k++) {
        const t = diff[k] as number;
        const dudl = -2 * t * t * (w[k] as number);
        dl[shared ? 0 : k] = (dl[shared ? 0 : k] as number) + c * dudl;
        const dxk = c * 2 * t * (w[k] as number);
        dx[i * d + k] = (dx[i * d + k] as number) + dxk;
        dx[j * d + k] = (dx[j * d + k] as number) - dxk;
      }
    }
  }
  return { logLengthscales: dl, logOutputscale: ds, inputs: dx };
}
