import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HypergradientOptions } from '../../src/index.js';
import { l2HpoProblem } from '../../problems/l2Hpo.js';
import { useBackend } from '../helpers/backends.js';
import { toyBilevel } from './toy.js';

beforeAll(async () => useBackend('wasm'));

describe('an IterativeProblem keeps its trained state after run()', () => {
  it('after run(), its parameters are the last inner loop trained under the upper value it used (closed form), for every way of differentiating it', async () => {
    const methods: HypergradientOptions[] = [{ method: 'unrolled' }, { method: 'unrolled', checkpoints: 'fp32' }, { method: 'cg', iterations: 3 }, { method: 'es', samples: 2 }];
    for (const method of methods) {
      const t = toyBilevel({ iterative: true, innerConfig: { hypergradient: method } });
      const a: number[] = [];
      t.engine.on('step', (e) => { if (e.problem === 'outer') a.push(t.outer.params.dataSync()[0] as number); });
      await t.engine.run();
      // Two outer steps (iterations 3 and 6); the second inner loop ran 3 steps of w <- w - 0.2 (w - a x)
      // from 0 under a = a[0]: w_3 = a x (1 - 0.8^3).
      expect(a).toHaveLength(2);
      const x = [1, 2, 3];
      expect(Array.from(t.inner.params.dataSync()), method.method).toBeAllClose(x.map((xi) => (a[0] as number) * xi * (1 - 0.8 ** 3)), { rtol: 1e-5 });
      expect(t.inner.innerLoopFinished).toBe(true);
      // The next step starts the next inner loop from the initial parameters.
      await t.engine.stepOnly('inner', 1);
      expect(Array.from(t.inner.params.dataSync())).toBeAllClose(x.map((xi) => (a[1] as number) * xi * 0.2), { rtol: 1e-5 });
      t.dispose();
    }
  });
});

describe("the unrolled method's logged history agrees with the summary", () => {
  it('l2-hpo with unrolled: the validation history moves (not ln 2 at every step) and its last entry is close to the reported validation loss', async () => {
    const report = await l2HpoProblem.run({ method: { method: 'unrolled' }, outerSteps: 4, innerSteps: 20, seed: 0 });
    const h = report.history.map((e) => e.validationLoss);
    expect(h).toHaveLength(4);
    for (const v of h) expect(Math.abs(v - Math.LN2)).toBeGreaterThan(1e-2);
    // The last entry: 20 inner steps under the penultimate penalties; the summary: 20 under the final ones.
    expect(Math.abs((h[3] as number) - report.validationLoss)).toBeLessThan(0.05 * Math.abs(Math.LN2 - report.validationLoss));
    // The same with cg, where the inner problem warm-starts: the history leads to the summary there too.
    const cg = await l2HpoProblem.run({ method: { method: 'cg', iterations: 3 }, outerSteps: 4, innerSteps: 20, seed: 0 });
    expect(Math.abs((cg.history[3]?.validationLoss as number) - cg.validationLoss)).toBeLessThan(0.05);
  });
});
