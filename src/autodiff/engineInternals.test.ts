import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_BACKENDS, useBackend } from '../../test/helpers/backends.js';
import { recordTape, releaseTape, tensorIdWatermark } from './engineInternals.js';
import { ruleStatus } from './registry.js';
import { valueAndGrad } from './grad.js';

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

describe.each(TEST_BACKENDS)('kernels whose rules read only shapes on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  it('save nothing under hypergrad\'s tape, and their gradients still take the inputs\' shapes', () => {
    const x = tf.tensor([[1, 2, 3], [4, 5, 6]]);
    const y = tf.tensor([10, 20, 30]);
    const { result, tape, start } = recordTape(() =>
      tf.sum(tf.reshape(tf.mean(tf.sub(tf.add(tf.tile(x, [2, 1]), y), y), 0, true), [3])));
    const nodes = tape.slice(start);
    for (const k of ['Add', 'Sub', 'Tile', 'Mean', 'Reshape', 'Sum']) {
      const node = nodes.find((n) => n.kernelName === k);
      expect(node, k).toBeDefined();
      expect(node?.saved ?? [], k).toEqual([]);
    }
    releaseTape(tape);
    result.dispose();
    const g = valueAndGrad((p: tf.Tensor) => tf.sum(tf.reshape(tf.mean(tf.sub(tf.add(tf.tile(p, [2, 1]), y), y), 0, true), [3])))(x).grads;
    // d/dx of sum over columns of the mean over the 4 tiled rows: each entry appears twice in 4 rows.
    expect(Array.from(g.dataSync())).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    tf.dispose([x, y, g]);
  });

  it('run their rules outside hypergrad\'s backward pass only with saved inputs, else say why', () => {
    const rule = tf.getGradient('Sum') as tf.GradConfig;
    expect(() => rule.gradFunc(tf.scalar(1), [], { axis: [0], keepDims: false })).toThrow(/'Sum'.*not tf\.grad/);
    // tfjs's own tape saves as before, so tf.grad over hypergrad's rules still works.
    const dx = tf.grad((x: tf.Tensor) => tf.sum(tf.add(x, x)))(tf.tensor([1, 2]));
    expect(Array.from(dx.dataSync())).toEqual([2, 2]);
    dx.dispose();
  });

  it('the tensor-id watermark lies above every tensor made before it and below every one made after', () => {
    const before = tf.tensor([1]);
    const mark = tensorIdWatermark();
    const after = tf.tensor([2]);
    expect(before.id).toBeLessThan(mark);
    expect(after.id).toBeGreaterThan(mark);
    tf.dispose([before, after]);
  });
});
