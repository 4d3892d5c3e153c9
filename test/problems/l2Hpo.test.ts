import { beforeAll, describe, expect, it } from 'vitest';
import { l2Hpo, l2HpoHypergradient } from '../../problems/l2Hpo.js';
import { useBackend } from '../helpers/backends.js';

beforeAll(async () => useBackend('wasm'));

describe('per-parameter L2 HPO', () => {
  it('tuned penalties beat the untuned start on held-out data; cg and a long CG agree at the final state', async () => {
    const r = await l2Hpo({ method: { method: 'cg', iterations: 3 }, outerSteps: 6, innerSteps: 50 });
    expect(r.test.value).toBeLessThan(r.test.baseline - 0.01);
    expect(r.history).toHaveLength(6);
    const short = await l2HpoHypergradient(r.state, { method: 'cg', iterations: 20 }, { innerSteps: 50 });
    const long = await l2HpoHypergradient(r.state, { method: 'cg', iterations: 100 }, { innerSteps: 50 });
    const rel = Math.hypot(...short.map((x, i) => x - (long[i] as number))) / Math.hypot(...long);
    expect(rel).toBeLessThan(1e-3);
  });
});
