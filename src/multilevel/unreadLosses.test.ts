import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../backend/initBackend.js';
import { UnreadLosses } from './unreadLosses.js';

describe('UnreadLosses', () => {
  for (const readAtPush of [false, true]) {
    it(`${readAtPush ? 'reads at push' : 'keeps tensors'}: settles in order at read(), with every value and metric, and frees everything`, async () => {
      await initBackend('wasm');
      const before = tf.memory().numTensors;
      const q = new UnreadLosses(4, readAtPush);
      const seen: string[] = [];
      for (let k = 0; k < 3; k++) {
        q.push({
          values: [tf.scalar(k), tf.tensor1d([10 * k, 10 * k + 1])], metrics: { m: tf.scalar(-k), n: 7 },
          settle: (v, m) => seen.push(`${k}:${v.join(',')}:${m.m},${m.n}`),
        });
        q.push({ values: null, settle: () => seen.push(`event ${k}`) });
      }
      // Read at push: the tensors are gone already, the settles are not run yet.
      expect(tf.memory().numTensors - before).toBe(readAtPush ? 0 : 9);
      expect(seen).toEqual([]);
      expect(q.full).toBe(true);
      await q.read();
      expect(seen).toEqual(['0:0,0,1:0,7', 'event 0', '1:1,10,11:-1,7', 'event 1', '2:2,20,21:-2,7', 'event 2']);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('a settle that throws drops the rest (freed) and propagates', async () => {
    await initBackend('wasm');
    const before = tf.memory().numTensors;
    for (const readAtPush of [false, true]) {
      const q = new UnreadLosses(256, readAtPush);
      const seen: number[] = [];
      for (let k = 0; k < 3; k++) q.push({ values: [tf.scalar(k)], settle: ([v]) => { if (v === 1) throw new Error('bad 1'); seen.push(v as number); } });
      await expect(q.read()).rejects.toThrow('bad 1');
      expect(seen).toEqual([0]);
      q.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});
