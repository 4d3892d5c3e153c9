import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { gradientHpo } from '../../src/hpo/index.js';
import { mnistMlp, simulate } from '../../src/simulator/index.js';
import { useBackend } from '../helpers/backends.js';

beforeAll(async () => useBackend('wasm'));

const small = { trainSize: 200, validSize: 100, segmentSteps: 3, batchSize: 16, hidden: 16 };
/** A deterministic clock (each reading 0.5 s later), so the measured segment times, and the run, are reproducible. */
const ticking = () => {
  let t = 0;
  return () => (t += 0.5);
};
const bench = mnistMlp({ trainSize: 200, validSize: 100 });

describe('gradientHpo', () => {
  it('is disposable: repeated runs in one process keep the tensor count and memory flat', async () => {
    const run = async () => {
      const opt = gradientHpo({ ...small, seed: 1 });
      await simulate({ objective: bench.objective, optimizer: opt, nWorkers: 2, nEvals: 4 });
      opt.dispose();
    };
    await run(); // the first run loads what stays loaded (the backend's kernels)
    const before = tf.memory();
    for (let i = 0; i < 5; i++) await run();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    const opt = gradientHpo(small);
    opt.dispose();
    expect(() => opt.ask()).toThrow(/gradientHpo: the optimizer was disposed; build a new one/);
  });

  it('resumes exactly: the self-evaluations are re-run to rebuild the runs, the records equal the uninterrupted run', async () => {
    const o = { objective: bench.objective, nWorkers: 2, nEvals: 6 };
    const full = await simulate({ ...o, optimizer: gradientHpo({ ...small, now: ticking() }) });
    for (const k of [1, 4]) {
      const opt = gradientHpo({ ...small, now: ticking() });
      const resumed = await simulate({ ...o, optimizer: opt, resumeFrom: full.records.slice(0, k) });
      opt.dispose();
      expect(resumed.records).toEqual(full.records);
    }
  });

  it('validates its options', () => {
    expect(() => gradientHpo({ segmentSteps: 0 })).toThrow(/gradientHpo: segmentSteps must be a positive integer, got 0/);
    expect(() => gradientHpo({ seed: -1 })).toThrow(/gradientHpo: seed must be an integer in \[0, 4294967296\), got -1/);
  });
});
