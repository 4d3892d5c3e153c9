import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { roundArray, roundTo } from '../../src/index.js';
import { decode16, encode16 } from '../../src/precision/formats.js';
import { roundTree } from '../../src/precision/round.js';
import { useBackend } from '../helpers/backends.js';
import { toyBilevel } from './toy.js';

beforeAll(async () => useBackend('wasm'));

describe('mixed precision never passes off a skipped run as a success', () => {
  it('fp16 on NaN data: every update skipped fails the run, naming the problem, the loss scale and the cause (the loss)', async () => {
    const t = toyBilevel({ innerConfig: { precision: 'fp16' }, data: [tf.tensor1d([Number.NaN, 1, 2])] });
    await expect(t.engine.run()).rejects.toThrow(/problem 'inner': 6 of 6 updates in this run were skipped \(more than config.maxSkippedShare = 0.5\), at loss scale 512 \(initial 32768, minScale 1\); the last skip's cause: the loss itself was not finite/);
    t.dispose();
  });

  it('any lossScale with gradients that overflow at every scale fails the run, naming the gradients as the cause', async () => {
    // The gradient 2 (w - a x) with a = 1e6 overflows fp16 (65504) even at loss scale 1.
    const t = toyBilevel({ innerConfig: { precision: 'fp16', lossScale: { initial: 4 } } });
    t.outer.setParams(tf.tidy(() => tf.scalar(1e6)));
    await expect(t.engine.run()).rejects.toThrow(/problem 'inner': 6 of 6 updates .* at loss scale 1 \(initial 4, minScale 1\); the last skip's cause: the fp16 gradients held Inf or NaN: lower config.lossScale.initial/);
    t.dispose();
  });

  it('the share is configurable: 2 of 3 updates skipped fail at the default 0.5, pass at maxSkippedShare 0.7; stepOnly checks too', async () => {
    for (const [share, fails] of [[undefined, true], [0.7, false]] as const) {
      // The gradient 2 (w - a x) is 6 at most at w = 0, a = 1: 6 * 2^15 and 6 * 2^14 overflow fp16, 6 * 2^13 does not.
      const t = toyBilevel({ innerConfig: { precision: 'fp16', ...(share === undefined ? {} : { maxSkippedShare: share }) }, iterations: 3 });
      const run = t.engine.stepOnly('inner', 3);
      if (fails) await expect(run).rejects.toThrow(/2 of 3 updates in this run were skipped \(more than config.maxSkippedShare = 0.5\)/);
      else await run;
      expect(t.inner.updates).toBe(1);
      t.dispose();
    }
    expect(() => toyBilevel({ innerConfig: { maxSkippedShare: 2 } })).toThrow(/problem 'inner': config.maxSkippedShare must be a number in \[0, 1\], got 2/);
  });
});

describe('non-finite parameters throw, naming the problem whose update produced them', () => {
  it('a NaN hypergradient on the last update: run() fails naming the upper problem and the method through its lower', async () => {
    let calls = 0;
    const t = toyBilevel({ innerConfig: { hypergradient: { method: 'custom', fn: (ctx) => ctx.theta.map((th) => tf.mul(th as tf.Tensor, ++calls >= 2 ? Number.NaN : 1)) } } });
    await expect(t.engine.run()).rejects.toThrow(/problem 'outer': update 1 made its parameters non-finite \(1 of 1 entries are Inf or NaN\): its gradient is not finite .* hypergradients through 'inner' \(custom\)/);
    expect(calls).toBe(2); // the second outer update (the run's last) went NaN; the diagnosis reads the gradient it used (no recomputation)
    t.dispose();
  });

  it('an update that overflows from a finite gradient advises lowering that problem\'s learning rate, naming the option', async () => {
    const t = toyBilevel({ outerLr: 1e38 });
    await expect(t.engine.run()).rejects.toThrow(/problem 'outer': update 0 made its parameters non-finite .* from a finite gradient .* lower the learning rate of problem 'outer' \(the lr of its options.optimizer, e.g. sgd\(\{lr\}\); --lr outer=X on the command line\)/);
    t.dispose();
  });

  it('a loss that goes non-finite from huge (finite) upper values names what the loss reads', async () => {
    const t = toyBilevel();
    t.outer.setParams(tf.tidy(() => tf.scalar(1e30)));
    await expect(t.engine.run()).rejects.toThrow(/problem 'inner': loss is Infinity at update 0, with finite parameters .* it reads 'outer' \(largest \|value\| 1.00e\+30\)/);
    t.dispose();
  });
});

describe('neumann and fixedPoint detect a diverging series and name alpha and a bound', () => {
  it('alpha = 5 on H = 2 I (bound 1): engine.hypergradient and run() throw naming alpha and the bound, not the lower learning rate', async () => {
    for (const method of ['neumann', 'fixedPoint'] as const) {
      for (const viaRun of [false, true]) {
        const t = toyBilevel({ innerConfig: { hypergradient: { method, iterations: 20, alpha: 5 } } });
        const bound = new RegExp(`problem 'inner': the ${method} series for H\\^-1 v diverged \\(alpha = 5; \\|1 - alpha lambda\\| reached 9.00 > 1 .* H has curvature 2.00 .* alpha must be below 1.00: set config.hypergradient.alpha of problem 'inner' to at most 0.500`);
        if (viaRun) await expect(t.engine.run()).rejects.toThrow(bound);
        else {
          await t.engine.stepOnly('inner', 3);
          t.outer.setBatch(0);
          expect(() => t.engine.hypergradient('outer')).toThrow(bound);
        }
        t.dispose();
      }
    }
  });

  it('alpha below the bound converges to the cg answer, and the check leaves no tensor behind', async () => {
    const grads: number[] = [];
    for (const method of [{ method: 'neumann', iterations: 30, alpha: 0.4 }, { method: 'fixedPoint', iterations: 30, alpha: 0.4 }, { method: 'cg', iterations: 5 }] as const) {
      const t = toyBilevel({ innerConfig: { hypergradient: method } });
      await t.engine.stepOnly('inner', 60);
      t.outer.setBatch(0);
      const before = tf.memory().numTensors;
      const g = t.engine.hypergradient<tf.Tensor>('outer');
      grads.push(g.dataSync()[0] as number);
      g.dispose();
      expect(tf.memory().numTensors).toBe(before);
      t.dispose();
    }
    // d/da |a x - 2|^2 at w* = a x, a = 1: 2 x . (x - 2) = 2 (1 * -1 + 2 * 0 + 3 * 1) = 4.
    expect(grads).toBeAllClose([4, 4, 4], { rtol: 1e-4 });
  });
});

describe('unknown number formats are refused', () => {
  it("roundTo, roundTree, roundArray, encode16 and decode16 reject 'fp8' and 'FP32', naming the accepted formats", () => {
    const x = tf.scalar(1.0001);
    for (const bad of ['fp8', 'FP32', 'float16', '']) {
      expect(() => roundTo(x, bad as 'fp16')).toThrow(`roundTo: format must be one of fp32, fp16, bf16, got ${bad}`);
      expect(() => roundTree({ x }, bad as 'fp16')).toThrow(`roundTree: format must be one of fp32, fp16, bf16, got ${bad}`);
      expect(() => roundArray([1.0001], bad as 'fp16')).toThrow(`roundArray: format must be one of fp32, fp16, bf16, got ${bad}`);
      expect(() => encode16([1], bad as 'fp16')).toThrow(`encode16: format must be one of fp16, bf16, got ${bad}`);
      expect(() => decode16(new Uint16Array(1), bad as 'fp16')).toThrow(`decode16: format must be one of fp16, bf16, got ${bad}`);
    }
    expect(Array.from(roundArray([1 + 2 ** -11], 'fp16'))).toEqual([1]);
    x.dispose();
  });
});

describe('empty batches are refused', () => {
  it('from an iterable, a function and setBatch, naming the problem, the batch and the tensor', async () => {
    const empty = tf.tensor1d([]);
    const t1 = toyBilevel({ data: [tf.tensor1d([1, 2, 3]), empty] });
    await expect(t1.engine.run()).rejects.toThrow("problem 'inner': batch 1 (0-based) is empty: the batch has shape [0]; every batch needs at least one example");
    t1.dispose();
    const t2 = toyBilevel({ data: () => ({ x: tf.zeros([0, 3]) }) as unknown as tf.Tensor });
    await expect(t2.engine.run()).rejects.toThrow("problem 'inner': batch 0 (0-based) is empty: x has shape [0, 3]");
    t2.dispose();
    const t3 = toyBilevel();
    expect(() => t3.inner.setBatch([tf.ones([2]), empty] as unknown as tf.Tensor)).toThrow("problem 'inner': the batch given to setBatch is empty: [1] has shape [0]");
    t3.dispose();
    empty.dispose();
  });
});
