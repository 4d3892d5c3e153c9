import { beforeAll, describe, expect, it } from 'vitest';
import { hyperCleaning } from '../../problems/hyperCleaning.js';
import { useBackend } from '../helpers/backends.js';

beforeAll(async () => useBackend('wasm'));

describe('data hyper-cleaning on MNIST (small size)', () => {
  it('the learned example weights beat the noisy baseline on held-out data and spot corrupted labels', async () => {
    const r = await hyperCleaning({ trainSize: 400, validSize: 300, testSize: 400, outerSteps: 15, innerSteps: 30, method: { method: 'cg', iterations: 5 } });
    expect(r.corruptedFraction).toBeGreaterThan(0.3);
    expect(r.testAccuracy).toBeGreaterThan(r.baselineTestAccuracy + 0.05);
    // better than flagging at random, whose precision is the corrupted fraction
    expect(r.precision).toBeGreaterThan(r.corruptedFraction + 0.2);
    expect(r.recall).toBeGreaterThan(0.5);
  });

  it('bad input is a clear error', async () => {
    await expect(hyperCleaning({ corruption: 1.5 })).rejects.toThrow(/corruption must be in \[0, 1\], got 1\.5/);
  });
});
