/// <reference types="@webgpu/types" />
import { existsSync, readdirSync } from 'node:fs';

/** One way of asking Dawn (npm `webgpu`) for an adapter. */
export interface AdapterRoute {
  /** Dawn's flags for `create(flags)`, e.g. `['backend=opengles']`; `[]` is the platform default (Vulkan, Metal, D3D12). */
  flags: string[];
  /** What `requestAdapter` is given. */
  options: GPURequestAdapterOptions;
  /** Environment variables set (when unset) before the route is tried. */
  env?: Record<string, string>;
  /** A short name for messages: 'default', 'opengles'. */
  label: string;
}

/** The adapter {@link findAdapter} chose, and what it is. */
export interface AdapterChoice {
  gpu: GPU;
  adapter: GPUAdapter;
  /** The route that found it. */
  route: AdapterRoute;
  /** The adapter's name: its device, description or vendor, whichever Dawn reports first. */
  name: string;
  /** A driver description, e.g. 'OpenGL version OpenGL ES 3.2 Mesa 22.3.6'. */
  description: string;
  /** True for CPU rasterisers (llvmpipe, lavapipe, SwiftShader, WARP): correct, not fast. */
  software: boolean;
}

/**
 * The routes tried in order: the platform's native API (a real GPU through Vulkan, Metal or D3D12),
 * then Dawn's OpenGL ES backend in compatibility mode on a surfaceless EGL display. The second is
 * what works on a machine without a GPU: Mesa's llvmpipe behind OpenGL ES. (Debian 12's Vulkan
 * rasteriser, lavapipe, is refused by Dawn.)
 */
export const ADAPTER_ROUTES: readonly AdapterRoute[] = [
  { label: 'default', flags: [], options: { powerPreference: 'high-performance' } },
  {
    label: 'opengles',
    flags: ['backend=opengles'],
    options: { featureLevel: 'compatibility', powerPreference: 'high-performance' },
    env: { EGL_PLATFORM: 'surfaceless' },
  },
];

const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|microsoft basic render|\bwarp\b/i;

/** Whether `info` names a CPU rasteriser rather than a GPU. */
export function isSoftwareAdapter(info: GPUAdapterInfo): boolean {
  const text = [info.vendor, info.architecture, info.device, info.description].join(' ');
  return SOFTWARE.test(text) || (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
}

/**
 * Whether this machine shows a GPU device to user space: on Linux a `/dev/nvidia*` node, a DRM
 * render node or WSL's `/dev/dxg`; elsewhere (macOS, Windows) assumed true. Lets the automatic
 * backend choice skip loading Dawn, and its warnings, on machines that have no GPU at all.
 */
export function gpuDevicePresent(): boolean {
  if (process.platform !== 'linux') return true;
  if (existsSync('/dev/dxg')) return true;
  const list = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
  return list('/dev').some((f) => /^nvidia\d/.test(f)) || list('/dev/dri').some((f) => f.startsWith('renderD'));
}

type DawnModule = { create: (flags: string[]) => GPU; globals: object };

/** Loads npm `webgpu` (Dawn) and installs its WebGPU globals (`GPUBufferUsage`, ...), which tfjs reads. */
export async function loadDawn(): Promise<DawnModule> {
  const dawn = (await import('webgpu')) as unknown as DawnModule;
  Object.assign(globalThis, dawn.globals);
  return dawn;
}

/**
 * Finds an adapter: the first real GPU along {@link ADAPTER_ROUTES}, else the first software one.
 * Throws, listing what each route returned, when no route gives an adapter.
 *
 * @param dawn - the loaded `webgpu` module.
 * @param routes - the routes to try, in order.
 */
export async function findAdapter(dawn: DawnModule, routes: readonly AdapterRoute[] = ADAPTER_ROUTES): Promise<AdapterChoice> {
  const tried: string[] = [];
  let fallback: AdapterChoice | undefined;
  for (const route of routes) {
    for (const [k, v] of Object.entries(route.env ?? {})) process.env[k] ??= v;
    let adapter: GPUAdapter | null = null;
    let gpu: GPU;
    try {
      gpu = dawn.create(route.flags);
      adapter = await gpu.requestAdapter(route.options);
    } catch (e) {
      tried.push(`${route.label}: ${(e as Error).message}`);
      continue;
    }
    if (adapter === null) {
      tried.push(`${route.label}: no adapter`);
      continue;
    }
    const info = adapter.info;
    const choice: AdapterChoice = {
      gpu,
      adapter,
      route,
      name: info.device || info.description || info.vendor || 'unnamed adapter',
      description: info.description,
      software: isSoftwareAdapter(info),
    };
    if (!choice.software) return choice;
    tried.push(`${route.label}: ${choice.name} (software)`);
    fallback ??= choice;
  }
  if (fallback !== undefined) return fallback;
  throw new Error(`no WebGPU adapter: ${tried.join('; ')}`);
}
