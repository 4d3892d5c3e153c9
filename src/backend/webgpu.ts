/// <reference types="@webgpu/types" />
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { createRequire } from 'node:module';
import { ADAPTER_ROUTES, type AdapterChoice, findAdapter, gpuDevicePresent, loadDawn } from './webgpuAdapter.js';

/** What {@link registerWebGPU} set up: the adapter, the device and how they were found. */
export interface WebGPUInfo {
  /** The adapter's name, e.g. 'NVIDIA H200' or 'llvmpipe-llvm-15-0-6-256-bits-'. */
  adapter: string;
  /** The driver, e.g. 'OpenGL version OpenGL ES 3.2 Mesa 22.3.6'. */
  description: string;
  /** True for a CPU rasteriser such as llvmpipe: results are right, speed is a CPU's. */
  software: boolean;
  /** The Dawn route: 'default' (Vulkan, Metal, D3D12) or 'opengles' (compatibility mode). */
  route: string;
  /** The limits requested for the device (all the adapter reports). */
  limits: Record<string, number>;
}

/** Options of {@link registerWebGPU}. */
export interface WebGPUOptions {
  /** Limits to leave at WebGPU's defaults (tests use it to show what a missing limit breaks); default none. */
  omitLimits?: readonly string[];
  /** Only a real GPU will do: throw when the best adapter is a software one; default false. */
  requireHardware?: boolean;
}

const require = createRequire(import.meta.url);
let current: WebGPUInfo | undefined;

/** The adapter of the registered webgpu backend, or undefined before {@link registerWebGPU}. */
export function webgpuInfo(): WebGPUInfo | undefined {
  return current;
}

/** `'webgpu (llvmpipe-..., software: for correctness, not speed)'` or `'webgpu (NVIDIA H200)'`. */
export function describeWebGPU(info: WebGPUInfo): string {
  return `webgpu (${info.adapter}${info.software ? ', software: for correctness, not speed' : ''})`;
}

/** Puts Dawn's `GPU` at `navigator.gpu`, where tfjs-backend-webgpu looks for WebGPU (Node 20 has no `navigator`). */
function exposeGpu(gpu: GPU): void {
  const g = globalThis as { navigator?: object };
  if (g.navigator === undefined) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  Object.defineProperty(g.navigator as object, 'gpu', { value: gpu, configurable: true });
}

/** Every limit the adapter reports, as the device's required limits, less `omit`. */
function allLimits(adapter: GPUAdapter, omit: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key in adapter.limits) {
    const value = (adapter.limits as unknown as Record<string, unknown>)[key];
    if (typeof value === 'number' && !omit.includes(key)) out[key] = value;
  }
  return out;
}

/**
 * A WebGPU backend that never hands back a result computed after a device error. Dawn reports
 * validation errors (a bind group over a limit, a bad shader) as `uncapturederror` events and the
 * kernel's output is then garbage; tfjs does not listen. This subclass records them and throws on
 * the next kernel launched and on the next read, so no wrong value reaches the host. In Node it also
 * turns `dataSync()` (which needs OffscreenCanvas, absent there) into an error that says what to use.
 */
function checkedBackend(Base: typeof WebGPUBackend): new (device: GPUDevice, info: GPUAdapterInfo) => WebGPUBackend {
  return class CheckedWebGPUBackend extends Base {
    private readonly deviceErrors: string[] = [];

    constructor(device: GPUDevice, info: GPUAdapterInfo) {
      super(device, info);
      device.addEventListener('uncapturederror', (event) => {
        this.deviceErrors.push((event as GPUUncapturedErrorEvent).error.message.trim());
      });
      void device.lost.then((lost) => {
        if (lost.reason !== 'destroyed') this.deviceErrors.push(`device lost: ${lost.message}`);
      });
    }

    private throwIfFailed(): void {
      if (this.deviceErrors.length === 0) return;
      const first = this.deviceErrors[0] as string;
      const more = this.deviceErrors.length - 1;
      this.deviceErrors.length = 0;
      throw new Error(
        `webgpu: the device reported an error, so results computed since are invalid: ${first}` +
          (more > 0 ? ` (and ${more} more)` : ''),
      );
    }

    override runWebGPUProgram(...args: Parameters<WebGPUBackend['runWebGPUProgram']>): tf.TensorInfo {
      this.throwIfFailed();
      return super.runWebGPUProgram(...args);
    }

    override async read(dataId: object): Promise<tf.backend_util.BackendValues> {
      const values = await super.read(dataId);
      // Errors raised by the commands this read waited for have been delivered by now.
      this.throwIfFailed();
      return values;
    }

    override readSync(dataId: object): tf.backend_util.BackendValues {
      this.throwIfFailed();
      if (typeof OffscreenCanvas === 'undefined') {
        const { values } = this.tensorMap.get(dataId) as { values?: tf.backend_util.BackendValues };
        if (values != null) return values;
        throw new Error(
          'webgpu: a synchronous read (dataSync, arraySync, bufferSync or a scalar read) cannot run here: ' +
            'tfjs reads the GPU synchronously through OffscreenCanvas, which Node lacks. Use `await tensor.data()`.',
        );
      }
      return super.readSync(dataId);
    }
  };
}

/**
 * Creates a WebGPU device and registers it with tfjs-core as the backend `'webgpu'`.
 *
 * In Node, it loads npm `webgpu` (Dawn) and looks for an adapter along two routes: a
 * real GPU through the platform API first, else Mesa's llvmpipe through Dawn's OpenGL ES backend
 * (compatibility mode, `EGL_PLATFORM=surfaceless`). In a browser it uses `navigator.gpu`. The device
 * is requested with every limit the adapter reports: WebGPU's defaults are lower, and some tfjs
 * kernels need more without saying so (`tf.addN` of 8 inputs binds 9 storage buffers and is silently
 * wrong under the default `maxStorageBuffersPerShaderStage` of 8). Device errors become thrown errors
 * (see the backend class above).
 *
 * @returns what was found; {@link describeWebGPU} words it.
 * @example
 * ```ts
 * const info = await registerWebGPU();
 * await tf.setBackend('webgpu');
 * console.log(describeWebGPU(info));
 * ```
 */
export async function registerWebGPU(options: WebGPUOptions = {}): Promise<WebGPUInfo> {
  const { WebGPUBackend: Base } = require('@tensorflow/tfjs-backend-webgpu') as typeof import('@tensorflow/tfjs-backend-webgpu');
  const inNode = typeof process !== 'undefined' && process.versions?.node !== undefined;
  const browserGpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  let choice: Pick<AdapterChoice, 'adapter' | 'name' | 'description' | 'software' | 'route'>;
  if (!inNode) {
    if (browserGpu === undefined) throw new Error('this browser has no navigator.gpu');
    const adapter = await browserGpu.requestAdapter({ powerPreference: 'high-performance' });
    if (adapter === null) throw new Error('navigator.gpu gave no adapter');
    const info = adapter.info;
    choice = { adapter, name: info.device || info.vendor, description: info.description, software: false, route: { label: 'browser', flags: [], options: {} } };
  } else {
    const routes = gpuDevicePresent() ? ADAPTER_ROUTES : ADAPTER_ROUTES.filter((r) => r.label !== 'default');
    const found = await findAdapter(await loadDawn(), routes);
    exposeGpu(found.gpu);
    choice = found;
  }
  if (options.requireHardware && choice.software) {
    throw new Error(`webgpu: only a software adapter was found (${choice.name})`);
  }
  const limits = allLimits(choice.adapter, options.omitLimits ?? []);
  const features = (['timestamp-query'] as GPUFeatureName[]).filter((f) => choice.adapter.features.has(f));
  const device = await choice.adapter.requestDevice({ requiredLimits: limits, requiredFeatures: features });
  const Checked = checkedBackend(Base);
  const backend = new Checked(device, choice.adapter.info);
  if (tf.findBackend('webgpu') !== null || tf.findBackendFactory('webgpu') !== null) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => backend, 3);
  current = { adapter: choice.name, description: choice.description, software: choice.software, route: choice.route.label, limits };
  return current;
}

/**
 * Whether the automatic backend choice should try webgpu: a GPU device node exists (or the
 * platform is not Linux) and the two optional packages resolve. A cheap check; the adapter itself is
 * probed by {@link registerWebGPU} with `requireHardware`.
 */
export function webgpuWorthProbing(): boolean {
  if (!gpuDevicePresent()) return false;
  try {
    require.resolve('@tensorflow/tfjs-backend-webgpu');
    require.resolve('webgpu');
    return true;
  } catch {
    return false;
  }
}
