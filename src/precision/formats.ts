/**
 * Exact conversions between float32 and the 16-bit floating-point formats, on typed arrays:
 * IEEE 754 binary16 (`fp16`: 1 sign, 5 exponent, 10 fraction bits; largest finite 65504,
 * subnormals down to 2^-24) and bfloat16 (`bf16`: float32's upper 16 bits; 8 exponent bits).
 * Rounding is to nearest, ties to even; fp16 overflows to +-Infinity exactly as IEEE says (a value
 * whose magnitude rounds above 65504, i.e. from 65520 up); NaN stays NaN.
 */

/** A number format for parameters and activations. */
export type Precision = 'fp32' | 'fp16' | 'bf16';
/** The 16-bit formats. */
export type HalfPrecision = Exclude<Precision, 'fp32'>;
/** The accepted values, for error messages. */
export const PRECISIONS: readonly Precision[] = ['fp32', 'fp16', 'bf16'];

/** Throws unless `p` is a {@link Precision}, naming `what`. */
export function checkPrecision(what: string, p: unknown): Precision {
  if (!(PRECISIONS as readonly unknown[]).includes(p)) throw new Error(`${what} must be one of ${PRECISIONS.join(', ')}, got ${String(p)}`);
  return p as Precision;
}

/** The 16-bit formats, for error messages. */
const HALF_PRECISIONS: readonly HalfPrecision[] = ['fp16', 'bf16'];

/** Throws unless `p` is a {@link HalfPrecision}, naming `what`. */
function checkHalfPrecision(what: string, p: unknown): HalfPrecision {
  if (!(HALF_PRECISIONS as readonly unknown[]).includes(p)) throw new Error(`${what} must be one of ${HALF_PRECISIONS.join(', ')}, got ${String(p)}`);
  return p as HalfPrecision;
}

/** float32 bits to fp16 bits, round to nearest even. */
function fp16Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0); // Inf or (quiet) NaN
  const e = exp - 127 + 15; // fp16 biased exponent
  if (e >= 0x1f) return sign | 0x7c00; // overflow
  if (e <= 0) {
    // Subnormal (or zero) in fp16: value = mant' * 2^-24, mant' = round(full * 2^(e-1-13)).
    if (e < -10) return sign; // below half the smallest subnormal: +-0
    mant |= 0x800000; // implicit bit
    const shift = 14 - e; // 14..24
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let m = mant >>> shift;
    if (rest > half || (rest === half && (m & 1) === 1)) m++;
    return sign | m; // m may carry into the exponent field: the smallest normal, still correct
  }
  const rest = mant & 0x1fff;
  let h = (e << 10) | (mant >>> 13);
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++; // a carry may reach 0x7c00: Inf, correct
  return sign | h;
}

/** fp16 bits to the float32 value. */
function fp16Value(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : Number.NaN;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

let table16: Float32Array | null = null;
/** The float32 value of every fp16 encoding (256 KiB, built on first use). */
function fp16Table(): Float32Array {
  if (table16 === null) table16 = Float32Array.from({ length: 65536 }, (_v, h) => fp16Value(h));
  return table16;
}

/** float32 bits to bf16 bits, round to nearest even. */
function bf16Bits(bits: number): number {
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) return ((bits >>> 16) | 0x40) & 0xffff; // quiet NaN
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** The 16-bit encodings of `x` in `format`. */
export function encode16(x: ArrayLike<number>, format: HalfPrecision): Uint16Array {
  checkHalfPrecision('encode16: format', format);
  const f = x instanceof Float32Array ? x : Float32Array.from(x);
  const bits = new Uint32Array(f.buffer, f.byteOffset, f.length);
  const out = new Uint16Array(f.length);
  if (format === 'fp16') {
    for (let i = 0; i < bits.length; i++) out[i] = fp16Bits(bits[i] as number);
  } else {
    for (let i = 0; i < bits.length; i++) out[i] = bf16Bits(bits[i] as number);
  }
  return out;
}

/** Float32 values of 16-bit encodings in `format`. */
export function decode16(bits: Uint16Array, format: HalfPrecision): Float32Array {
  checkHalfPrecision('decode16: format', format);
  const out = new Float32Array(bits.length);
  if (format === 'fp16') {
    const table = fp16Table();
    for (let i = 0; i < bits.length; i++) out[i] = table[bits[i] as number] as number;
  } else {
    const o32 = new Uint32Array(out.buffer);
    for (let i = 0; i < bits.length; i++) o32[i] = (bits[i] as number) << 16;
  }
  return out;
}

/**
 * `x` rounded to `format` (the nearest representable value, ties to even), as float32: the same
 * values as `decode16(encode16(x))`, computed in one pass on the float32 bit patterns.
 * - bf16: round the low 16 bits away to nearest even (a carry into the exponent rounds up to the
 *   next binade, or to Infinity past the largest finite value).
 * - fp16, |x| >= 2^-14 (its normal range): round the low 13 mantissa bits to nearest even; a result
 *   above 65504 becomes Infinity.
 * - fp16, |x| < 2^-14 (subnormals): round `|x| 2^24` to the nearest even integer (exact in float64)
 *   and scale back, keeping the sign (so tiny negatives give -0).
 * Infinities and NaN pass through. An unknown `format` (`'fp8'`, `'FP32'`) is an error naming the
 * accepted ones.
 */
export function roundArray(x: ArrayLike<number>, format: Precision): Float32Array {
  checkPrecision('roundArray: format', format);
  const out = Float32Array.from(x);
  if (format === 'fp32') return out;
  const u = new Uint32Array(out.buffer);
  const n = u.length;
  if (format === 'bf16') {
    for (let i = 0; i < n; i++) {
      const b = u[i] as number;
      if ((b & 0x7f800000) === 0x7f800000) continue;
      u[i] = (b + 0x7fff + ((b >>> 16) & 1)) & 0xffff0000;
    }
    return out;
  }
  for (let i = 0; i < n; i++) {
    const b = u[i] as number;
    const a = b & 0x7fffffff;
    if (a >= 0x7f800000) continue;
    const sign = b & 0x80000000;
    if (a >= 0x38800000) {
      const r = (a + 0xfff + ((a >>> 13) & 1)) & 0x7fffe000;
      u[i] = (sign | (r > 0x477fe000 ? 0x7f800000 : r)) >>> 0;
    } else {
      const q = Math.abs(out[i] as number) * 16777216 + 6755399441055744 - 6755399441055744;
      out[i] = (sign !== 0 ? -q : q) / 16777216;
    }
  }
  return out;
}
