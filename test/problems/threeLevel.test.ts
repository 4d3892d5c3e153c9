import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { threeLevel } from '../../problems/threeLevel.js';
import { useBackend } from '../helpers/backends.js';

beforeAll(async () => useBackend('wasm'));

describe('the 3-level program (meta-network weight decay / Meta-Weight-Net / classifier)', () => {
  it('beats uniform weights on held-out balanced accuracy; nothing leaks', async () => {
    const before = tf.memory().numTensors;
    // Damped: undamped cg(5) on this indefinite Hessian turns on float32 rounding (see threeLevel's TSDoc).
    const r = await threeLevel({ method: { method: 'cg', iterations: 5, damping: 10 }, outerSteps: 8, innerSteps: 5 });
    expect(r.test.value).toBeGreaterThan(r.test.baseline + 0.01);
    expect(r.history).toHaveLength(8);
    expect(r.extras.decay).not.toBeCloseTo(1e-2, 6); // the top level moved
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses unrolled (the classifier is read by two levels) with the methods it supports', async () => {
    await expect(threeLevel({ method: { method: 'unrolled' }, outerSteps: 1 })).rejects.toThrow(/three-level: method 'unrolled' is not supported; use cg, neumann, fixedPoint, firstOrder/);
  });
});
