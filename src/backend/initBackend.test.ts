import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { initBackend } from './initBackend.js';

/** Whether tfjs-node loads (installed with its native binding; its install script, which downloads, is denied by default). */
const tfjsNodeInstalled = spawnSync(process.execPath, ['-e', "require('@tensorflow/tfjs-node')"], { stdio: 'ignore' }).status === 0;

describe('initBackend', () => {
  afterEach(() => {
    delete process.env.HYPERGRAD_BACKEND;
  });

  it('loads cpu and wasm by name and reports the backend in use', async () => {
    expect(await initBackend('cpu')).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(await initBackend('wasm')).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('without a name: tensorflow if tfjs-node loads, else wasm', async () => {
    expect(await initBackend()).toBe(tfjsNodeInstalled ? 'tensorflow' : 'wasm');
  });

  it('honours HYPERGRAD_BACKEND', async () => {
    process.env.HYPERGRAD_BACKEND = 'cpu';
    expect(await initBackend()).toBe('cpu');
    process.env.HYPERGRAD_BACKEND = 'gpu';
    await expect(initBackend()).rejects.toThrow(/unknown backend 'gpu'; accepted: tensorflow, webgpu, wasm, cpu \(from the environment variable HYPERGRAD_BACKEND\)/);
  });

  it('a named backend that cannot load is an error saying what to install', async () => {
    await expect(initBackend('nope')).rejects.toThrow(/unknown backend 'nope'/);
    if (!tfjsNodeInstalled) {
      await expect(initBackend('tensorflow')).rejects.toThrow(/cannot load.*npm install @tensorflow\/tfjs-node@4\.22\.0/);
    }
  });
});
