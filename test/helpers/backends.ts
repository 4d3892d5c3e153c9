import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_ORDER, type BackendName, initBackend } from '../../src/backend/initBackend.js';
import { checkOneOf } from '../../src/util/validate.js';
import '../../src/index.js';

/**
 * The backends every numerical test runs on: `cpu` and `wasm`, or the comma-separated list in
 * `HYPERGRAD_TEST_BACKENDS` (e.g. `wasm` alone for a quick run). `webgpu` is tested by its own suite
 * (`npm run test:webgpu`), which reads asynchronously: tfjs cannot read a GPU synchronously in Node.
 */
export const TEST_BACKENDS: BackendName[] = (process.env.HYPERGRAD_TEST_BACKENDS ?? 'cpu,wasm')
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '')
  .map((s) => checkOneOf('HYPERGRAD_TEST_BACKENDS', 'entry', s, BACKEND_ORDER) as BackendName);

/** Switches to `name` (idempotent). */
export async function useBackend(name: BackendName): Promise<void> {
  await initBackend(name);
}

/**
 * Registers the webgpu backend (llvmpipe on a machine without a GPU) and returns null, or returns
 * why it cannot: the suite then skips, saying so once on stderr.
 */
export async function webgpuUnavailable(): Promise<string | null> {
  try {
    await initBackend('webgpu');
    await initBackend('wasm');
    return null;
  } catch (e) {
    const why = (e as Error).message;
    process.stderr.write(`[webgpu tests skipped] ${why}\n`);
    return why;
  }
}

/** The values of every tensor in `xs`, read asynchronously (the only read webgpu allows in Node), as float64. */
export async function readAll(xs: readonly tf.Tensor[]): Promise<Float64Array[]> {
  return Promise.all(xs.map(async (x) => Float64Array.from(await x.data())));
}
