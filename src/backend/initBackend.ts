import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { registerRules } from '../autodiff/registerRules.js';
import { nativeMatMulInfo, setNativeMatMul } from './nativeMatMul.js';
import { checkWasmThreads, registerWasmBackend, wasmThreadsInUse } from './wasmThreads.js';
import { describeWebGPU, registerWebGPU, webgpuInfo, webgpuWorthProbing } from './webgpu.js';

/** A backend hypergrad can run on. */
export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

/** The backends, in the order {@link initBackend} tries them when none is named. */
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

const PACKAGES: Record<BackendName, string> = {
  tensorflow: '@tensorflow/tfjs-node',
  webgpu: '@tensorflow/tfjs-backend-webgpu',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

const require = createRequire(import.meta.url);

/**
 * Loads the package that registers `name` with tfjs-core. Returns the reason it failed, or null.
 * tfjs-node and the backends are CommonJS packages that register themselves as a side effect of
 * `require`; they share the one tfjs-core instance that `@tensorflow/tfjs-core` resolves to.
 */
function loadPackage(name: BackendName): string | null {
  if (tf.findBackendFactory(name) != null) return null;
  try {
    require(PACKAGES[name]);
  } catch (e) {
    return (e as Error).message.split('\n')[0] ?? String(e);
  }
  return tf.findBackendFactory(name) != null
    ? null
    : `${PACKAGES[name]} loaded but did not register a '${name}' backend (is it built for tfjs-core ${tf.version_core}?)`;
}

/**
 * Registers the webgpu backend (once): any adapter when named, only a real GPU in the automatic
 * choice (a software rasteriser is slower than wasm). Returns the reason it failed, or null.
 */
async function loadWebGPU(automatic: boolean): Promise<string | null> {
  if (webgpuInfo() !== undefined && tf.findBackendFactory('webgpu') != null) {
    return automatic && webgpuInfo()?.software ? 'only a software adapter' : null;
  }
  if (automatic && !webgpuWorthProbing()) return 'no GPU device or packages';
  try {
    await registerWebGPU({ requireHardware: automatic });
    return null;
  } catch (e) {
    return (e as Error).message.split('\n')[0] ?? String(e);
  }
}

/**
 * The backend in use, in words: its name, for webgpu the adapter (`'webgpu (NVIDIA H200)'`), for
 * wasm its thread count when more than one and native matMul when on (`'wasm (2 threads, OpenBLAS matMul on 2 threads)'`,
 * `'wasm (OpenBLAS matMul on 2 threads)'`).
 */
export function describeBackend(name: string = tf.getBackend()): string {
  const info = webgpuInfo();
  if (name === 'webgpu' && info !== undefined) return describeWebGPU(info);
  if (name !== 'wasm') return name;
  const threads = wasmThreadsInUse() ?? 1;
  const blas = nativeMatMulInfo();
  const blasThreads = blas.threads !== undefined && blas.threads > 1 ? ` on ${blas.threads} threads` : '';
  const parts = [...(threads > 1 ? [`${threads} threads`] : []), ...(blas.on ? [`OpenBLAS matMul${blasThreads}`] : [])];
  return parts.length > 0 ? `wasm (${parts.join(', ')})` : 'wasm';
}

/**
 * The wasm backend's default thread count: 1. Measured on 2 cores (README, "Threads and native
 * BLAS"): the threaded build halves a 512x512 matMul but our problems' kernels are small, and there
 * the pool's hand-offs cost more than the second core gives.
 */
export const DEFAULT_WASM_THREADS = 1;

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** The backend to use; default `process.env.HYPERGRAD_BACKEND`, else the first that loads. */
  backend?: BackendName | string;
  /**
   * Threads of the wasm backend, an integer in [1, 8]: 1 runs tfjs's single-threaded SIMD build,
   * more its threaded SIMD build (XNNPACK's pool; see `wasmThreads.ts`). Default
   * `HYPERGRAD_WASM_THREADS`, else {@link DEFAULT_WASM_THREADS}. Fixed once the wasm backend has
   * started in a process: a different explicit count afterwards is an error.
   */
  threads?: number;
  /**
   * Native matMul on the wasm backend (OpenBLAS through the optional package `hypergrad-native`;
   * see `nativeMatMul.ts`): `true` requires it (an error says why it cannot load), `false` turns it
   * off; default `HYPERGRAD_NATIVE` (`0` off, `1` required), else on when the package is built.
   */
  native?: boolean;
  /**
   * OpenBLAS's threads for native matMul, an integer in [1, 8]; default `HYPERGRAD_BLAS_THREADS`,
   * else the wasm backend's thread count. Independent of the wasm build: `{blasThreads: 2}` keeps
   * the single-threaded wasm kernels (faster on our sizes) and runs the matMuls on two cores.
   * OpenBLAS itself keeps products below about 64^3 on one thread. Measured on 2 cores (`bench
   * numpy`, README "Threads and native BLAS"): the 784-256-10 MLP's step 2.0-2.2 -> 1.4-2.1 ms, its
   * HVP 3.3-3.7 -> 2.5-3.2 ms. Data-parallel replicas always run 1.
   */
  blasThreads?: number;
}

/** The thread count asked for (argument, then environment), or undefined for the default. */
function requestedThreads(options: InitBackendOptions): number | undefined {
  return threadCount(options, 'threads', 'HYPERGRAD_WASM_THREADS');
}

/** OpenBLAS's thread count asked for (argument, then environment), or undefined for the default. */
function requestedBlasThreads(options: InitBackendOptions): number | undefined {
  return threadCount(options, 'blasThreads', 'HYPERGRAD_BLAS_THREADS');
}

/** `options[key]`, else the environment variable `env`, checked to be in [1, 8]; undefined when neither is set. */
function threadCount(options: InitBackendOptions, key: 'threads' | 'blasThreads', env: string): number | undefined {
  if (options[key] !== undefined) return checkWasmThreads('initBackend', key, options[key]);
  const value = process.env[env];
  if (value === undefined || value === '') return undefined;
  return checkWasmThreads('initBackend', env, /^\s*\d+\s*$/.test(value) ? Number(value) : value);
}

let nativeNoted = false;

/** After the wasm backend activates: native matMul on or off, as asked. */
function prepareNative(options: InitBackendOptions): void {
  const env = process.env.HYPERGRAD_NATIVE;
  const want = options.native ?? (env === '0' ? false : env === '1' ? true : undefined);
  if (want === false) {
    setNativeMatMul(false);
    return;
  }
  const why = setNativeMatMul(true, requestedBlasThreads(options) ?? wasmThreadsInUse() ?? 1);
  if (why === null) return;
  if (want === true) {
    throw new Error(
      `initBackend: native matMul was asked for (${options.native !== undefined ? 'native: true' : 'HYPERGRAD_NATIVE=1'}) but ${why}; ` +
        'install libopenblas-dev and run npm install, or drop the request',
    );
  }
  // As tfjs-node's absence is: one line per process, and the wasm kernels run.
  if (!nativeNoted) process.stderr.write(`hypergrad: native matMul skipped (HYPERGRAD_NATIVE=0 silences this): ${why}\n`);
  nativeNoted = true;
}

/** Before the wasm backend activates: registers the build for the thread count, or checks it. */
function prepareWasm(options: InitBackendOptions): void {
  const asked = requestedThreads(options);
  const inUse = wasmThreadsInUse();
  if (inUse === undefined) {
    registerWasmBackend(asked ?? DEFAULT_WASM_THREADS);
  } else if (asked !== undefined && asked !== inUse) {
    throw new Error(
      `initBackend: the wasm backend already runs ${inUse} thread${inUse === 1 ? '' : 's'} in this process and ` +
        `cannot change to ${asked}: the thread count is fixed when it starts, so pass threads (or set ` +
        `HYPERGRAD_WASM_THREADS) on the first initBackend call`,
    );
  }
}

function isBackendName(s: string): s is BackendName {
  return (BACKEND_ORDER as readonly string[]).includes(s);
}

/**
 * Selects and initialises the tfjs backend hypergrad computes on, installs hypergrad's gradient
 * rules in tfjs's engine ({@link registerRules}), and returns the backend's name.
 *
 * This is the one call that changes tfjs: importing hypergrad patches nothing. Installing the rules
 * replaces tfjs's stock gradients (first-order only, and silently wrong when nested for many
 * kernels) by hypergrad's verified ones, makes single tapes share saved tensors' buffers, and lets
 * shape-only kernels save nothing. Calling it again re-installs them (e.g. after importing
 * `@tensorflow/tfjs`, which registers its stock gradients over them). Without it, hypergrad's
 * gradients through tfjs kernels are refused with an error that says to call it, never computed
 * with tfjs's rules.
 *
 * Order when `name` is omitted and the environment variable `HYPERGRAD_BACKEND` is unset:
 * `tensorflow` (native, when the optional dependency `@tensorflow/tfjs-node` loads), else `webgpu`
 * when a real GPU adapter is found (optional dependencies `@tensorflow/tfjs-backend-webgpu` and
 * `webgpu`; see {@link registerWebGPU}), else `wasm` (`@tensorflow/tfjs-backend-wasm`, SIMD), else
 * `cpu` (`@tensorflow/tfjs-backend-cpu`, pure JS). Named, `webgpu` also takes a software adapter
 * (Mesa's llvmpipe), which is right but no faster than `cpu`; {@link describeBackend} says which.
 * A backend that is named (by argument or by `HYPERGRAD_BACKEND`) and cannot load is an error that
 * says why and what to install; no silent fallback.
 *
 * The wasm backend runs `threads` threads (see {@link InitBackendOptions}); pass the options alone
 * (`initBackend({threads: 2})`) or after the name.
 *
 * @param name - the backend to use, or the options; default `process.env.HYPERGRAD_BACKEND`, else
 *   the first that loads.
 * @param options - see {@link InitBackendOptions}.
 * @returns the name of the backend now in use.
 * @example
 * ```ts
 * const backend = await initBackend();      // 'wasm' on a machine without tfjs-node
 * await initBackend('cpu');                 // force the pure-JS backend
 * await initBackend('wasm', {threads: 2});  // tfjs's threaded SIMD build on 2 threads
 * ```
 */
export async function initBackend(
  name?: BackendName | string | InitBackendOptions,
  options: InitBackendOptions = {},
): Promise<BackendName> {
  if (typeof name === 'object') {
    options = { ...name, ...options };
    name = options.backend;
  }
  requestedThreads(options); // checked first, whichever backend loads
  requestedBlasThreads(options);
  const requested = name ?? (process.env.HYPERGRAD_BACKEND || undefined);
  if (requested !== undefined) {
    if (!isBackendName(requested)) {
      throw new Error(
        `initBackend: unknown backend '${requested}'; accepted: ${BACKEND_ORDER.join(', ')}` +
          (name === undefined ? ' (from the environment variable HYPERGRAD_BACKEND)' : ''),
      );
    }
    const why = requested === 'webgpu' ? await loadWebGPU(false) : loadPackage(requested);
    if (why !== null) {
      throw new Error(
        `initBackend: backend '${requested}' cannot load: ${why}. Install it with ` +
          `'npm install ${PACKAGES[requested]}@${tf.version_core}${requested === 'webgpu' ? ' webgpu' : ''}', or choose another of ${BACKEND_ORDER.join(', ')}.`,
      );
    }
    if (requested === 'wasm') prepareWasm(options);
    await activate(requested);
    if (requested === 'wasm') prepareNative(options);
    registerRules();
    return requested;
  }
  const reasons: string[] = [];
  for (const candidate of BACKEND_ORDER) {
    const why = candidate === 'webgpu' ? await loadWebGPU(true) : loadPackage(candidate);
    if (why !== null) {
      reasons.push(`${candidate}: ${why}`);
      continue;
    }
    if (candidate === 'wasm') prepareWasm(options); // a refused thread count is an error, not a fallback
    try {
      await activate(candidate);
    } catch (e) {
      reasons.push(`${candidate}: ${(e as Error).message}`);
      continue;
    }
    if (candidate === 'wasm') prepareNative(options);
    registerRules();
    return candidate;
  }
  throw new Error(`initBackend: no backend could load:\n  ${reasons.join('\n  ')}`);
}

async function activate(name: BackendName): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`initBackend: tfjs could not initialise backend '${name}'`);
  await tf.ready();
}
