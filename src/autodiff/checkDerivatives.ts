import * as tf from '@tensorflow/tfjs-core';
import { type Tree, treeFlatten, treeMap } from '../tree/tree.js';
import { normalSamples, seededRandom } from '../util/random.js';
import { grad } from './grad.js';
import { hvp } from './hvp.js';

/** Options of {@link checkDerivatives}. */
export interface CheckOptions {
  /** Finite-difference step, rounded down to a power of two; default 2^-7. */
  eps?: number;
  /** Seed of the random cotangent and direction; default 0. */
  seed?: number;
  /** Also check the Hessian-vector product; default true. */
  secondOrder?: boolean;
}

/** What {@link checkDerivatives} measured. */
export interface CheckResult {
  /**
   * `|<grad L, v> - FD| / (|FD| + 1e-3 (1 + ||w * f(x)||_2))`, FD the fourth-order central difference
   * of `L` along `v` (the floor is the float32 noise scale of `L`, which cancellation can hide).
   */
  gradError: number;
  /** `||H v - FD||_2 / (||FD||_2 + 1e-3 (1 + ||grad L||))`, FD that of `grad L`. */
  hvpError: number;
}

/** A random normal direction, rounded to multiples of 2^-8 (exact steps, see checkDerivatives). */
function randomLike<T extends Tree>(x: T, rand: () => number): T {
  return treeMap((leaf) => {
    const v = normalSamples(rand, leaf.size).map((a) => Math.round(a * 256) / 256);
    return tf.tensor(v, leaf.shape, 'float32');
  }, x);
}

/** `x` rounded to multiples of 2^-10. */
function snap<T extends Tree>(x: T): T {
  return treeMap((leaf) => tf.div(tf.round(tf.mul(leaf, 1024)), 1024), x);
}

function norm(xs: tf.Tensor[]): number {
  return Math.sqrt(xs.reduce((s, x) => s + (tf.sum(tf.square(x)).dataSync()[0] as number), 0));
}

/**
 * Checks the first and second derivatives of `f` at `x` against central finite differences:
 * with a random cotangent `w` and the scalar `L(x) = sum(w * f(x))`, compares `<grad L, v>` with
 * the fourth-order central difference of `L` along `v` and `hvp(L, x, v)` with that of `grad L`
 * for a random direction `v`. To keep rounding out of the differences, `x` is first rounded to
 * multiples of 2^-10, `v` to multiples of 2^-8 and the step to a power of two, so that every
 * perturbed point `x + k e v` is exact in float32 (for |x| below a few thousand). Use it to check a rule added with {@link registerRule}; errors of
 * below 1e-2 are float32 noise for smooth functions with inputs of order 1.
 *
 * @example
 * ```ts
 * const { gradError, hvpError } = checkDerivatives((x) => tf.tanh(x as tf.Tensor), tf.randomNormal([5]));
 * ```
 */
export function checkDerivatives<T extends Tree>(f: (x: T) => tf.Tensor, x0: T, options: CheckOptions = {}): CheckResult {
  let x: T;
  const requested = options.eps ?? 2 ** -7;
  if (!(requested > 0) || !Number.isFinite(requested)) {
    throw new Error(`checkDerivatives: options.eps must be a positive number, got ${requested}`);
  }
  const eps = 2 ** Math.floor(Math.log2(requested));
  const rand = seededRandom(options.seed ?? 0);
  return tf.tidy(() => {
    x = snap(x0);
    const out = f(x);
    const w = tf.tensor(normalSamples(rand, out.size), out.shape, 'float32');
    const L = (p: T) => tf.sum(tf.mul(w, f(p)));
    const v = randomLike(x, rand);
    const shift = (s: number) => treeMap((a, b) => tf.add(a, tf.mul(b, s)), x, v);
    const points = [2 * eps, eps, -eps, -2 * eps].map(shift);
    // Fourth-order central difference: (-f(2e) + 8 f(e) - 8 f(-e) + f(-2e)) / 12e.
    const stencil = [-1, 8, -8, 1];
    // L for the differences is summed in float64 on the host: float32 summation noise, divided by
    // the step, would otherwise dominate the comparison.
    const wv = w.dataSync();
    const L64 = (p: T) => {
      const fv = f(p).dataSync();
      let s = 0;
      for (let i = 0; i < fv.length; i++) s += (fv[i] as number) * (wv[i] as number);
      return s;
    };
    const f0 = out.dataSync();
    let scale = 0;
    for (let i = 0; i < f0.length; i++) scale += ((f0[i] as number) * (wv[i] as number)) ** 2;
    scale = Math.sqrt(scale);
    const fd = points.reduce((s, p, i) => s + (stencil[i] as number) * L64(p), 0) / (12 * eps);
    const g = grad(L)(x);
    const gFlat = treeFlatten(g).leaves;
    const vFlat = treeFlatten(v).leaves;
    const dir = gFlat.reduce((s, gi, i) => s + (tf.sum(tf.mul(gi, vFlat[i] as tf.Tensor)).dataSync()[0] as number), 0);
    const gradError = Math.abs(dir - fd) / (Math.abs(fd) + 1e-3 * (1 + scale));
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
