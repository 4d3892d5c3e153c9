import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { initBackend } from './initBackend.js';
import { wasmThreadsInUse } from './wasmThreads.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const built = resolve(root, 'dist/src/backend/initBackend.js');

/**
 * A child process on the wasm backend with `threads` threads: a 2-layer ReLU network's output, its
 * gradient (hypergrad's rules) and large products with each transpose, as plain numbers.
 */
function runChild(threads: number): { threads: number; describe: string; values: number[]; leaked: number } {
  const script = `
    import * as tf from '@tensorflow/tfjs-core';
    import { initBackend, describeBackend } from ${JSON.stringify(built)};
    import { wasmThreadsInUse } from ${JSON.stringify(resolve(root, 'dist/src/backend/wasmThreads.js'))};
    await initBackend('wasm', { threads: ${threads}, native: false });
    const before = tf.memory().numTensors;
    const values = tf.tidy(() => {
      const x = tf.randomNormal([96, 200], 0, 1, 'float32', 1);
      const w1 = tf.randomNormal([200, 160], 0, 0.1, 'float32', 2);
      const w2 = tf.randomNormal([160, 10], 0, 0.1, 'float32', 3);
      const f = (w) => tf.sum(tf.square(tf.matMul(tf.relu(tf.matMul(x, w)), w2)));
      const g = tf.grad(f)(w1);
      const big = tf.matMul(tf.randomNormal([300, 256], 0, 1, 'float32', 4), tf.randomNormal([320, 256], 0, 1, 'float32', 5), false, true);
      const bigT = tf.matMul(tf.randomNormal([256, 300], 0, 1, 'float32', 6), tf.randomNormal([256, 320], 0, 1, 'float32', 7), true, false);
      return [...f(w1).dataSync(), ...tf.sum(g, 0).dataSync(), ...tf.sum(big, 1).dataSync(), ...tf.sum(bigT, 0).dataSync()];
    });
    console.log(JSON.stringify({ threads: wasmThreadsInUse(), describe: describeBackend(), values, leaked: tf.memory().numTensors - before }));
  `;
  const env = { ...process.env };
  delete env.HYPERGRAD_WASM_THREADS;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(out.trim().split('\n').at(-1) ?? '');
}

describe('the wasm backend on threads', () => {
  const envThreads = process.env.HYPERGRAD_WASM_THREADS; // CI runs the suite with 2
  afterEach(() => {
    if (envThreads === undefined) delete process.env.HYPERGRAD_WASM_THREADS;
    else process.env.HYPERGRAD_WASM_THREADS = envThreads;
  });

  it.skipIf(!existsSync(built))('2 threads start in Node, are in use, agree with 1 thread, and the process exits', () => {
    const one = runChild(1);
    const two = runChild(2);
    expect(one.threads).toBe(1);
    expect(one.describe).toBe('wasm');
    expect(two.threads).toBe(2);
    expect(two.describe).toBe('wasm (2 threads)');
    expect(two.leaked).toBe(0);
    expect(two.values.length).toBe(one.values.length);
    // Threads split XNNPACK's work by rows and columns, so sums may round differently: float32 noise.
    two.values.forEach((v, i) => expect(Math.abs(v - one.values[i]!)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(one.values[i]!))));
  });

  it('refuses a thread count outside [1, 8], naming the argument and the value', async () => {
    await expect(initBackend('wasm', { threads: 0 })).rejects.toThrow('initBackend: threads must be an integer in [1, 8], got 0');
    await expect(initBackend({ backend: 'wasm', threads: 1.5 })).rejects.toThrow('threads must be an integer in [1, 8], got 1.5');
    await expect(initBackend('cpu', { threads: 9 })).rejects.toThrow('got 9');
    process.env.HYPERGRAD_WASM_THREADS = 'two';
    await expect(initBackend('wasm')).rejects.toThrow("initBackend: HYPERGRAD_WASM_THREADS must be an integer in [1, 8], got 'two'");
  });

  it('keeps the running count without a request, and refuses to change it', async () => {
    await initBackend('wasm');
    const inUse = wasmThreadsInUse()!;
    expect(inUse).toBeGreaterThanOrEqual(1);
    await initBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const other = inUse === 1 ? 2 : 1;
    await expect(initBackend('wasm', { threads: other })).rejects.toThrow(
      new RegExp(`already runs ${inUse} threads? in this process and cannot change to ${other}`),
    );
    await initBackend('wasm', { threads: inUse });
  });
});
