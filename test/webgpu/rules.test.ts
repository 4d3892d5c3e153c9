import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { webgpuUnavailable } from '../helpers/backends.js';
import { elementwiseSpecs } from '../rules/elementwise.specs.js';
import { indexingSpecs } from '../rules/indexing.specs.js';
import { piecewiseSpecs } from '../rules/piecewise.specs.js';
import { structuralSpecs } from '../rules/structural.specs.js';
import { derivativesOn, relativeDistance } from './derivativesOn.js';

const why = await webgpuUnavailable();
const SPECS = [...elementwiseSpecs, ...structuralSpecs, ...indexingSpecs, ...piecewiseSpecs];
/** Cases per kernel: wasm checks each rule on 20 against central differences; here webgpu is checked against wasm. */
const RUNS = Number(process.env.WEBGPU_RULE_RUNS ?? 10);
/** GPU transcendentals (sin, exp, tanh) are less exact than wasm's: 1.7e-4 measured for sin on [-6, 6]. */
const TOL = 1e-3;
const worst: Record<string, number> = {};

describe.skipIf(why !== null)('every kernel rule on webgpu: value, gradient and HVP within tolerance of wasm', () => {
  for (const spec of SPECS) {
    it(`${spec.kernel}`, async () => {
      await fc.assert(
        fc.asyncProperty(spec.cases, fc.nat(1000), async (make, seed) => {
          const ref = await derivativesOn('wasm', make, seed);
          const gpu = await derivativesOn('webgpu', make, seed);
          expect([...gpu.kernels]).toContain(spec.kernel);
          const errs = [relativeDistance([gpu.value], [ref.value]), relativeDistance(gpu.grad, ref.grad), relativeDistance(gpu.hvp, ref.hvp)];
          worst[spec.kernel] = Math.max(worst[spec.kernel] ?? 0, ...errs);
          expect(errs[0], 'value').toBeLessThan(TOL);
          expect(errs[1], 'gradient').toBeLessThan(TOL);
          expect(errs[2], 'Hessian-vector product').toBeLessThan(TOL);
        }),
        { numRuns: RUNS, seed: Number(process.env.FC_SEED ?? 20261122) },
      );
    });
  }
  it('worst relative distance', () => {
    console.log(Object.entries(worst).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', '));
  });
});
