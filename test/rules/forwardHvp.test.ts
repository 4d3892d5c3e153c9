import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type HvpChoice, hvp, treeFlatten, treeMap } from '../../src/index.js';
import type { Tree } from '../../src/tree/tree.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import type { KernelSpec } from '../helpers/ruleHarness.js';
import { elementwiseSpecs } from './elementwise.specs.js';
import { indexingSpecs } from './indexing.specs.js';
import { piecewiseSpecs } from './piecewise.specs.js';
import { recordedOpSpecs } from './recordedOps.specs.js';
import { segmentSpecs } from './segment.specs.js';
import { structuralSpecs } from './structural.specs.js';

/**
 * Every kernel of the second-order rule suites, through both Hessian-vector products: on random
 * cases, forward-over-reverse (`mode: 'forward'`) equals reverse-over-reverse, for
 * `L(x) = sum(sin(f(x)))` (the sine keeps a second derivative where `f` is linear). Kernels whose
 * gradient runs a kernel without a tangent rule must be refused by name, and are listed here (none).
 */
const NO_TANGENT_PATH = new Set<string>([]);

const specs: KernelSpec[] = [...elementwiseSpecs, ...indexingSpecs, ...piecewiseSpecs, ...recordedOpSpecs, ...segmentSpecs, ...structuralSpecs];

describe.each(TEST_BACKENDS)('forward-over-reverse equals reverse-over-reverse for every rule suite kernel on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  it.each(specs.map((s) => [s.kernel, s] as const))('%s', (kernel, spec) => {
    if (!kernel.startsWith('hypergrad.') && tf.getKernel(kernel, backend) === undefined) return;
    fc.assert(fc.property(spec.cases, fc.nat(1000), (make, seed) => {
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const { x, f } = make();
        const L = (p: Tree) => tf.sum(tf.sin(f(p)));
        let i = 0;
        const v = treeMap((t) => tf.tensor(Array.from({ length: t.size }, (_u, j) => Math.sin(seed + 1.7 * j + 5 * i++)), t.shape), x);
        const reverse = hvp(L, x, v, { mode: 'reverse' });
        let choice: HvpChoice | null = null;
        hvp(L, x, v, { mode: 'auto', onChoice: (c) => (choice = c) });
        const obstacle = (choice as unknown as HvpChoice).obstacle;
        if (obstacle !== null) {
          expect(NO_TANGENT_PATH.has(kernel), `${kernel}: ${obstacle}`).toBe(true);
          expect(() => hvp(L, x, v, { mode: 'forward' })).toThrow(/has no tangent rule/);
          return;
        }
        const forward = hvp(L, x, v, { mode: 'forward' });
        const [fl, rl] = [treeFlatten(forward).leaves, treeFlatten(reverse).leaves];
        fl.forEach((t, k) => expect(t).toBeAllClose(rl[k], { rtol: 1e-3, atol: 1e-4 }));
      });
      expect(tf.memory().numTensors).toBe(before);
    }), { numRuns: 5, seed: Number(process.env.FC_SEED ?? 20261202) });
  });
});
