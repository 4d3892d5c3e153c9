/**
 * Native matMul for the wasm backend: OpenBLAS's `sgemm` (the optional package `hypergrad-native`
 * in `native/`, an N-API addon built by `npm install` where `libopenblas-dev` is present) in place
 * of XNNPACK's, for the kernels `BatchMatMul` and `_FusedMatMul`.
 *
 * The operands are read and the product written where the wasm backend keeps them, in the wasm
 * heap: the addon gets a `Float32Array` over the wasm memory and the tensors' element offsets
 * (`memoryOffset / 4` from the backend's `dataIdMap`), so a call copies nothing. For batch entry i,
 *
 *   C_i = act(op(A_i) op(B_i) + bias),   op(X) = X or Xᵀ (the kernel's `transposeA`, `transposeB`),
 *
 * with act one of linear, relu, relu6, leaky relu, sigmoid, elu and a bias of length N or 1; a batch
 * broadcasts when one side has a single entry. Anything else (int32, prelu, another bias shape, a
 * broadcast of both sides, an empty operand) runs tfjs's own kernel, which the replacement keeps.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import type { WasmBackendLike } from './wasmThreads.js';

const require = createRequire(import.meta.url);

/** The addon's functions (native/src/blas.c). */
interface NativeBlas {
  gemm(heap: Float32Array<ArrayBufferLike>, params: Int32Array, alpha: number): void;
  setThreads(n: number): void;
  threads(): number;
  config(): string;
}

let addon: NativeBlas | undefined;
let loadError: string | undefined;

/** Loads the addon once; returns it, or the reason it cannot load. */
function load(): NativeBlas | string {
  if (addon !== undefined) return addon;
  if (loadError !== undefined) return loadError;
  try {
    addon = require('hypergrad-native') as NativeBlas;
    return addon;
  } catch (e) {
    const message = (e as Error).message.split('\n')[0] ?? String(e);
    loadError = /Cannot find module 'hypergrad-native'|build\/Release/.test(message)
      ? 'the optional package hypergrad-native is not built (npm install builds it where libopenblas-dev is installed)'
      : `hypergrad-native does not load: ${message}`;
    return loadError;
  }
}

const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, leakyrelu: 3, sigmoid: 4, elu: 5 };
const KERNELS = [tf.BatchMatMul, tf._FusedMatMul] as const;
const stock = new Map<string, tf.KernelConfig>();

const params = new Int32Array(14);
let heapBuffer: ArrayBufferLike | undefined;
let heap: Float32Array<ArrayBufferLike> = new Float32Array(0);

/** A view of the whole wasm heap, renewed when the memory grows (its buffer changes). */
function heapOf(backend: WasmBackendLike): Float32Array<ArrayBufferLike> {
  const buffer = backend.wasm.wasmMemory?.buffer ?? backend.wasm.HEAPU8.buffer;
  if (buffer !== heapBuffer) {
    heapBuffer = buffer;
    heap = new Float32Array(buffer);
  }
  return heap;
}

function offset(backend: WasmBackendLike, t: tf.TensorInfo): number {
  return (backend.dataIdMap.get(t.dataId)?.memoryOffset ?? NaN) / 4;
}

/**
 * Runs the product on OpenBLAS, or returns null for tfjs's kernel: the shapes and the plan of the
 * call, then one native call.
 */
function nativeProduct(
  backend: WasmBackendLike,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  bias: tf.TensorInfo | null,
  act: number,
  alpha: number,
): tf.TensorInfo | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const M = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const K = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kB = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const N = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  if (K !== kB || M * N * K === 0 || (batchA !== batchB && batchA !== 1 && batchB !== 1)) return null;
  if (bias !== null && (bias.dtype !== 'float32' || bias.shape.length !== 1 || (bias.shape[0] !== N && bias.shape[0] !== 1))) return null;
  const batchShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = Math.max(batchA, batchB);
  if (tf.util.sizeFromShape(batchShape) !== batch) return null; // a broadcast of both sides
  const out = backend.makeOutput([...batchShape, M, N], 'float32');
  params[0] = batch;
  params[1] = M;
  params[2] = N;
  params[3] = K;
  params[4] = transposeA ? 1 : 0;
  params[5] = transposeB ? 1 : 0;
  params[6] = offset(backend, a);
  params[7] = batchA === 1 ? 0 : M * K;
  params[8] = offset(backend, b);
  params[9] = batchB === 1 ? 0 : K * N;
  params[10] = offset(backend, out);
  params[11] = bias === null ? -1 : offset(backend, bias);
  params[12] = bias === null ? 0 : bias.shape[0]!;
  params[13] = act;
  addon!.gemm(heapOf(backend), params, alpha); // after makeOutput: its malloc may grow the heap
  return out;
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

function batchMatMul(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
  const out = nativeProduct(args.backend as WasmBackendLike, a, b, transposeA, transposeB, null, 0, 0);
  return out ?? stock.get(tf.BatchMatMul)!.kernelFunc(args);
}

function fusedMatMul(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const { transposeA, transposeB, activation, leakyreluAlpha } = args.attrs as unknown as tf._FusedMatMulAttrs;
  const act = ACTIVATIONS[activation];
  const out =
    preluActivationWeights == null && act !== undefined
      ? nativeProduct(args.backend as WasmBackendLike, a!, b!, transposeA, transposeB, bias ?? null, act, leakyreluAlpha ?? 0)
      : null;
  return out ?? stock.get(tf._FusedMatMul)!.kernelFunc(args);
}

/**
 * Turns native matMul on or off for the wasm backend. On: loads the addon (once), sets OpenBLAS's
 * thread count and replaces the two kernels (keeping tfjs's to fall back on). Returns null when it
 * is on, else the reason it cannot be (the addon absent or not loading); off always succeeds.
 * @param on - whether to use it.
 * @param threads - OpenBLAS's thread count (the wasm backend's).
 */
export function setNativeMatMul(on: boolean, threads = 1): string | null {
  if (!on) {
    for (const [name, config] of stock) {
      tf.unregisterKernel(name, 'wasm');
      tf.registerKernel(config);
    }
    stock.clear();
    return null;
  }
  const blas = load();
  if (typeof blas === 'string') return blas;
  blas.setThreads(threads);
  if (stock.size > 0) return null;
  for (const name of KERNELS) {
    const config = tf.getKernel(name, 'wasm');
    if (config === undefined) return `tfjs's wasm backend has no ${name} kernel to replace`;
    stock.set(name, config);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      kernelName: name,
      backendName: 'wasm',
      setupFunc: config.setupFunc,
      kernelFunc: (name === tf.BatchMatMul ? batchMatMul : fusedMatMul) as unknown as tf.KernelFunc,
    });
  }
  return null;
}

/** Whether native matMul is on, and OpenBLAS's build when loaded (`'OpenBLAS 0.3.21 ... Zen'`). */
export function nativeMatMulInfo(): { on: boolean; config?: string; threads?: number; reason?: string } {
  const blas = addon;
  return {
    on: stock.size > 0,
    ...(blas !== undefined ? { config: blas.config(), threads: blas.threads() } : {}),
    ...(loadError !== undefined ? { reason: loadError } : {}),
  };
}
