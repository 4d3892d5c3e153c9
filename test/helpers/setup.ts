import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** Flattens a tensor, typed array, nested number array or number to a plain number array. */
function toArray(x: unknown): number[] {
  if (x instanceof tf.Tensor) return Array.from(x.dataSync() as Float32Array);
  if (typeof x === 'number') return [x];
  if (ArrayBuffer.isView(x)) return Array.from(x as Float64Array);
  if (Array.isArray(x)) return x.flat(Infinity as 1) as number[];
  throw new TypeError(`toBeAllClose: cannot compare ${typeof x}`);
}

expect.extend({
  /** `|a - b| <= atol + rtol |b|` elementwise, and equal lengths (numpy's allclose). */
  toBeAllClose(received: unknown, expected: unknown, { rtol = 1e-5, atol = 1e-6 }: { rtol?: number; atol?: number } = {}) {
    const a = toArray(received);
    const b = toArray(expected);
    if (a.length !== b.length) {
      return { pass: false, message: () => `expected ${b.length} values, got ${a.length}` };
    }
    let worst = -1;
    let worstExcess = 0;
    a.forEach((ai, i) => {
      const bi = b[i] as number;
      const excess = Math.abs(ai - bi) - (atol + rtol * Math.abs(bi));
      if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
        worst = i;
        worstExcess = excess;
      }
    });
    return {
      pass: worst < 0,
      message: () =>
        worst < 0
          ? `expected values not to be all close (rtol ${rtol}, atol ${atol})`
          : `entry ${worst}: ${a[worst]} vs expected ${b[worst]} (rtol ${rtol}, atol ${atol})`,
    };
  },
});

declare module 'vitest' {
  interface Assertion<T> {
    toBeAllClose(expected: unknown, tol?: { rtol?: number; atol?: number }): T;
  }
}
