import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_BACKENDS, useBackend } from '../../test/helpers/backends.js';
import { recordTape, releaseTape } from './engineInternals.js';
import { ruleStatus } from './registry.js';

describe.each(TEST_BACKENDS)('saved tensors on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  it('a kernel\'s saved inputs share their buffers (no copy) and stay linked to them on the tape', () => {
    const a = tf.tensor([1, 2, 3]);
    const b = tf.tensor([4, 5, 6]);
    const { result, tape, start } = recordTape(() => tf.mul(a, b));
    const mul = tape.slice(start).find((n) => n.kernelName === 'Multiply');
    expect(mul?.saved?.map((t) => t.dataId)).toEqual([a.dataId, b.dataId]);
    expect(mul?.saved?.every((t, i) => t !== [a, b][i])).toBe(true); // new tensors, same buffers
    // Each saved tensor has a clone node from its original, which nested gradients follow.
    const links = tape.slice(start).filter((n) => ruleStatus(n) === 'clone');
    expect(links.map((n) => [n.inputs.x?.id, n.outputs[0]?.dataId])).toEqual([[a.id, a.dataId], [b.id, b.dataId]]);
    // The buffers outlive the originals while saved.
    const saved = mul?.saved as tf.Tensor[];
    a.dispose();
    b.dispose();
    expect(Array.from(saved[0]?.dataSync() ?? [])).toEqual([1, 2, 3]);
    releaseTape(tape);
    result.dispose();
    expect(saved.every((t) => t.isDisposed)).toBe(true);
  });
});
