import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_BACKENDS, useBackend } from '../../test/helpers/backends.js';
import { gradients, vjpOf } from './tape.js';

describe.each(TEST_BACKENDS)('vjpOf on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  it('seeds each output with its cotangent: equals the gradient of sum_j <c_j, y_j>', () => {
    tf.tidy(() => {
      const x = tf.tensor([0.5, -1, 2]);
      const z = tf.tensor([[1, 2], [3, 4]]);
      // Outputs: a function of x, one of both, x itself (passed through), the first output again
      // (its cotangents add) and an integer counter (no cotangent).
      const f = () => {
        const y0 = tf.sin(x);
        return [y0, tf.matMul(z, tf.reshape(tf.slice(x, 0, 2), [2, 1])), x, y0, tf.scalar(3, 'int32')];
      };
      const cts = [tf.tensor([1, 2, 3]), tf.tensor([[-1], [0.5]]), tf.tensor([0.1, 0.2, 0.3]), tf.tensor([1, 1, 1]), tf.scalar(0)];
      const { values, grads } = vjpOf(f, [x, z], cts);
      const ref = gradients(() => {
        const ys = f();
        return tf.addN(ys.slice(0, 4).map((y, j) => tf.sum(tf.mul(y, cts[j] as tf.Tensor))));
      }, [x, z]).grads;
      expect(values).toHaveLength(5);
      grads.forEach((g, i) => expect(g).toBeAllClose(Array.from((ref[i] as tf.Tensor).dataSync()), { rtol: 1e-6, atol: 1e-6 }));
    });
  });

  it('with values: false frees the outputs before the backward pass and leaks nothing', () => {
    const x = tf.tensor([1, 2, 3]);
    const c = tf.tensor([1, 1, 1]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) {
      const { grads } = vjpOf(() => [tf.square(x), tf.exp(x)], [x], [c, c], { values: false });
      expect(grads[0]).toBeAllClose([2 + Math.E, 4 + Math.E ** 2, 6 + Math.E ** 3], { rtol: 1e-5 });
      tf.dispose(grads);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, c]);
  });

  it('rejects a cotangent of the wrong shape, naming the output', () => {
    tf.tidy(() => {
      const x = tf.tensor([1, 2]);
      expect(() => vjpOf(() => [tf.square(x), tf.sum(x)], [x], [tf.ones([2]), tf.ones([2])])).toThrow(/cotangent 1 has shape \[2\], expected its output's shape \[\]/);
      expect(() => vjpOf(() => [tf.square(x)], [x], [])).toThrow(/1 outputs/);
    });
  });
});
