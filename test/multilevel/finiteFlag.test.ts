import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Engine, ImplicitProblem, sgd } from '../../src/index.js';
import { HOST_CHECK_MAX, nonFiniteFlag } from '../../src/precision/mixedPrecision.js';
import { useBackend } from '../helpers/backends.js';

/**
 * The engine's per-update finiteness flag is one sum per leaf: non-finite exactly when an entry is
 * Inf or NaN, or when finite entries sum past float32's range; where reads are cheap, small leaves
 * are checked exactly on the host instead. The sum's false alarm must not fail a run whose
 * parameters are at hand to count.
 */
describe('finiteness flags kept with each update', () => {
  it('the flag is finite for finite trees and not finite for any Inf or NaN entry, in any leaf (device sums and host checks)', async () => {
    await useBackend('wasm');
    for (const onHost of [false, true]) await flagCases(onHost);
  });

  it('on the host, small leaves cost no kernel and large ones one sum each (the same verdicts)', async () => {
    await useBackend('wasm');
    const small = tf.ones([HOST_CHECK_MAX]);
    const large = tf.ones([HOST_CHECK_MAX + 1]);
    const kernels = async (t: tf.Tensor[]) => (await tf.profile(() => { const f = nonFiniteFlag(t, true); if (typeof f !== 'number') f.dispose(); })).kernels.length;
    expect(await kernels([small, small])).toBe(0);
    expect(await kernels([small, large])).toBe(1);
    expect(await kernels([large, large])).toBe(3); // two sums and their AddN
    expect(nonFiniteFlag([small], true)).toBe(0);
    tf.dispose([small, large]);
  });
});

/** The flag's verdicts on finite trees and on trees with an Inf or a NaN, small and large leaves. */
async function flagCases(onHost: boolean): Promise<void> {
  const read = (t: tf.Tensor | tf.Tensor[]) => {
    const f = nonFiniteFlag(t, onHost);
    if (typeof f === 'number') return f;
    const v = f.dataSync()[0] as number;
    f.dispose();
    return v;
  };
  const ok = [tf.tensor1d([1, -2, 3e30]), tf.tensor2d([[0, -1e-30]]), tf.fill([HOST_CHECK_MAX + 5], 0.5)];
  expect(Number.isFinite(read(ok))).toBe(true);
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    for (const size of [3, HOST_CHECK_MAX + 3]) { // checked on the host, or by a sum kernel
      const t = tf.tidy(() => tf.concat([tf.tensor1d([1, bad]), tf.ones([size - 2])]));
      expect(Number.isFinite(read([...ok, t]))).toBe(false);
      expect(Number.isFinite(read(t))).toBe(false);
      t.dispose();
    }
  }
  const both = tf.tensor1d([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
  expect(Number.isFinite(read(both))).toBe(false); // Inf + (-Inf) is NaN, not a finite cancellation
  tf.dispose([...ok, both]);
}

describe('the engine with finiteness flags', () => {
  it('a top-level problem whose finite parameters sum past 3.4e38 runs on (the overflowing sum is recounted exactly)', async () => {
    await useBackend('wasm');
    const before = tf.memory().numTensors;
    const batch = tf.ones([1]);
    const w0 = tf.tensor1d([3e38, 3e38]);
    const big = new ImplicitProblem<tf.Tensor, tf.Tensor>({
      name: 'big', module: { params: w0 }, optimizer: sgd({ lr: 0.1 }), data: [batch],
      trainingStep: (b, ctx) => tf.mul(tf.sum(tf.square(tf.div(ctx.params, 1e38))), tf.mean(b)),
    });
    const engine = new Engine({ problems: [big], dependencies: {}, config: { iterations: 3 } });
    await engine.run();
    const p = await big.params.data();
    expect(Array.from(p).every((x) => Number.isFinite(x) && x > 2.9e38)).toBe(true);
    engine.dispose();
    tf.dispose([batch, w0]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
