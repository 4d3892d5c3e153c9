import { createRequire } from 'node:module';
import { seededRandom, shuffleInPlace } from '../util/random.js';

/** MNIST digits as flat arrays: `x` is `[n, 784]` in [0, 1], `y` the labels 0..9. */
export interface Digits {
  /** Pixels, row-major `[n, 784]`. */
  x: Float32Array;
  /** Labels. */
  y: Int32Array;
  /** Number of digits. */
  n: number;
}

let cache: { x: Float32Array; y: Int32Array } | null = null;

/** All 10,000 digits of the `mnist` package (MIT), in the package's order (digit by digit). */
function all(): { x: Float32Array; y: Int32Array } {
  if (cache !== null) return cache;
  const mnist = createRequire(import.meta.url)('mnist') as Record<number, { raw: ArrayLike<number>; length: number }>;
  const counts = Array.from({ length: 10 }, (_v, d) => (mnist[d] as { length: number }).length);
  const n = counts.reduce((a, b) => a + b, 0);
  const x = new Float32Array(n * 784);
  const y = new Int32Array(n);
  let k = 0;
  for (let d = 0; d < 10; d++) {
    const raw = (mnist[d] as { raw: ArrayLike<number> }).raw;
    for (let i = 0; i < (counts[d] as number); i++, k++) {
      for (let p = 0; p < 784; p++) x[k * 784 + p] = raw[i * 784 + p] as number;
      y[k] = d;
    }
  }
  cache = { x, y };
  return cache;
}

/**
 * Disjoint random splits of the 10,000 MNIST digits of the `mnist` package, shuffled with a seeded
 * generator (the package's own sampler is not seeded). Sizes are numbers of digits.
 * @throws when the sizes add up to more than the digits available.
 */
export function mnistSplits(sizes: readonly number[], seed = 0): Digits[] {
  const { x, y } = all();
  const total = y.length;
  const want = sizes.reduce((a, b) => a + b, 0);
  if (sizes.some((s) => !(Number.isInteger(s) && s > 0)) || want > total) {
    throw new Error(`mnistSplits: sizes must be positive integers adding up to at most ${total}, got [${sizes.join(', ')}]`);
  }
  const order = shuffleInPlace(Array.from({ length: total }, (_v, i) => i), seededRandom(seed));
  let at = 0;
  return sizes.map((size) => {
    const xs = new Float32Array(size * 784);
    const ys = new Int32Array(size);
    for (let i = 0; i < size; i++, at++) {
      const src = order[at] as number;
      xs.set(x.subarray(src * 784, src * 784 + 784), i * 784);
      ys[i] = y[src] as number;
    }
    return { x: xs, y: ys, n: size };
  });
}
