import { type CholeskyFactor, cholesky, choleskySolve, solveLower } from './cholesky.js';
import { type GpHyperparameters, fromTheta } from './hyperparameters.js';
import { type KernelSpec, kernelMatrix } from './kernels.js';

/** The predictive distribution at a set of test inputs. */
export interface GpPrediction {
  /** Posterior means `E[f(x*)]`. */
  mean: Float64Array;
  /** Posterior variances of the latent `f(x*)` (add `noise` for a new observation's). */
  variance: Float64Array;
}

/** An exact GP conditioned on data: predicts at new inputs. */
export interface GpPosterior {
  /** The hyperparameters it was conditioned with. */
  hyperparameters: GpHyperparameters;
  /** The jitter its factorization needed (0 normally). */
  jitter: number;
  /** The posterior mean and latent variance at `xStar` (row-major `m x d`). */
  predict(xStar: Float64Array): GpPrediction;
}

/**
 * Conditions a GP with a constant mean on observations `(x, y)` (Rasmussen & Williams 2006,
 * Algorithm 2.1), in float64: with `K = k(X, X) + sigma^2 I = L L^T` and `alpha = K^-1 (y - m)`,
 * `mean(x*) = m + k(x*, X) alpha` and `var(x*) = k(x*, x*) - |L^-1 k(X, x*)|^2`.
 *
 * @param x - inputs (or deep-kernel features), row-major `n x d`.
 * @param theta - unconstrained hyperparameters (`hyperparameters.ts`).
 * @example
 * ```ts
 * const post = gpPosterior({ type: 'rbf' }, x, 1, y, toTheta(h, 1e-6));
 * const { mean, variance } = post.predict(new Float64Array([0.5]));
 * ```
 */
export function gpPosterior(spec: KernelSpec, x: Float64Array, d: number, y: Float64Array, theta: ArrayLike<number>, noiseFloor = 1e-6): GpPosterior {
  const n = y.length;
  if (x.length !== n * d) throw new Error(`gpPosterior: x must be ${n} x ${d} for ${n} targets, got ${x.length} entries`);
  const h = fromTheta(theta, theta.length - 3, noiseFloor);
  const K = kernelMatrix(spec, h.kernel, x, x, d);
  for (let i = 0; i < n; i++) K[i * n + i] = (K[i * n + i] as number) + h.noise;
  const f: CholeskyFactor = cholesky(K, n);
  const alpha = choleskySolve(f, Float64Array.from(y, (v) => v - h.mean));
  return {
    hyperparameters: h,
    jitter: f.jitter,
    predict: (xStar) => {
      const m = xStar.length / d;
      if (!Number.isInteger(m)) throw new Error(`gpPosterior.predict: xStar has ${xStar.length} entries, not rows of ${d}`);
      const Ks = kernelMatrix(spec, h.kernel, x, xStar, d); // n x m
      const mean = new Float64Array(m).fill(h.mean);
      for (let i = 0; i < n; i++) {
        const a = alpha[i] as number;
        for (let j = 0; j < m; j++) mean[j] = (mean[j] as number) + (Ks[i * m + j] as number) * a;
      }
      const V = solveLower(f, Ks, m);
      const variance = new Float64Array(m).fill(h.kernel.outputscale); // k(x*, x*) = s^2 for a stationary kernel
      for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) variance[j] = (variance[j] as number) - (V[i * m + j] as number) ** 2;
      for (let j = 0; j < m; j++) variance[j] = Math.max(variance[j] as number, 0);
      return { mean, variance };
    },
  };
}
