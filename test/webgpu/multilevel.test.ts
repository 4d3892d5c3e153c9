import * as math from 'mathjs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type GradientTransformation, type HypergradientOptions, type Problem, type StepEvent, type Tree, sgd, treeMap } from '../../src/index.js';
import { readAll, webgpuUnavailable } from '../helpers/backends.js';
import type { Program } from '../helpers/multilevel.js';
import { makeRidge, relErr, ridgeEngine } from '../multilevel/ridge.js';
import { referenceHypergradient, solveB, threeLevelEngine } from '../multilevel/threeLevel.js';

const why = await webgpuUnavailable();

/** `top`'s hypergradient at the given parameters on `backend`, read asynchronously; disposes the program. */
async function hypergradientOn(backend: string, build: () => Program, values: Record<string, number[]>, top: string): Promise<number[]> {
  await tf.setBackend(backend);
  const program = build();
  for (const [name, v] of Object.entries(values)) (program[name] as Problem).setParams(tf.tensor1d(v));
  const g = program.engine.hypergradient<tf.Tensor>(top);
  const [out] = await readAll([g]);
  g.dispose();
  program.dispose();
  return Array.from(out as Float64Array);
}

describe.skipIf(why !== null)('hypergradients on webgpu: ridge regression against its float64 closed form, and within 1e-4 of wasm', () => {
  const rd = makeRidge(1);
  const lMax = Math.max(...(math.eigs(rd.A).values as number[]).map(Number));
  const cases: [string, HypergradientOptions, number[], number][] = [
    ['cg(10)', { method: 'cg', iterations: 10 }, rd.exact, 1e-3],
    ['neumann(400)', { method: 'neumann', iterations: 400, alpha: 1 / lMax }, rd.exact, 1e-3],
    // On webgpu the stopping test reads nothing: every iteration runs (frozen once converged), so fewer than on wasm's 2000 cap.
    ['fixedPoint to 1e-7', { method: 'fixedPoint', iterations: 500, alpha: 1 / lMax, tolerance: 1e-7 }, rd.exact, 1e-3],
    ['finiteDifference (its known identity-Hessian answer)', { method: 'finiteDifference' }, rd.identityHessian, 2e-3],
  ];
  it('a diverging neumann series (alpha 4 / lambda_max) gives NaN on webgpu, where wasm throws naming alpha', async () => {
    const method: HypergradientOptions = { method: 'neumann', iterations: 60, alpha: 4 / lMax };
    const build = () => ridgeEngine(rd, method) as unknown as Program;
    const at = { inner: rd.wStar };
    const gpu = await hypergradientOn('webgpu', build, at, 'outer');
    expect(gpu.length).toBeGreaterThan(0);
    expect(gpu.every((g) => Number.isNaN(g))).toBe(true);
    await expect(hypergradientOn('wasm', build, at, 'outer')).rejects.toThrow(/alpha/);
  });
  it('sama with SGD matches wasm within 1e-4; an update that mixes coordinates gives NaN on webgpu (no read), where wasm throws naming sama', async () => {
    const at = { inner: rd.wStar };
    const sgdBuild = () => ridgeEngine(rd, { method: 'sama' }, { optimizer: sgd({ lr: 0.1 }) }) as unknown as Program;
    const gpu = await hypergradientOn('webgpu', sgdBuild, at, 'outer');
    expect(relErr(gpu, await hypergradientOn('wasm', sgdBuild, at, 'outer'))).toBeLessThan(1e-4);
    const mixing: GradientTransformation<Tree> = { init: () => [], update: (g, st) => [treeMap((x) => tf.mul(-0.1, tf.add(x, tf.sum(x))), g), st] };
    const mixBuild = () => ridgeEngine(rd, { method: 'sama' }, { optimizer: mixing }) as unknown as Program;
    const bad = await hypergradientOn('webgpu', mixBuild, at, 'outer');
    expect(bad.length).toBeGreaterThan(0);
    expect(bad.every((g) => Number.isNaN(g))).toBe(true);
    await expect(hypergradientOn('wasm', mixBuild, at, 'outer')).rejects.toThrow(/sama needs an optimizer whose update acts coordinate by coordinate/);
  });
  for (const [name, method, expected, tol] of cases) {
    it(name, async () => {
      const build = () => ridgeEngine(rd, method) as unknown as Program;
      const at = { inner: rd.wStar };
      const gpu = await hypergradientOn('webgpu', build, at, 'outer');
      expect(relErr(gpu, expected)).toBeLessThan(tol);
      expect(relErr(gpu, await hypergradientOn('wasm', build, at, 'outer'))).toBeLessThan(1e-4);
    });
  }
});

describe.skipIf(why !== null)('hypergradients on webgpu: the 3-level program against central differences of the nested solve', () => {
  const A0 = [0.7, -0.4];
  const ref = referenceHypergradient(A0);
  const { b, c } = solveB(A0);
  // Neumann at both levels (30 x 20 third-order HVPs) takes 40 s on llvmpipe (0.4 ms per kernel),
  // too long for the suite's budget; the cases with CG check the numbers.
  const cases: [string, HypergradientOptions, HypergradientOptions][] = [
    // B and C have 3 parameters: CG is exact after 3 iterations, and on webgpu every stated one runs (no stopping read).
    ['cg(5) at both levels', { method: 'cg', iterations: 5 }, { method: 'cg', iterations: 5 }],
    ['cg(5) in the middle, neumann at the bottom', { method: 'cg', iterations: 5 }, { method: 'neumann', iterations: 20, alpha: 0.6 }],
  ];
  it('neumann at both levels, 10 x 10 iterations: within 1e-4 of wasm (fewer iterations than its accuracy needs, for time)', async () => {
    const build = () => threeLevelEngine({ method: 'neumann', iterations: 10, alpha: 0.4 }, { method: 'neumann', iterations: 10, alpha: 0.6 }) as unknown as Program;
    const at = { A: A0, B: b, C: c };
    const gpu = await hypergradientOn('webgpu', build, at, 'A');
    expect(relErr(gpu, await hypergradientOn('wasm', build, at, 'A'))).toBeLessThan(1e-4);
    expect(relErr(gpu, ref)).toBeLessThan(0.5);
  });

  for (const [name, mB, mC] of cases) {
    it(name, async () => {
      const build = () => threeLevelEngine(mB, mC) as unknown as Program;
      const at = { A: A0, B: b, C: c };
      const gpu = await hypergradientOn('webgpu', build, at, 'A');
      expect(relErr(gpu, ref)).toBeLessThan(1e-2);
      expect(relErr(gpu, await hypergradientOn('wasm', build, at, 'A'))).toBeLessThan(1e-4);
    });
  }
});

/** `engine.run()` ten times on `backend` (10 inner steps, 2 outer updates), read asynchronously: both problems' parameters and the step events. */
async function trainOn(backend: string, rd: ReturnType<typeof makeRidge>, method: HypergradientOptions): Promise<{ params: number[][]; losses: number[] }> {
  await tf.setBackend(backend);
  const program = ridgeEngine(rd, method, { unrollSteps: 5, outerLr: 0.05 });
  const losses: number[] = [];
  program.engine.on('step', (e: StepEvent) => losses.push(e.loss));
  for (let i = 0; i < 10; i++) await program.engine.run();
  const params = (await readAll([program.inner.params as tf.Tensor, program.outer.params as tf.Tensor])).map((p) => Array.from(p));
  program.dispose();
  return { params, losses };
}

describe.skipIf(why !== null)('engine.run() trains on webgpu: the same parameters and losses as wasm', () => {
  const rd = makeRidge(1);
  for (const method of [{ method: 'cg', iterations: 10 }, { method: 'finiteDifference' }] as HypergradientOptions[]) {
    it(`ridge with ${method.method}: 10 iterations, 2 outer updates, within 1e-4 of wasm`, async () => {
      const gpu = await trainOn('webgpu', rd, method);
      const cpu = await trainOn('wasm', rd, method);
      expect(gpu.losses).toHaveLength(12);
      for (let i = 0; i < 2; i++) expect(relErr(gpu.params[i] as number[], cpu.params[i] as number[])).toBeLessThan(1e-4);
      expect(relErr(gpu.losses, cpu.losses)).toBeLessThan(1e-4);
      expect(relErr(cpu.params[1] as number[], rd.lambda)).toBeGreaterThan(1e-6); // the outer problem moved
    });
  }
});
