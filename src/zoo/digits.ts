import type { Digits } from '../data/mnist.js';

/** Side of a down-sampled digit: 28 x 28 MNIST pixels averaged in 4 x 4 blocks. */
export const SIDE = 7;
/** Pixels of a down-sampled digit. */
export const PIXELS = SIDE * SIDE;

/** Down-sampled digits: `x` is `[n, 49]` in [0, 1], `y` the labels 0..9. */
export interface SmallDigits {
  /** Pixels, row-major `[n, 49]`. */
  x: Float32Array;
  /** Labels. */
  y: Int32Array;
  /** Number of digits. */
  n: number;
}

/** MNIST digits down-sampled to 7 x 7 by averaging 4 x 4 blocks. */
export function downsample(d: Digits): SmallDigits {
  const x = new Float32Array(d.n * PIXELS);
  for (let k = 0; k < d.n; k++) {
    for (let i = 0; i < SIDE; i++) {
      for (let j = 0; j < SIDE; j++) {
        let s = 0;
        for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) s += d.x[k * 784 + (4 * i + a) * 28 + 4 * j + b] as number;
        x[k * PIXELS + i * SIDE + j] = s / 16;
      }
    }
  }
  return { x, y: Int32Array.from(d.y), n: d.n };
}

/** A transformation of the digit images that defines a task. */
export type DigitTransform = 'identity' | 'rotate90' | 'rotate180' | 'mirror' | 'invert';

/** The pixel `(i, j)` of the transformed image reads this pixel of the original. */
function sourcePixel(t: DigitTransform, i: number, j: number): number {
  const m = SIDE - 1;
  if (t === 'rotate90') return (m - j) * SIDE + i;
  if (t === 'rotate180') return (m - i) * SIDE + (m - j);
  if (t === 'mirror') return i * SIDE + (m - j);
  return i * SIDE + j;
}

/** The digits transformed by `t`, restricted to the labels in `classes` (all when omitted). */
export function transformDigits(d: SmallDigits, t: DigitTransform, classes?: readonly number[]): SmallDigits {
  const keep = Array.from({ length: d.n }, (_v, k) => k).filter((k) => classes === undefined || classes.includes(d.y[k] as number));
  const x = new Float32Array(keep.length * PIXELS);
  keep.forEach((k, r) => {
    for (let i = 0; i < SIDE; i++) {
      for (let j = 0; j < SIDE; j++) {
        const v = d.x[k * PIXELS + sourcePixel(t, i, j)] as number;
        x[r * PIXELS + i * SIDE + j] = t === 'invert' ? 1 - v : v;
      }
    }
  });
  return { x, y: Int32Array.from(keep, (k) => d.y[k] as number), n: keep.length };
}
