import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { registerRules } from '../autodiff/registerRules.js';
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

/** The backend in use, in words: its name, and for webgpu the adapter (`'webgpu (NVIDIA H200)'`). */
export function describeBackend(name: string = tf.getBackend()): string {
  const info = webgpuInfo();
  return name === 'webgpu' && info !== undefined ? describeWebGPU(info) : name;
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
 * @param name - the backend to use; default `process.env.HYPERGRAD_BACKEND`, else the first that loads.
 * @returns the name of the backend now in use.
 * @example
 * ```ts
 * const backend = await initBackend();      // 'wasm' on a machine without tfjs-node
 * await initBackend('cpu');                 // force the pure-JS backend
 * ```
 */
export async function initBackend(name?: BackendName | string): Promise<BackendName> {
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
    await activate(requested);
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
    try {
      await activate(candidate);
      registerRules();
      return candidate;
    } catch (e) {
      reasons.push(`${candidate}: ${(e as Error).message}`);
    }
  }
  throw new Error(`initBackend: no backend could load:\n  ${reasons.join('\n  ')}`);
}

async function activate(name: BackendName): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`initBackend: tfjs could not initialise backend '${name}'`);
  await tf.ready();
}
