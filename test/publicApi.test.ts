import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

describe("the compiled package, imported as 'hypergrad' from plain Node", () => {
  it.skipIf(!existsSync(resolve(root, 'dist/src/index.js')))('computes an hvp through the exports map (no loader)', () => {
    const script = `
      import * as tf from '@tensorflow/tfjs-core';
      import { initBackend, hvp, grad, supportedKernels } from 'hypergrad';
      const backend = await initBackend();
      const h = hvp((x) => tf.sum(tf.tanh(x)), tf.tensor([0.5]), tf.tensor([1]));
      const g = grad((x) => tf.sum(tf.square(x)))(tf.tensor([3]));
      console.log(JSON.stringify({ backend, h: h.dataSync()[0], g: g.dataSync()[0], n: supportedKernels().length }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop() as string);
    const t = Math.tanh(0.5);
    expect(r.h).toBeCloseTo(-2 * t * (1 - t * t), 5);
    expect(r.g).toBeCloseTo(6, 5);
    expect(r.n).toBeGreaterThan(60);
  });
});
