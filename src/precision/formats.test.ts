import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode16, encode16, roundArray } from './formats.js';

/** fp16 value of bits, straight from the IEEE 754 definition (independent of the code under test). */
function fp16Ref(h: number): number {
  const s = h >> 15 ? -1 : 1;
  const e = (h >> 10) & 31;
  const m = h & 1023;
  if (e === 31) return m ? Number.NaN : s * Infinity;
  return e === 0 ? s * 2 ** -14 * (m / 1024) : s * 2 ** (e - 15) * (1 + m / 1024);
}
function bf16Ref(h: number): number {
  const s = h >> 15 ? -1 : 1;
  const e = (h >> 7) & 255;
  const m = h & 127;
  if (e === 255) return m ? Number.NaN : s * Infinity;
  return e === 0 ? s * 2 ** -126 * (m / 128) : s * 2 ** (e - 127) * (1 + m / 128);
}

/** Every finite non-negative value of a format, ascending, with its bits. */
function positives(ref: (h: number) => number, maxBits: number): [number, number][] {
  const out: [number, number][] = [];
  for (let h = 0; h < maxBits; h++) out.push([ref(h), h]);
  return out;
}
const FP16 = positives(fp16Ref, 0x7c00);
const BF16 = positives(bf16Ref, 0x7f80);

/** Nearest value (ties to the even encoding), by search over the whole table; `limit`: overflow threshold. */
function nearest(table: [number, number][], x: number, limit: number, infBits: number): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= limit) return sign | infBits;
  let lo = 0;
  let hi = table.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((table[mid] as [number, number])[0] <= a) lo = mid;
    else hi = mid;
  }
  const [vl, bl] = table[lo] as [number, number];
  const [vh, bh] = table[hi] as [number, number];
  if (a <= vl) return sign | bl;
  const dl = a - vl;
  const dh = vh - a;
  return sign | (dl < dh ? bl : dh < dl ? bh : bl % 2 === 0 ? bl : bh);
}

describe('16-bit formats', () => {
  it('decodes every fp16 and bf16 encoding as IEEE defines it, and encodes each back to itself', () => {
    const all = Uint16Array.from({ length: 65536 }, (_v, i) => i);
    for (const [fmt, ref] of [['fp16', fp16Ref], ['bf16', bf16Ref]] as const) {
      const dec = decode16(all, fmt);
      const back = encode16(dec, fmt);
      const again = roundArray(dec, fmt); // every value of the format rounds to itself
      for (let h = 0; h < 65536; h++) {
        expect(Object.is(again[h], dec[h]) || (Number.isNaN(again[h]) && Number.isNaN(dec[h]))).toBe(true);
        const r = ref(h);
        if (Number.isNaN(r)) {
          expect(Number.isNaN(dec[h])).toBe(true);
          expect(Number.isNaN(decode16(Uint16Array.of(back[h] as number), fmt)[0])).toBe(true);
        } else {
          expect(dec[h]).toBe(Math.fround(r));
          expect(back[h]).toBe(h);
        }
      }
    }
  });

  it('rounds every midpoint between neighbouring values to the even one, and its float32 neighbours to the nearer', () => {
    for (const [fmt, table] of [['fp16', FP16], ['bf16', BF16]] as const) {
      for (let i = 0; i + 1 < table.length; i++) {
        const [a, ha] = table[i] as [number, number];
        const [b, hb] = table[i + 1] as [number, number];
        const mid = Math.fround((a + b) / 2);
        if (mid !== (a + b) / 2) continue; // not representable in float32 (bf16's widest ranges are)
        const even = ha % 2 === 0 ? ha : hb;
        const below = new Float32Array([mid]);
        new Uint32Array(below.buffer)[0]! -= 1;
        const above = new Float32Array([mid]);
        new Uint32Array(above.buffer)[0]! += 1;
        const enc = encode16([mid, below[0] as number, above[0] as number, -mid], fmt);
        expect([enc[0], enc[1], enc[2], enc[3]]).toEqual([even, ha, hb, even | 0x8000]);
        // roundArray (one pass on the bits) gives exactly the decoded encodings.
        expect(Array.from(roundArray([mid, below[0] as number, above[0] as number, -mid], fmt))).toEqual(Array.from(decode16(enc, fmt)));
      }
    }
  });

  it('fp16 overflows to Infinity from 65520 up and keeps 65504 below it; subnormals and underflow follow IEEE', () => {
    const x = [65504, 65519.99, 65520, 1e6, -65520, 2 ** -24, 2 ** -25, 2 ** -25 * 1.0001, 3 * 2 ** -25, -(2 ** -26), 2 ** -14 - 2 ** -25, Number.NaN];
    const r = roundArray(x, 'fp16');
    expect(Array.from(r.slice(0, 11))).toEqual([65504, 65504, Infinity, Infinity, -Infinity, 2 ** -24, 0, 2 ** -24, 2 ** -23, -0, 2 ** -14]);
    expect(Object.is(r[9], -0)).toBe(true);
    expect(Number.isNaN(r[11])).toBe(true);
    expect(Array.from(roundArray([3.4e38, -3.4e38, 1 + 2 ** -8, 1 + 3 * 2 ** -8], 'bf16'))).toEqual([Infinity, -Infinity, 1, 1 + 2 ** -6]);
  });

  it('rounds random float32 values to the nearest value of the format (property, against a table search)', () => {
    fc.assert(fc.property(fc.float({ noNaN: true }), (x) => {
      expect(encode16([x], 'fp16')[0]).toBe(nearest(FP16, x, 65520, 0x7c00));
      // bf16's largest finite value is (2 - 2^-7) 2^127; the overflow threshold is the midpoint to 2^128.
      expect(encode16([x], 'bf16')[0]).toBe(nearest(BF16, x, (2 - 2 ** -8) * 2 ** 127, 0x7f80));
      for (const fmt of ['fp16', 'bf16'] as const) {
        const r = roundArray([x], fmt)[0] as number;
        const ref = decode16(encode16([x], fmt), fmt)[0] as number;
        expect(Object.is(r, ref) || r === ref).toBe(true);
        expect(Object.is(r, -0)).toBe(Object.is(ref, -0));
      }
    }), { numRuns: 3000 });
  });
});
