import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { describeBackend, initBackend, registerWebGPU, webgpuInfo } from '../../src/index.js';
import { webgpuUnavailable } from '../helpers/backends.js';

const why = await webgpuUnavailable();
/** The limits that, left at WebGPU's defaults, cap a shader stage at 8 storage buffers (compatibility mode lifts the first with the other two). */
const STORAGE_LIMITS = ['maxStorageBuffersPerShaderStage', 'maxStorageBuffersInFragmentStage', 'maxStorageBuffersInVertexStage'];

/** `tf.addN` of `n` constant tensors 1..n, read asynchronously. */
async function addNOf(n: number): Promise<Float32Array> {
  const xs = Array.from({ length: n }, (_v, i) => tf.fill([6], i + 1));
  const s = tf.addN(xs);
  try {
    return (await s.data()) as Float32Array;
  } finally {
    tf.dispose([...xs, s]);
  }
}

describe.skipIf(why !== null)('the webgpu backend', () => {
  afterAll(async () => {
    delete process.env.HYPERGRAD_BACKEND;
    await registerWebGPU();
  });

  it('initBackend and HYPERGRAD_BACKEND select it, and describeBackend names the adapter', async () => {
    process.env.HYPERGRAD_BACKEND = 'webgpu';
    expect(await initBackend()).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    const info = webgpuInfo();
    expect(info).toBeDefined();
    expect(describeBackend()).toContain(info?.adapter);
    if (info?.software) expect(describeBackend()).toMatch(/software: for correctness, not speed/);
  });

  it('the device is requested with every limit the adapter reports', () => {
    const limits = webgpuInfo()?.limits ?? {};
    for (const key of ['maxStorageBuffersPerShaderStage', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxBufferSize']) {
      expect(limits[key], key).toBeGreaterThan(0);
    }
    expect(limits.maxStorageBuffersPerShaderStage).toBeGreaterThanOrEqual(9);
  });

  it('tf.addN of 8 and 12 inputs is right (it binds n + 1 storage buffers)', async () => {
    await initBackend('webgpu');
    expect(Array.from(await addNOf(8))).toEqual(Array(6).fill(36));
    expect(Array.from(await addNOf(12))).toEqual(Array(6).fill(78));
  });

  it('without the storage-buffer limits, addN of 8 inputs is a thrown device error, not a wrong sum', async () => {
    await registerWebGPU({ omitLimits: STORAGE_LIMITS });
    await tf.setBackend('webgpu');
    await expect(addNOf(8)).rejects.toThrow(/device reported an error.*storage buffers \(9\)/s);
    // The backend recovers: the error is reported once, later kernels run.
    expect(Array.from(await addNOf(4))).toEqual(Array(6).fill(10));
    await registerWebGPU();
    await tf.setBackend('webgpu');
  });

  it('a synchronous read in Node is an error that says to read asynchronously', async () => {
    await initBackend('webgpu');
    // Large enough that tfjs does not forward it to its CPU kernels.
    const x = tf.add(tf.ones([1000]), 1);
    expect(() => x.dataSync()).toThrow(/synchronous read.*await tensor\.data\(\)/);
    expect(Array.from(await x.data())).toEqual(Array(1000).fill(2));
    x.dispose();
  });
});
