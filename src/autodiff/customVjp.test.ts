import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_BACKENDS, useBackend } from '../../test/helpers/backends.js';
import { customVjp } from './customVjp.js';
import { grad } from './grad.js';
import { hvp } from './hvp.js';

describe.each(TEST_BACKENDS)('customVjp on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  // y = x^3 given by value, with a VJP reading the op's output: 3 y^(2/3) = 3 x^2 (x > 0).
  const cube = (x: tf.Tensor) =>
    customVjp('cube', [x], [tf.pow(x, 3)], ([c], _in, [y]) => [tf.mul(c as tf.Tensor, tf.mul(3, tf.pow(y as tf.Tensor, 2 / 3)))])[0] as tf.Tensor;

  it('first and second derivatives through a VJP that reads the op output are exact', () => {
    tf.tidy(() => {
      const x = tf.tensor([0.5, 1.5, 2]);
      expect(grad((p: tf.Tensor) => tf.sum(cube(p)))(x)).toBeAllClose([0.75, 6.75, 12], { rtol: 1e-5 });
      // d^2/dx^2 x^3 = 6x, which needs the output's dependence on x inside the VJP
      expect(hvp((p: tf.Tensor) => tf.sum(cube(p)), x, tf.ones([3]))).toBeAllClose([3, 9, 12], { rtol: 1e-4 });
    });
  });

  it('a gradient taken inside the VJP during a top-level backward pass does not leak', () => {
    const x = tf.tensor([0.5, 1.5]);
    const viaInnerGrad = (p: tf.Tensor) =>
      customVjp('sq', [p], [tf.square(p)], ([c], [xi]) => [tf.mul(c as tf.Tensor, grad((z: tf.Tensor) => tf.sum(tf.square(z)))(xi as tf.Tensor))])[0] as tf.Tensor;
    grad((p: tf.Tensor) => tf.sum(viaInnerGrad(p)))(x).dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 200; i++) {
      const g = grad((p: tf.Tensor) => tf.sum(viaInnerGrad(p)))(x);
      expect(g).toBeAllClose([1, 3]);
      g.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('with saveOutputs: false the VJP gets no outputs, and a cotangent given as a function runs only when needed', () => {
    tf.tidy(() => {
      const x = tf.tensor([1, 2]);
      const k = tf.tensor([3, 4]);
      let seen = -1;
      let constantCalls = 0;
      // y = k x, differentiated in x only: the thunk for k's cotangent is never called.
      const op = (p: tf.Tensor) => customVjp('scale', [p, k], [tf.mul(k, p)], ([c], [, ki], outs) => {
        seen = outs.length;
        return [() => tf.mul(c as tf.Tensor, ki as tf.Tensor), () => {
          constantCalls++;
          return tf.mul(c as tf.Tensor, p);
        }];
      }, { saveOutputs: false })[0] as tf.Tensor;
      expect(grad((p: tf.Tensor) => tf.sum(tf.square(op(p))))(x)).toBeAllClose([2 * 9 * 1, 2 * 16 * 2]);
      expect(seen).toBe(0);
      expect(constantCalls).toBe(0);
    });
  });

  it('with saveInputs: false the VJP gets no inputs (nothing is saved) and stays differentiable in its cotangent', () => {
    tf.tidy(() => {
      const x = tf.tensor([1, 2]);
      let seen = -1;
      // y = 2 x with a VJP that reads no values: 2 c.
      const twice = (p: tf.Tensor) => customVjp('twice', [p], [tf.mul(p, 2)], ([c], ins, outs) => {
        seen = ins.length + outs.length;
        return [tf.mul(c as tf.Tensor, 2)];
      }, { saveInputs: false, saveOutputs: false })[0] as tf.Tensor;
      const f = (p: tf.Tensor) => tf.sum(tf.square(twice(p)));
      expect(grad(f)(x)).toBeAllClose([8, 16]);
      expect(seen).toBe(0);
      // f = 4 sum(x^2): H = 8 I, in both modes.
      expect(hvp(f, x, tf.tensor([1, -1]), { mode: 'reverse' })).toBeAllClose([8, -8], { rtol: 1e-5 });
    });
  });
});
