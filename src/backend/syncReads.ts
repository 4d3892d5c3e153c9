import * as tf from '@tensorflow/tfjs-core';

/** Backends whose tensors live in host memory (or tfjs-node's), where a small synchronous read costs no pipeline stall. */
const HOST_BACKENDS: ReadonlySet<string> = new Set(['cpu', 'wasm', 'tensorflow']);

/**
 * Whether a synchronous read (`dataSync`, a scalar read) of a small tensor is cheap on `backend`
 * (default: the active one): true on cpu, wasm and tensorflow (tfjs-node), false on webgpu and
 * webgl, where each one waits for the device to drain (and on webgpu in Node is an error). Loops
 * that stop early on a tested value read it every few iterations where this holds, and read
 * nothing otherwise (running their stated iterations with converged updates masked to zero).
 *
 * @example
 * ```ts
 * if (syncReadsCheap() && k % 5 === 0 && done.dataSync()[0] === 1) break;
 * ```
 */
export function syncReadsCheap(backend: string = tf.getBackend()): boolean {
  return HOST_BACKENDS.has(backend);
}
