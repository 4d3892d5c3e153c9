import { beforeAll, describe, expect, it } from 'vitest';
import { mnistSplits } from '../../src/data/mnist.js';
import { type EvalResult, randomSearch } from '../../src/hpo/index.js';
import { mnistMlp, simulate } from '../../src/simulator/index.js';
import { useBackend } from '../helpers/backends.js';

beforeAll(async () => useBackend('wasm'));

describe('MNIST data and the mnist-mlp benchmark', () => {
  it('splits are disjoint, reproducible under a seed, with pixels in [0, 1] and all ten labels', () => {
    const [a, b] = mnistSplits([300, 200], 7);
    const [a2] = mnistSplits([300, 200], 7);
    expect(Array.from(a2?.y ?? [])).toEqual(Array.from(a?.y ?? []));
    const key = (d: typeof a, i: number) => Array.from(d?.x.subarray(i * 784, i * 784 + 784) ?? []).join(',');
    const seen = new Set(Array.from({ length: 300 }, (_v, i) => key(a, i)));
    expect(Array.from({ length: 200 }, (_v, i) => key(b, i)).filter((k) => seen.has(k)).length).toBe(0);
    const px = a?.x ?? new Float32Array();
    expect(px.reduce((m, v) => Math.max(m, v), -Infinity)).toBeLessThanOrEqual(1);
    expect(px.reduce((m, v) => Math.min(m, v), Infinity)).toBeGreaterThanOrEqual(0);
    expect(new Set(a?.y).size).toBe(10);
    expect(() => mnistSplits([6000, 6000])).toThrow(/adding up to at most 10000/);
  });

  it('trains for real: reproducible under a seed, a good learning rate and more epochs beat a bad one; runtime is measured', () => {
    const bench = mnistMlp({ trainSize: 600, validSize: 300, maxEpochs: 4 });
    const good = { learning_rate: 0.1, weight_decay: 1e-4, hidden_units: 32, batch_size: 32 };
    const r1 = bench.objective(good, { fidelity: 4, seed: 1 }) as EvalResult;
    const r2 = bench.objective(good, { fidelity: 4, seed: 1 }) as EvalResult;
    expect(r2.loss).toBe(r1.loss);
    expect(r1.runtime).toBeGreaterThan(0);
    const bad = bench.objective({ ...good, learning_rate: 0.001 }, { fidelity: 1, seed: 1 }) as EvalResult;
    expect(r1.loss).toBeLessThan(bad.loss);
    expect(r1.loss).toBeLessThan(0.3);
    expect(() => bench.objective({ ...good, hidden_units: 4 }, { fidelity: 1, seed: 1 })).toThrow(/config\.hidden_units must be a number in \[16, 128\], got 4/);
    expect(() => bench.objective(good, { fidelity: 9, seed: 1 })).toThrow(/fidelity \(epochs\) must be an integer in \[1, 4\], got 9/);
  });

  it('runs inside the simulator, its measured training time charged as runtime', async () => {
    const bench = mnistMlp({ trainSize: 300, validSize: 200, maxEpochs: 2 });
    const { records } = await simulate({ objective: bench.objective, optimizer: randomSearch({ searchSpace: bench.searchSpace, fidelity: 1 }), nWorkers: 2, nEvals: 4, chargeSamplingTime: false });
    expect(records).toHaveLength(4);
    expect(records.every((r) => r.runtime > 0 && r.values.loss !== undefined)).toBe(true);
  });
});

describe('gradient-based HPO (gradient) on mnist-mlp', () => {
  it('tunes lr and weight decay by hypergradient; each segment is charged its measured training time', async () => {
    const { gradientHpo } = await import('../../src/hpo/index.js');
    const bench = mnistMlp({ trainSize: 500, validSize: 300 });
    const { records } = await simulate({
      objective: bench.objective, optimizer: gradientHpo({ trainSize: 500, validSize: 300, segmentSteps: 5, batchSize: 32 }), nWorkers: 1, nEvals: 6,
    });
    expect(records).toHaveLength(6);
    // One worker: the clock advances by exactly each segment's measured runtime (ask time not charged twice).
    records.forEach((r, i) => expect(r.cumtime).toBeCloseTo((i === 0 ? 0 : (records[i - 1]?.cumtime as number)) + r.runtime, 9));
    expect(records.every((r) => r.runtime > 0)).toBe(true);
    const lrs = records.map((r) => r.config.learning_rate as number);
    expect(new Set(lrs).size).toBe(6); // the hyperparameters move every segment
    expect(records[5]?.values.loss as number).toBeLessThan(records[0]?.values.loss as number);
  });

  it('needs a training problem', async () => {
    const { makeOptimizer } = await import('../../src/hpo/index.js');
    const { mfBranin } = await import('../../src/simulator/index.js');
    expect(() => makeOptimizer('gradient', mfBranin(), 0)).toThrow(/use it with --benchmark mnist-mlp, not 'mfbranin'/);
  });
});
