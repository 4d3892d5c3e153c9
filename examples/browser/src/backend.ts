/**
 * The page's tfjs backend: webgpu where the browser has it, else webgl, else wasm (SIMD), each
 * loaded only when tried. The wasm binaries are served by Vite from the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

/** The backends the page tries, in order; `?backend=wasm` in the address forces one. */
export const PAGE_BACKENDS = ['webgpu', 'webgl', 'wasm'] as const;

async function load(name: (typeof PAGE_BACKENDS)[number]): Promise<void> {
  if (name === 'webgpu') {
    if (!('gpu' in navigator) || (await (navigator as Navigator & { gpu: GPU }).gpu.requestAdapter()) === null) throw new Error('no WebGPU adapter');
    await import('@tensorflow/tfjs-backend-webgpu');
  } else if (name === 'webgl') {
    if (document.createElement('canvas').getContext('webgl2') === null) throw new Error('no WebGL 2');
    await import('@tensorflow/tfjs-backend-webgl');
  } else {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded });
  }
  if (!(await tf.setBackend(name))) throw new Error(`tfjs could not start ${name}`);
  await tf.ready();
}

/** Starts the first backend that works and returns its name, with why each earlier one did not. */
export async function chooseBackend(only?: string): Promise<{ name: string; skipped: string[] }> {
  const skipped: string[] = [];
  for (const name of PAGE_BACKENDS) {
    if (only && only !== name) continue;
    try {
      await load(name);
      return { name, skipped };
    } catch (e) {
      skipped.push(`${name}: ${(e as Error).message}`);
    }
  }
  throw new Error(`no backend: ${skipped.join('; ')}`);
}
