/**
 * The page's digits, packed for shipping: pixels quantized to bytes (MNIST's are multiples of
 * 1/255 already) and labels, base64-encoded. {@link packDigits} runs in Node at build time (from the
 * `mnist` package's digits), {@link unpackDigits} in the page and in the Node check, so both train
 * on exactly the same numbers.
 */
import type { DemoDigits } from './cleaningDemo.js';

/** How many digits the page trains and validates on: seeded splits of the `mnist` package. */
export const DEMO_SPLITS = { train: 300, valid: 200, seed: 0 } as const;

/** Digits as shipped: base64 of the pixel bytes (`n x 784`) and of the labels (`n` bytes). */
export interface PackedDigits {
  n: number;
  pixels: string;
  labels: string;
}

const toBase64 = (bytes: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
};
const fromBase64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/** Packs digits (pixels in [0, 1]) for shipping. */
export function packDigits(d: DemoDigits): PackedDigits {
  return {
    n: d.n,
    pixels: toBase64(Uint8Array.from(d.x, (v) => Math.round(v * 255))),
    labels: toBase64(Uint8Array.from(d.y)),
  };
}

/** The inverse of {@link packDigits}: pixels back in [0, 1]. */
export function unpackDigits(p: PackedDigits): DemoDigits {
  return { n: p.n, x: Float32Array.from(fromBase64(p.pixels), (b) => b / 255), y: Int32Array.from(fromBase64(p.labels)) };
}
