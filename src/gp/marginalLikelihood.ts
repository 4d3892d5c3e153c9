import { checkPositiveInteger } from '../util/validate.js';
import { cholesky, choleskyInverse, choleskySolve, logDeterminant } from './cholesky.js';
import { fromTheta, thetaLength } from './hyperparameters.js';
import { type KernelSpec, kernelBackward, kernelMatrix } from './kernels.js';

/** What {@link negativeLogMarginalLikelihood} returns. */
export interface MarginalLikelihood {
  /** `-log p(y | X, theta)`. */
  value: number;
  /** `d value / d theta` (see `hyperparameters.ts` for the layout of `theta`). */
  theta: Float64Array;
  /** `d value / d X`, row-major `n x d`. */
  inputs: Float64Array;
  /** The jitter the Cholesky factorization had to add (0 normally). */
  jitter: number;
}

/** Options of {@link negativeLogMarginalLikelihood}. */
export interface MarginalLikelihoodOptions {
  /** The lower bound of the noise variance; default 1e-6. */
  noiseFloor?: number;
  /** Skip the gradient (its `K^-1` costs twice the factorization); default false. */
  valueOnly?: boolean;
}

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * The negative log marginal likelihood of an exact GP and its gradient (Rasmussen & Williams
 * 2006, eq. 2.30 and 5.9), in float64:
 *
 * `NLL = 1/2 (y - m)^T K^-1 (y - m) + 1/2 log det K + n/2 log 2 pi`, `K = k(X, X) + sigma^2 I`;
 * with `alpha = K^-1 (y - m)`, `G = dNLL/dK = 1/2 (K^-1 - alpha alpha^T)`, so
 * `dNLL/d sigma^2 = tr G`, `dNLL/dm = -sum alpha`, and the kernel's own parameters and the inputs
 * `X` receive `G` pulled back through `k` ({@link kernelBackward}).
 *
 * @param x - inputs (or a deep kernel's features), row-major `n x d`.
 * @param theta - the unconstrained hyperparameters (`hyperparameters.ts`), `p + 3` entries.
 * @example
 * ```ts
 * const { value, theta: g } = negativeLogMarginalLikelihood({ type: 'rbf' }, x, 1, y, toTheta(h, 1e-6));
 * ```
 */
export function negativeLogMarginalLikelihood(
  spec: KernelSpec, x: Float64Array, d: number, y: Float64Array, theta: ArrayLike<number>, options: MarginalLikelihoodOptions = {},
): MarginalLikelihood {
  const { noiseFloor = 1e-6, valueOnly = false } = options;
  checkPositiveInteger('negativeLogMarginalLikelihood', 'd', d);
  const n = y.length;
  if (x.length !== n * d) throw new Error(`negativeLogMarginalLikelihood: x must be ${n} x ${d} for ${n} targets, got ${x.length} entries`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(y[i])) throw new Error(`negativeLogMarginalLikelihood: target ${i} is ${y[i]}; targets must be finite`);
  }
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) throw new Error(`negativeLogMarginalLikelihood: input entry ${i} (row ${Math.floor(i / d)}) is ${x[i]}; inputs must be finite`);
  }
  const p = theta.length - 3;
  const h = fromTheta(theta, p, noiseFloor);
  const K = kernelMatrix(spec, h.kernel, x, x, d);
  for (let i = 0; i < n; i++) K[i * n + i] = (K[i * n + i] as number) + h.noise;
  const f = cholesky(K, n);
  const r = Float64Array.from(y, (v) => v - h.mean);
  const alpha = choleskySolve(f, r);
  let quad = 0;
  for (let i = 0; i < n; i++) quad += (r[i] as number) * (alpha[i] as number);
  const value = 0.5 * quad + 0.5 * logDeterminant(f) + 0.5 * n * LOG_2PI;
  const gTheta = new Float64Array(thetaLength(p));
  if (valueOnly) return { value, theta: gTheta, inputs: new Float64Array(n * d), jitter: f.jitter };
  const G = choleskyInverse(f);
  let trace = 0;
  let sumAlpha = 0;
  for (let i = 0; i < n; i++) {
    const ai = alpha[i] as number;
    sumAlpha += ai;
    for (let j = 0; j < n; j++) G[i * n + j] = 0.5 * ((G[i * n + j] as number) - ai * (alpha[j] as number));
    trace += G[i * n + i] as number;
  }
  const kg = kernelBackward(spec, h.kernel, x, d, G);
  gTheta.set(kg.logLengthscales, 0);
  gTheta[p] = kg.logOutputscale;
  gTheta[p + 1] = trace * (h.noise - noiseFloor); // d sigma^2 / d theta = sigma^2 - floor
  gTheta[p + 2] = -sumAlpha;
  return { value, theta: gTheta, inputs: kg.inputs, jitter: f.jitter };
}
