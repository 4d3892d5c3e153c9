import * as tf from '@tensorflow/tfjs-core';
import { nativeMatMulInfo, setNativeMatMul } from '../src/backend/nativeMatMul.js';
import { wasmThreadsInUse } from '../src/backend/wasmThreads.js';
import { report } from './report.js';

/**
 * Medians of `a` and `b` in milliseconds over `reps` interleaved pairs (a, b, a, b, ...) after one
 * warm-up of each: both see the same machine load.
 */
export function interleavedMs(a: () => void, b: () => void, reps: number): { a: number; b: number } {
  a();
  b();
  const ta: number[] = [];
  const tb: number[] = [];
  for (let r = 0; r < reps; r++) {
    for (const [fn, out] of [[a, ta], [b, tb]] as const) {
      const t0 = performance.now();
      fn();
      out.push(performance.now() - t0);
    }
  }
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  return { a: median(ta), b: median(tb) };
}

/** The products of a 784-256-10 MLP step at batch 128 (forward, both backward forms), a square one and a tiny one. */
const SHAPES: { name: string; a: [number, number]; b: [number, number]; transposeA?: boolean; transposeB?: boolean }[] = [
  { name: 'x·W1 128x784x256', a: [128, 784], b: [784, 256] },
  { name: 'xT·dh 784x128x256', a: [128, 784], b: [128, 256], transposeA: true },
  { name: 'dh·W1T 128x256x784', a: [128, 256], b: [784, 256], transposeB: true },
  { name: 'h·W2 128x256x10', a: [128, 256], b: [256, 10] },
  { name: 'square 512', a: [512, 512], b: [512, 512] },
];

/**
 * matMul on the wasm backend, tfjs's XNNPACK kernel against OpenBLAS's through `hypergrad-native`,
 * interleaved in one process: GFLOP/s (2 m k n flop per product) on the MLP's shapes, and the
 * per-call cost of a 2x2 product (the dispatch both pay). Skipped, saying why, when the addon is
 * not built. The thread count is the process's (`HYPERGRAD_WASM_THREADS`).
 */
export function matMulThroughputBench(reps = 7): void {
  const info = nativeMatMulInfo();
  if (!info.on) {
    process.stderr.write(`bench autodiff: native matMul lines skipped: ${info.reason ?? 'native matMul is off (HYPERGRAD_NATIVE=0)'}\n`);
    return;
  }
  const threads = wasmThreadsInUse() ?? 1;
  const suffix = `wasm-${threads}t`;
  for (const s of SHAPES) {
    const a = tf.randomNormal(s.a, 0, 1, 'float32', 1);
    const b = tf.randomNormal(s.b, 0, 1, 'float32', 2);
    const m = s.transposeA ? s.a[1] : s.a[0];
    const k = s.transposeA ? s.a[0] : s.a[1];
    const n = s.transposeB ? s.b[0] : s.b[1];
    const calls = Math.max(1, Math.round(2e8 / (2 * m * k * n)));
    const run = (native: boolean) => () => {
      setNativeMatMul(native, threads);
      for (let i = 0; i < calls; i++) tf.matMul(a, b, s.transposeA, s.transposeB).dispose();
    };
    const t = interleavedMs(run(true), run(false), reps);
    const gflops = (ms: number) => Number(((2 * m * k * n * calls) / (ms * 1e6)).toFixed(2));
    report({ bench: 'autodiff', case: `matMul ${s.name}/${suffix}`, metric: 'native-gflops', value: gflops(t.a), unit: 'GFLOP/s', baseline: gflops(t.b), repeats: reps });
    tf.dispose([a, b]);
  }
  const a = tf.ones([2, 2]);
  const calls = 20000;
  const t = interleavedMs(
    () => {
      setNativeMatMul(true, threads);
      for (let i = 0; i < calls; i++) tf.matMul(a, a).dispose();
    },
    () => {
      setNativeMatMul(false);
      for (let i = 0; i < calls; i++) tf.matMul(a, a).dispose();
    },
    reps,
  );
  const us = (ms: number) => Number(((ms * 1000) / calls).toFixed(3));
  report({ bench: 'autodiff', case: `matMul 2x2x2 per call/${suffix}`, metric: 'native-us', value: us(t.a), unit: 'us', baseline: us(t.b), repeats: reps });
  setNativeMatMul(true, threads);
  a.dispose();
}
