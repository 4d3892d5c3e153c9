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

  const built = existsSync(resolve(root, 'dist/src/index.js')) && existsSync(resolve(root, 'dist/problems/index.js'));
  const node = (script: string) => JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' }).trim().split('\n').pop() as string);

  it.skipIf(!built)('the subpath entries hypergrad/{problems,hpo,simulator,plot} load by package name; the ready-made problems run from there', () => {
    const r = node(`
      import { initBackend } from 'hypergrad';
      import { PROBLEMS, PROBLEM_TABLE, l2HpoProblem, problemByName, mnistSplits } from 'hypergrad/problems';
      import { tpe, OPTIMIZERS } from 'hypergrad/hpo';
      import { simulate, mfBranin, readRecords, compareOptimizers } from 'hypergrad/simulator';
      import { lineChartSpec, renderSpec } from 'hypergrad/plot';
      await initBackend('cpu');
      const report = await l2HpoProblem.run({ method: { method: 'cg', iterations: 3 }, outerSteps: 1, innerSteps: 5 });
      const spec = lineChartSpec([{ label: 'a', x: [1, 2], y: [2, 1] }], { xLabel: 'x', yLabel: 'y' });
      console.log(JSON.stringify({ PROBLEMS, same: problemByName('l2-hpo') === l2HpoProblem, n: PROBLEM_TABLE.length, loss: report.validationLoss,
        fns: [tpe, compareOptimizers, simulate, mfBranin, readRecords, renderSpec, mnistSplits].map((f) => typeof f), optimizers: OPTIMIZERS, mark: spec.layer.length }));
    `);
    expect(r.PROBLEMS).toEqual(['hyper-cleaning', 'l2-hpo', 'lr-wd-tuning', 'meta-weight-net', 'sinusoid', 'three-level']);
    expect(r.same).toBe(true);
    expect(r.loss).toBeGreaterThan(0);
    expect(r.fns.every((t: string) => t === 'function')).toBe(true);
    expect(r.optimizers).toContain('tpe');
  });

  it.skipIf(!built)('importing hypergrad patches nothing in tfjs; initBackend installs the rules; internals are not exported', () => {
    const r = node(`
      import * as tf from '@tensorflow/tfjs-core';
      import '@tensorflow/tfjs-backend-cpu';
      import * as hg from 'hypergrad';
      const stock = tf.getGradient('Tanh'); // tfjs-core alone registers no gradients
      const before = hg.supportedKernels().length;
      await tf.setBackend('cpu');
      let refused = '';
      try { hg.hvp((x) => tf.sum(tf.tanh(x)), tf.tensor([0.5]), tf.tensor([1])); } catch (e) { refused = e.message; }
      await hg.initBackend('cpu');
      const after = hg.supportedKernels().length;
      console.log(JSON.stringify({ before, after, stock: stock === undefined, installed: tf.getGradient('Tanh') !== undefined, refused,
        internals: ['encode16', 'decode16', 'tpeSplit', 'treeDisposeReplaced', 'parzen', 'lossScaleUpdate', 'snapshotTree', 'configKey', 'simulate', 'tpe'].filter((k) => k in hg) }));
    `);
    expect(r.before).toBe(0);
    expect(r.after).toBeGreaterThan(60);
    expect([r.stock, r.installed]).toEqual([true, true]);
    expect(r.refused).toMatch(/gradient rules are not installed \(importing hypergrad installs nothing\): call initBackend\(\) first/);
    expect(r.internals).toEqual([]);
  });
});
