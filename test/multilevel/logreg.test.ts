import { beforeAll, describe, expect, it } from 'vitest';
import type { HypergradientOptions } from '../../src/index.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { logisticHpo } from './logreg.js';

/** 2,000 inner iterations (20 outer steps), then the inner problem retrained 100 steps under the final lambda. */
async function finalValidationLoss(method: HypergradientOptions): Promise<number> {
  const h = logisticHpo(method);
  const engine = h.engine(2000);
  await engine.run();
  await engine.stepOnly('inner', 100);
  const loss = h.validationLoss();
  engine.dispose();
  h.dispose();
  return loss;
}

describe.each(TEST_BACKENDS)("BETTY's logistic-regression L2 HPO regression test, on %s", (backend) => {
  beforeAll(async () => useBackend(backend));
  const methods: [string, HypergradientOptions][] = [
    ['finiteDifference', { method: 'finiteDifference' }],
    ['cg (3 iterations)', { method: 'cg', iterations: 3 }],
    ['neumann (5 iterations)', { method: 'neumann', iterations: 5, alpha: 1 }],
    ['unrolled (100 steps)', { method: 'unrolled' }],
  ];
  for (const [name, method] of methods) {
    it(`${name}: final validation loss below 0.48`, async () => {
      expect(await finalValidationLoss(method)).toBeLessThan(0.48);
    });
  }
  it('control: without the implicit term (firstOrder) lambda never moves and the loss stays above 0.48', async () => {
    expect(await finalValidationLoss({ method: 'firstOrder' })).toBeGreaterThan(0.48);
  });
});
