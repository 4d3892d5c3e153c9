import { describe, expect, it } from 'vitest';
import type { EvalResult, Trial } from '../../src/hpo/index.js';
import { lcbench, simulate } from '../../src/simulator/index.js';

const sample = { batch_size: 91, learning_rate: 0.00316, momentum: 0.5, weight_decay: 0.01, num_layers: 2, max_units: 256, max_dropout: 0.5 };

describe('the LCBench surrogate (onnxruntime-web)', () => {
  it("reproduces the contract's sample (task 3945) at epochs 1, 26 and 52, from one batched call", async () => {
    const bench = lcbench('3945');
    const [e1, e26, e52] = (await Promise.all([1, 26, 52].map((fidelity) => bench.objective(sample, { fidelity, seed: 0 })))) as EvalResult[];
    expect(e1?.runtime).toBeCloseTo(8.96, 1);
    expect(e1?.valAccuracy).toBeCloseTo(41.1, 1);
    expect(e26?.runtime).toBeCloseTo(97.1, 0);
    expect(e26?.valAccuracy).toBeCloseTo(83.9, 1);
    expect(e52?.runtime).toBeCloseTo(177.7, 0);
    expect(e52?.valAccuracy).toBeCloseTo(84.9, 1);
    expect(e52?.loss).toBeCloseTo(1 - (e52?.valAccuracy as number) / 100, 6);
  });

  it('errors name the task, the field and the range', async () => {
    expect(() => lcbench('42')).toThrow(/unknown task '42'/);
    await expect(lcbench('3945').objective({ ...sample, momentum: 2 }, { fidelity: 1, seed: 0 })).rejects.toThrow(/config\.momentum must be a number in \[0\.1, 0\.99\], got 2/);
    await expect(lcbench('3945').objective(sample, { fidelity: 60, seed: 0 })).rejects.toThrow(/epoch\) must be an integer in \[1, 52\], got 60/);
  });

  it('runs inside simulate with continual fidelity (epochs resumed, only the difference charged)', async () => {
    const bench = lcbench('7593');
    const trials: Trial[] = [1, 2, 4, 8].map((fidelity) => ({ config: sample, fidelity }));
    let i = 0;
    const { records } = await simulate({
      objective: bench.objective, optimizer: { ask: () => trials[i++] ?? { config: sample, fidelity: 52 }, tell: () => {} },
      nWorkers: 1, nEvals: 4, continualMaxFidelity: 52, chargeSamplingTime: false,
    });
    const full = (await bench.objective(sample, { fidelity: 8, seed: 0 })) as EvalResult;
    // one worker resuming the same config: the clock reaches the epoch-8 training time exactly
    expect(records[3]?.cumtime).toBeCloseTo(full.runtime, 3);
  });
});
