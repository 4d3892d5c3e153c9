import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../helpers/backends.js';
import { toyBilevel } from '../reliability/toy.js';

/**
 * A lower problem's updates are committed without a host read; their losses and finiteness counts
 * are read with the top-level update. A non-finite one still fails the run naming the problem, the
 * update and the cause, from the counts kept with it.
 */
describe('unread losses: a lower update found non-finite when read later', () => {
  it('an inner update that overflows from a finite gradient names update 0 and the inner learning rate', async () => {
    await useBackend('wasm');
    const before = tf.memory().numTensors;
    const t = toyBilevel({ innerLr: 1e38 });
    await expect(t.engine.run()).rejects.toThrow(/problem 'inner': update 0 made its parameters non-finite \(entries are Inf or NaN\), from a finite gradient: the step overflowed; lower the learning rate of problem 'inner'/);
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a NaN gradient at inner update 2 names update 2 and the data, not the later updates or the outer problem', async () => {
    await useBackend('wasm');
    const before = tf.memory().numTensors;
    let calls = 0;
    const t = toyBilevel({ gradCallback: (g) => (calls++ === 2 ? tf.mul(g, Number.NaN) : g) });
    await expect(t.engine.run()).rejects.toThrow(/problem 'inner': update 2 made its parameters non-finite \(entries are Inf or NaN\): its gradient on this batch is not finite: check the data/);
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('with readEvery 1 every inner update is read at once: the same NaN fails at update 2 with entry counts, from the gradient the update used (after gradCallback)', async () => {
    await useBackend('wasm');
    const before = tf.memory().numTensors;
    let calls = 0;
    const t = toyBilevel({ readEvery: 1, gradCallback: (g) => (calls++ === 2 ? tf.mul(g, Number.NaN) : g) });
    await expect(t.engine.run()).rejects.toThrow(/problem 'inner': update 2 made its parameters non-finite \(3 of 3 entries are Inf or NaN\): its gradient on this batch is not finite \(3 entries\): check the data/);
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('readEvery only changes when numbers are read: losses and events are the same for 1, 2, 8, 256 and the default (read as made, on wasm)', async () => {
    await useBackend('wasm');
    const runWith = async (readEvery?: number) => {
      const t = toyBilevel({ iterations: 9, ...(readEvery !== undefined ? { readEvery } : {}), innerConfig: { unrollSteps: 9 } });
      const seen: string[] = [];
      t.engine.on('step', (e) => seen.push(`${e.problem}:${e.step}:${e.loss}`));
      t.engine.on('iteration', (e) => seen.push(`iteration ${e.iteration}`));
      await t.engine.run();
      const a = (await t.outer.params.data())[0];
      t.dispose();
      return { seen, a };
    };
    const reference = await runWith(256);
    expect(reference.seen.length).toBe(9 + 9 + 1);
    for (const r of [1, 2, 8, undefined]) expect(await runWith(r)).toEqual(reference);
  });

  it('refuses a readEvery that is not a positive integer, naming it', async () => {
    await useBackend('wasm');
    for (const bad of [0, -1, 2.5, Number.NaN]) expect(() => toyBilevel({ readEvery: bad })).toThrow(/config\.readEvery/);
  });

  it('step events come late but in order, interleaved with the iteration events as they happened, with the exact losses', async () => {
    await useBackend('wasm');
    const t = toyBilevel({ iterations: 6 });
    const seen: string[] = [];
    t.engine.on('step', (e) => seen.push(`${e.problem}:${e.step}:${e.loss.toPrecision(6)}`));
    t.engine.on('iteration', (e) => seen.push(`iteration ${e.iteration}`));
    await t.engine.run();
    // The inner loss of update k restarts at w = 0 after each outer step: |a x|^2 (1 - 2 lr)^(2k).
    const a0 = 1;
    const innerLoss = (k: number, a: number) => 14 * a * a * 0.8 ** (2 * k);
    expect(seen.slice(0, 4)).toEqual([`inner:1:${innerLoss(0, a0).toPrecision(6)}`, 'iteration 1', `inner:2:${innerLoss(1, a0).toPrecision(6)}`, 'iteration 2']);
    expect(seen.filter((s) => s.startsWith('outer')).length).toBe(2);
    expect(seen.filter((s) => s.startsWith('iteration')).length).toBe(6);
    t.dispose();
  });
});
