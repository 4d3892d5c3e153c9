import * as tf from '@tensorflow/tfjs-core';
import { type Tree, treeFlatten, treeMap } from '../tree/tree.js';
import { normalSamples, seededRandom } from '../util/random.js';
import { grad } from './grad.js';
import { hvp } from './hvp.js';

/** Options of {@link checkDerivatives}. */
export interface CheckOptions {
  /** Finite-difference step (relative to the direction's unit RMS); default 1e-2. */
  eps?: number;
  /** Seed of the random cotangent and direction; default 0. */
  seed?: number;
  /** Also check the Hessian-vector product; default true. */
  secondOrder?: boolean;
}

/** What {@link checkDerivatives} measured. */
export interface CheckResult {
  /** `|<grad L, v> - FD| / (|FD| + 1e-3 (1 + |L|))`, FD the fourth-order central difference of `L` along `v`. */
  gradError: number;
  /** `||H v - FD||_2 / (||FD||_2 + 1e-3 (1 + ||grad L||))`, FD that of `grad L`. */
  hvpError: number;
}

function randomLike<T extends Tree>(x: T, rand: () => number): T {
  return treeMap((leaf) => tf.tensor(normalSamples(rand, leaf.size), leaf.shape, 'float32'), x);
}

function norm(xs: tf.Tensor[]): number {
  return Math.sqrt(xs.reduce((s, x) => s + (tf.sum(tf.square(x)).dataSync()[0] as number), 0));
}

/**
 * Checks the first and second derivatives of `f` at `x` against central finite differences:
 * with a random cotangent `w` and the scalar `L(x) = sum(w * f(x))`, compares `<grad L, v>` with
 * the fourth-order central difference of `L` along `v` and `hvp(L, x, v)` with that of `grad L`
 * for a random direction `v`. Use it to check a rule added with {@link registerRule}; errors of
 * about 1e-3 or less are float32 noise for smooth functions with inputs of order 1.
 *
 * @example
 * ```ts
 * const { gradError, hvpError } = checkDerivatives((x) => tf.tanh(x as tf.Tensor), tf.randomNormal([5]));
 * ```
 */
export function checkDerivatives<T extends Tree>(f: (x: T) => tf.Tensor, x: T, options: CheckOptions = {}): CheckResult {
  const eps = options.eps ?? 1e-2;
  if (!(eps > 0)) throw new Error(`checkDerivatives: options.eps must be > 0, got ${eps}`);
  const rand = seededRandom(options.seed ?? 0);
  return tf.tidy(() => {
    const out = f(x);
    const w = tf.tensor(normalSamples(rand, out.size), out.shape, 'float32');
    const L = (p: T) => tf.sum(tf.mul(w, f(p)));
    const v = randomLike(x, rand);
    const shift = (s: number) => treeMap((a, b) => tf.add(a, tf.mul(b, s)), x, v);
    const points = [2 * eps, eps, -eps, -2 * eps].map(shift);
    // Fourth-order central difference: (-f(2e) + 8 f(e) - 8 f(-e) + f(-2e)) / 12e.
    const stencil = [-1, 8, -8, 1];
    const l0 = L(x).dataSync()[0] as number;
    const fd = points.reduce((s, p, i) => s + (stencil[i] as number) * (L(p).dataSync()[0] as number), 0) / (12 * eps);
    const g = grad(L)(x);
    const gFlat = treeFlatten(g).leaves;
    const vFlat = treeFlatten(v).leaves;
    const dir = gFlat.reduce((s, gi, i) => s + (tf.sum(tf.mul(gi, vFlat[i] as tf.Tensor)).dataSync()[0] as number), 0);
    const gradError = Math.abs(dir - fd) / (Math.abs(fd) + 1e-3 * (1 + Math.abs(l0)));
    let hvpError = 0;
    if (options.secondOrder ?? true) {
      const h = treeFlatten(hvp(L, x, v)).leaves;
      const gs = points.map((p) => treeFlatten(grad(L)(p)).leaves);
      const fdH = h.map((_a, j) =>
        tf.div(tf.addN(gs.map((gp, i) => tf.mul(gp[j] as tf.Tensor, stencil[i] as number))), 12 * eps),
      );
      const diff = h.map((a, i) => tf.sub(a, fdH[i] as tf.Tensor));
      hvpError = norm(diff) / (norm(fdH) + 1e-3 * (1 + norm(gFlat)));
    }
    return { gradError, hvpError };
  });
}
