import { beforeAll, describe, expect, it } from 'vitest';
import { sinusoid } from '../../problems/sinusoid.js';
import { useBackend } from '../helpers/backends.js';

beforeAll(async () => useBackend('wasm'));

describe('few-shot sinusoid regression (MAML)', () => {
  it('meta-training lowers the post-adaptation MSE on held-out tasks', async () => {
    const r = await sinusoid({ method: { method: 'unrolled' }, outerSteps: 600 });
    expect(r.test.value).toBeLessThan(0.8 * r.test.baseline);
  });

  it('refuses implicit methods (iMAML) with the reason', async () => {
    await expect(sinusoid({ method: { method: 'cg', iterations: 5 }, outerSteps: 1 })).rejects.toThrow(/method 'cg' is not supported yet; use unrolled \(MAML\) or firstOrder/);
  });
});
