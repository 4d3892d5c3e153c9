/**
 * tfjs's multi-threaded SIMD wasm build, started in Node.
 *
 * `@tensorflow/tfjs-backend-wasm` ships `tfjs-backend-wasm-threaded-simd.wasm` (XNNPACK on a
 * pthreadpool) but never uses it in Node: it creates the pthread worker from a blob URL, which
 * `worker_threads` refuses (`ERR_WORKER_PATH`), so it falls back to the single-threaded build. Here we
 * start the same Emscripten module with three changes of configuration, and no change to tfjs:
 *
 * - the worker script (which the package ships as a string) is written once to a file in the
 *   system's temporary folder, and Emscripten's `locateFile` points at that file;
 * - the main script each worker imports is the package's own `wasm-out` file (Emscripten's default,
 *   a path in Node);
 * - `instantiateWasm` instantiates the binary with the import `emscripten_num_logical_cores`
 *   answering `2 * threads`, because tfjs caps its pool at half the logical cores (it assumes two
 *   hyper-threads per core) and at the 8 workers the build pre-creates.
 *
 * The backend is tfjs's own `BackendWasm` over that module, registered under the name `wasm` with
 * tfjs's priority, so every wasm kernel runs unchanged. The pool's workers are unreferenced so that a
 * process exits when its work is done, as with the single-threaded build.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkInteger } from '../util/validate.js';

const require = createRequire(import.meta.url);

/** The most threads the threaded build can run: it pre-creates 8 pthread workers. */
export const MAX_WASM_THREADS = 8;

/** The part of tfjs's Emscripten module hypergrad touches. */
export interface WasmModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  tfjs: { getThreadsCount(): number };
  HEAPU8: Uint8Array;
  wasmMemory?: WebAssembly.Memory;
  PThread?: { runningWorkers: { unref(): void }[]; terminateAllThreads(): void };
}

/** The tfjs wasm backend's fields hypergrad reads (`BackendWasm` keeps them public in JS). */
export interface WasmBackendLike extends tf.KernelBackend {
  wasm: WasmModule;
  dataIdMap: { get(id: tf.DataId): { id: number; memoryOffset: number | null; shape: number[]; dtype: string } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

interface WasmPackage {
  BackendWasm: new (module: unknown) => tf.KernelBackend;
  setThreadsCount(n: number): void;
}

/**
 * Checks a thread count for the wasm backend: an integer in [1, {@link MAX_WASM_THREADS}].
 * @param who - the caller named in the error (`initBackend`).
 * @param name - the argument named in the error (`threads`, or `HYPERGRAD_WASM_THREADS`).
 */
export function checkWasmThreads(who: string, name: string, threads: unknown): number {
  return checkInteger(who, name, threads, { min: 1, max: MAX_WASM_THREADS });
}

/** The pthread worker script on disk (written once per tfjs version and content). */
function workerFile(wasmOut: string): string {
  const { wasmWorkerContents } = require(join(wasmOut, 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  // The package keeps the script in a template literal: its "\n" escapes arrive as newlines inside
  // string literals, which tfjs escapes back before making its blob; so do we.
  const source = wasmWorkerContents.replace(/\n/g, '\\n');
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const file = join(tmpdir(), `hypergrad-tfjs-wasm-${tf.version_core}-${hash}.worker.cjs`);
  if (!existsSync(file)) {
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, source);
    renameSync(partial, file); // atomic: concurrent processes never read a half-written script
  }
  return file;
}

/**
 * Creates tfjs's wasm backend on the threaded SIMD build with `threads` threads (XNNPACK's pool:
 * the calling thread and `threads - 1` workers).
 */
async function createThreadedBackend(threads: number): Promise<tf.KernelBackend> {
  const pkg = require('@tensorflow/tfjs-backend-wasm') as WasmPackage;
  const wasmOut = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
  const factory = require(join(wasmOut, 'tfjs-backend-wasm-threaded-simd.js')) as (config: object) => Promise<WasmModule>;
  const binaryPath = join(wasmOut, 'tfjs-backend-wasm-threaded-simd.wasm');
  const worker = workerFile(wasmOut);
  const module = await factory({
    locateFile: (path: string, prefix: string) =>
      path.endsWith('.worker.js') ? worker : path.endsWith('.wasm') ? binaryPath : prefix + path,
    instantiateWasm: (
      imports: WebAssembly.Imports,
      receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
    ) => {
      const env = { ...imports.env, emscripten_num_logical_cores: () => 2 * threads };
      void WebAssembly.instantiate(readFileSync(binaryPath), { ...imports, env }).then((r) => receive(r.instance, r.module));
      return {};
    },
  });
  const m = module as WasmModule & { tfjs: Record<string, unknown> };
  m.tfjs = {
    init: m.cwrap('init', null, []),
    initWithThreadsCount: m.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: m.cwrap('get_threads_count', 'number', []),
    registerTensor: m.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: m.cwrap('dispose_data', null, ['number']),
    dispose: m.cwrap('dispose', null, []),
  } as WasmModule['tfjs'];
  pkg.setThreadsCount(threads);
  const backend = new pkg.BackendWasm(m);
  for (const w of m.PThread?.runningWorkers ?? []) w.unref();
  const got = m.tfjs.getThreadsCount();
  if (got !== threads) {
    throw new Error(`initBackend: the threaded wasm build started ${got} threads where ${threads} were asked`);
  }
  return backend;
}

/** The number of threads of the wasm backend once it is initialised, else undefined. */
export function wasmThreadsInUse(): number | undefined {
  const backend = (tf.engine().registry as Record<string, tf.KernelBackend | undefined>).wasm as WasmBackendLike | undefined;
  return backend?.wasm.tfjs.getThreadsCount();
}

type Factory = () => tf.KernelBackend | Promise<tf.KernelBackend>;

/** tfjs's priority for `wasm` (its package registers with 2). */
const WASM_PRIORITY = 2;

/** tfjs's own factory for `wasm`, kept the first time it is replaced. */
let stockFactory: Factory | undefined;
const threadedFactories = new WeakSet<Factory>();

/**
 * Makes the next initialisation of the `wasm` backend use `threads` threads: 1 is tfjs's own
 * single-threaded SIMD build (its package's registration, restored if it was replaced), more is the
 * threaded build started as described in this module. Call it before the backend is first
 * initialised, after the package is loaded (loading it registers the kernels and the stock factory).
 */
export function registerWasmBackend(threads: number): void {
  const current = tf.findBackendFactory('wasm') as Factory | null;
  if (current == null) throw new Error('initBackend: @tensorflow/tfjs-backend-wasm must be loaded before its thread count is set');
  if (stockFactory === undefined && !threadedFactories.has(current)) stockFactory = current;
  let factory: Factory;
  if (threads === 1) {
    if (stockFactory === undefined || current === stockFactory) return;
    factory = stockFactory;
  } else {
    factory = () => createThreadedBackend(threads);
    threadedFactories.add(factory);
  }
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', factory, WASM_PRIORITY);
}
