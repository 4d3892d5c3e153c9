import { beforeAll, describe, expect, it } from 'vitest';
import { lrWdTuning } from '../../problems/lrWdTuning.js';
import { useBackend } from '../helpers/backends.js';

beforeAll(async () => useBackend('wasm'));

describe('learning-rate and weight-decay tuning of an MLP on MNIST', () => {
  it('the tuned hyperparameters move and beat the fixed ones on held-out data', async () => {
    const r = await lrWdTuning({ method: { method: 'unrolled' }, outerSteps: 10, innerSteps: 15 });
    expect(r.extras.lr).not.toBeCloseTo(0.01, 4);
    expect(r.test.value).toBeGreaterThan(r.test.baseline);
    expect(r.history).toHaveLength(10);
  });
});
