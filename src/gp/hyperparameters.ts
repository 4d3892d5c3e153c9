/**
 * A GP's hyperparameters and their unconstrained vector `theta`, in which they are optimized:
 * `theta = [log l_1 .. log l_p, log s^2, log(sigma^2 - floor), m]` (length scales, signal
 * variance, observation-noise variance above a floor, constant mean). The floor keeps the kernel
 * matrix `K + sigma^2 I` positive definite however far the optimizer drives the noise down.
 * @module
 */

import type { KernelParams } from './kernels.js';

/** An exact GP's hyperparameters. */
export interface GpHyperparameters {
  /** The kernel's length scales and signal variance. */
  kernel: KernelParams;
  /** The observation-noise variance `sigma^2` (> 0). */
  noise: number;
  /** The constant prior mean `m`. */
  mean: number;
}

/** The length of `theta` for `p` length scales: `p + 3`. */
export const thetaLength = (p: number): number => p + 3;

/** `theta` -> hyperparameters, for `p` length scales and a noise floor. */
export function fromTheta(theta: ArrayLike<number>, p: number, noiseFloor: number): GpHyperparameters {
  if (theta.length !== thetaLength(p)) throw new Error(`gp: theta must have ${thetaLength(p)} entries for ${p} length scales, got ${theta.length}`);
  for (let i = 0; i < theta.length; i++) {
    if (!Number.isFinite(theta[i])) throw new Error(`gp: hyperparameter vector entry ${i} is ${theta[i]}; it must be finite (the optimizer diverged: lower its learning rate)`);
  }
  return {
    kernel: { lengthscales: Float64Array.from({ length: p }, (_v, k) => Math.exp(theta[k] as number)), outputscale: Math.exp(theta[p] as number) },
    noise: noiseFloor + Math.exp(theta[p + 1] as number),
    mean: theta[p + 2] as number,
  };
}

/** Hyperparameters -> `theta` (the inverse of {@link fromTheta}; the noise must exceed the floor). */
export function toTheta(h: GpHyperparameters, noiseFloor: number): Float64Array {
  const p = h.kernel.lengthscales.length;
  if (!(h.noise > noiseFloor)) throw new Error(`gp: noise must be > the noise floor ${noiseFloor}, got ${h.noise}`);
  const theta = new Float64Array(thetaLength(p));
  h.kernel.lengthscales.forEach((l, k) => {
    theta[k] = Math.log(l);
  });
  theta[p] = Math.log(h.kernel.outputscale);
  theta[p + 1] = Math.log(h.noise - noiseFloor);
  theta[p + 2] = h.mean;
  return theta;
}
