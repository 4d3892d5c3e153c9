import { describe, expect, it } from 'vitest';
import { ADAPTER_ROUTES, isSoftwareAdapter } from './webgpuAdapter.js';

const info = (device: string, description = '', extra: object = {}) =>
  ({ vendor: '', architecture: '', device, description, ...extra }) as unknown as GPUAdapterInfo;

describe('webgpu adapter choice', () => {
  it('tells CPU rasterisers from GPUs', () => {
    expect(isSoftwareAdapter(info('llvmpipe-llvm-15-0-6-256-bits-', 'OpenGL version OpenGL ES 3.2 Mesa 22.3.6'))).toBe(true);
    expect(isSoftwareAdapter(info('', 'SwiftShader Device (Subzero)'))).toBe(true);
    expect(isSoftwareAdapter(info('NVIDIA H200', 'NVIDIA: 550.54'))).toBe(false);
    expect(isSoftwareAdapter(info('Apple M2', ''))).toBe(false);
    expect(isSoftwareAdapter(info('some gpu', '', { isFallbackAdapter: true }))).toBe(true);
  });

  it('tries the native API first, then OpenGL ES in compatibility mode on a surfaceless display', () => {
    expect(ADAPTER_ROUTES.map((r) => r.label)).toEqual(['default', 'opengles']);
    expect(ADAPTER_ROUTES[1]?.options.featureLevel).toBe('compatibility');
    expect(ADAPTER_ROUTES[1]?.env?.EGL_PLATFORM).toBe('surfaceless');
  });
});
