import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkDerivatives } from '../../src/autodiff/checkDerivatives.js';
import { recordTape, releaseTape } from '../../src/autodiff/engineInternals.js';
import type { Tree } from '../../src/tree/tree.js';
import { TEST_BACKENDS, useBackend } from './backends.js';

/** One kernel's second-order check: random cases, each building inputs and a function of them. */
export interface KernelSpec {
  /** A tfjs kernel, or `hypergrad.<op>` for one of hypergrad's recorded ops (as named on the tape). */
  kernel: string;
  /** Random cases; `make` turns one into differentiable inputs `x` and `f(x)`, which must run `kernel`. */
  cases: fc.Arbitrary<() => { x: Tree; f: (x: Tree) => tf.Tensor }>;
  /** Accepted relative error of gradient and HVP against central differences; default 1e-2 (wrong rules give 5e-2 and more). */
  tol?: number;
  /** Finite-difference step; default checkDerivatives' (2^-7). */
  eps?: number;
  numRuns?: number;
}

/** The kernels a function runs while a tape records. */
export function kernelsRun(fn: () => tf.Tensor): Set<string> {
  const { tape } = recordTape(() => {
    const y = fn();
    y.dispose();
    return null;
  });
  const names = new Set(tape.map((n) => n.kernelName));
  releaseTape(tape);
  return names;
}

/** Random floats in [lo, hi] (float32-representable). */
export function floats(n: number, lo: number, hi: number): fc.Arbitrary<number[]> {
  return fc.array(fc.double({ min: lo, max: hi, noNaN: true }).map(Math.fround), { minLength: n, maxLength: n });
}

/** Random floats with `gap <= |x| <= hi`: away from a kink at 0. */
export function awayFromZero(n: number, hi: number, gap = 0.1): fc.Arbitrary<number[]> {
  return fc.array(
    fc.tuple(fc.double({ min: gap, max: hi, noNaN: true }), fc.boolean()).map(([m, s]) => Math.fround(s ? m : -m)),
    { minLength: n, maxLength: n },
  );
}

/** `n` distinct values `0.3 k + noise` in random order: no near-ties (for max, pooling, argmax). */
export function distinct(n: number): fc.Arbitrary<number[]> {
  const base = Array.from({ length: n }, (_v, i) => i);
  return fc.tuple(fc.shuffledSubarray(base, { minLength: n, maxLength: n }), floats(n, -0.05, 0.05))
    .map(([perm, noise]) => perm.map((k, i) => Math.fround(0.3 * k - 0.15 * n + (noise[i] as number))));
}

/** A random shape of rank in [minRank, maxRank] with dims in [1, maxDim]. */
export function shapes(minRank: number, maxRank: number, maxDim = 4): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });
}

export const size = (s: readonly number[]): number => s.reduce((p, q) => p * q, 1);

/** Runs every spec as a fast-check property on every test backend. */
export function runKernelSpecs(family: string, specs: readonly KernelSpec[]): void {
  for (const backend of TEST_BACKENDS) {
    describe(`${family} rules on ${backend}`, () => {
      beforeAll(async () => useBackend(backend));
      for (const spec of specs) {
        it(`${spec.kernel}: gradient and Hessian-vector product match central differences`, () => {
          const tol = spec.tol ?? 1e-2;
          fc.assert(
            fc.property(spec.cases, fc.nat(1000), (make, seed) => {
              const before = tf.memory().numTensors;
              tf.tidy(() => {
                const { x, f } = make();
                if (tf.getKernel(spec.kernel, backend) !== undefined || spec.kernel.startsWith('hypergrad.')) {
                  expect([...kernelsRun(() => f(x))]).toContain(spec.kernel);
                }
                const r = checkDerivatives(f, x, { seed, eps: spec.eps });
                expect(r.gradError, 'gradient error').toBeLessThan(tol);
                expect(r.hvpError, 'Hessian-vector product error').toBeLessThan(tol);
              });
              expect(tf.memory().numTensors).toBe(before);
            }),
            { numRuns: spec.numRuns ?? 20, seed: Number(process.env.FC_SEED ?? 20261122) },
          );
        });
      }
    });
  }
}
