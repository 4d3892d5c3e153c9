import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { jvpByDoubleVjp } from '../src/autodiff/vjp.js';
import { type HvpChoice, customVjp, grad, hvp, jvp, mixedHvp, softmaxCrossEntropy, tangentKernels, type Tree } from '../src/index.js';
import { TEST_BACKENDS, useBackend } from './helpers/backends.js';
import { D, K, type Mlp, N, forward, keys, mlp, rOperator, relError, values } from './helpers/mlp.js';

/**
 * Forward-over-reverse Hessian-vector products (issue 19): `H v = d/de grad f(x + e v)` at `e = 0`,
 * tangents pushed through the recorded gradient, against reverse-over-reverse and Pearlmutter's
 * R-operator in float64.
 *
 * Measured on the 784-256-10 ReLU MLP (batch 128, softmax cross-entropy), cpu and wasm: forward
 * mode 52 kernels, reverse mode 56 (both record the same 24-kernel gradient, its bias gradients'
 * sums and weight gradients' products left uncomputed; the sweep runs 28 kernels where the
 * backward pass runs 32).
 */
const MAX_FORWARD_HVP_KERNELS = 52;

/** `t^3` as a recorded op with a hand-written VJP (second-order exact) and no tangent rule. */
const cube = (t: tf.Tensor) => customVjp('cube', [t], [tf.pow(t, 3)], ([c], [ti]) => [tf.mul(c as tf.Tensor, tf.mul(3, tf.square(ti as tf.Tensor)))])[0] as tf.Tensor;

const read = (t: Record<keyof Mlp, tf.Tensor>) => Object.fromEntries(keys.map((k) => [k, t[k].dataSync() as Float32Array])) as Record<keyof Mlp, Float32Array>;

/** The mode `hvp` reports taking for one call, with its result. */
function withChoice<P extends Tree>(f: (p: P) => tf.Tensor, p: P, v: P, mode: 'auto' | 'forward' | 'reverse') {
  let choice: HvpChoice | null = null;
  const h = hvp(f, p, v, { mode, onChoice: (c) => (choice = c) });
  return { h, choice: choice as unknown as HvpChoice };
}

describe.each(TEST_BACKENDS)('forward-over-reverse Hessian-vector products on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  it("on the MLP equal reverse-over-reverse and Pearlmutter's R-operator (float64)", () => {
    const p = mlp(2);
    const v = mlp(6);
    const xv = values(N * D, 4, 1);
    const x = tf.tensor(xv, [N, D]);
    const y = tf.oneHot(tf.tensor1d(Array.from({ length: N }, (_v, i) => (i * 3) % K), 'int32'), K);
    const loss = (q: Mlp) => softmaxCrossEntropy(y, forward(q, x));
    const fwd = withChoice(loss, p, v, 'forward');
    const rev = withChoice(loss, p, v, 'reverse');
    expect(fwd.choice.mode).toBe('forward');
    expect(rev.choice.mode).toBe('reverse');
    const exact = rOperator(read(p), read(v), xv, y.dataSync() as unknown as Float32Array);
    for (const k of keys) {
      const o = fwd.h[k].dataSync();
      expect(relError(o, exact[k]), `${k} against the R-operator`).toBeLessThan(1e-4);
      expect(relError(o, rev.h[k].dataSync()), `${k} against reverse-over-reverse`).toBeLessThan(1e-5);
    }
    tf.dispose([p, v, x, y, fwd.h, rev.h]);
  });

  it(`on the MLP runs at most ${MAX_FORWARD_HVP_KERNELS} kernels (reverse: 56), and 'auto' takes it`, async () => {
    const p = mlp(1);
    const v = mlp(5);
    const x = tf.tensor(values(N * D, 3, 1), [N, D]);
    const y = tf.oneHot(tf.tensor1d(Array.from({ length: N }, (_v, i) => (i * 7) % K), 'int32'), K);
    const loss = (q: Mlp) => softmaxCrossEntropy(y, forward(q, x));
    const run = (mode: 'auto' | 'forward' | 'reverse') => () => tf.dispose(hvp(loss, p, v, { mode }));
    run('forward')();
    const counts: Record<string, number> = {};
    for (const mode of ['forward', 'reverse', 'auto'] as const) counts[mode] = (await tf.profile(run(mode))).kernels.length;
    expect(counts.forward).toBeLessThanOrEqual(MAX_FORWARD_HVP_KERNELS);
    expect(counts.forward).toBeLessThan(counts.reverse as number);
    expect(counts.auto).toBe(counts.forward);
    const { h, choice } = withChoice(loss, p, v, 'auto');
    expect(choice.mode).toBe('forward');
    expect(choice.forwardKernels).toBeLessThanOrEqual(choice.reverseKernels);
    // No batch-sized transpose: X^T is shared with the gradient through the value cache.
    const kernels = (await tf.profile(run('forward'))).kernels;
    expect(kernels.filter((k) => k.name === 'Transpose' && tf.util.arraysEqual(k.inputShapes[0] ?? [], [N, D]))).toEqual([]);
    tf.dispose([p, v, x, y, h]);
  });

  it.each([
    ['sum(tanh(x)^2 * exp(-x))', (x: tf.Tensor) => tf.sum(tf.mul(tf.square(tf.tanh(x)), tf.exp(tf.neg(x))))],
    ['Rosenbrock', (x: tf.Tensor) => {
      const a = tf.slice(x, 0, 3);
      const b = tf.slice(x, 1, 3);
      return tf.sum(tf.add(tf.mul(100, tf.square(tf.sub(b, tf.square(a)))), tf.square(tf.sub(1, a))));
    }],
    ['logistic regression', (w: tf.Tensor) => {
      const A = tf.tensor(values(6 * 4, 9, 1), [6, 4]);
      return tf.mean(tf.softplus(tf.neg(tf.mul(tf.tensor([1, -1, 1, 1, -1, -1]), tf.squeeze(tf.matMul(A, tf.reshape(w, [4, 1])))))));
    }],
    ['a tanh network, quadratic loss', (w: tf.Tensor) => {
      const X = tf.tensor(values(5 * 2, 3, 1), [5, 2]);
      const W = tf.reshape(w, [2, 2]);
      return tf.div(tf.sum(tf.square(tf.sub(tf.sigmoid(tf.matMul(tf.tanh(tf.matMul(X, W)), W)), 0.5))), 5);
    }],
  ])('on %s equals reverse-over-reverse', (_name, f) => {
    tf.tidy(() => {
      const x = tf.tensor([0.3, -0.7, 1.1, 0.4]);
      const v = tf.tensor([1, 0.5, -2, 0.25]);
      const rev = hvp(f, x, v, { mode: 'reverse' });
      const fwd = hvp(f, x, v, { mode: 'forward' });
      expect(fwd).toBeAllClose(rev, { rtol: 1e-4, atol: 1e-5 });
      const auto = withChoice(f, x, v, 'auto');
      expect(auto.choice.obstacle).toBeNull();
      // 'auto' follows its stated rule: forward when the sweep's estimate is no higher.
      expect(auto.choice.mode).toBe((auto.choice.forwardKernels as number) <= auto.choice.reverseKernels ? 'forward' : 'reverse');
      expect(auto.h).toBeAllClose(rev, { rtol: 1e-4, atol: 1e-5 });
    });
  });

  it('on a small convolutional network (conv, relu, average pooling, dense, cross-entropy) equals reverse-over-reverse', () => {
    tf.tidy(() => {
      const img = tf.tensor(values(2 * 6 * 6 * 2, 11, 1), [2, 6, 6, 2]);
      const labels = tf.oneHot(tf.tensor1d([1, 2], 'int32'), 3);
      const p = { k: tf.tensor(values(3 * 3 * 2 * 4, 12, 0.3), [3, 3, 2, 4]), w: tf.tensor(values(108, 13, 0.3), [36, 3]) };
      const v = { k: tf.tensor(values(3 * 3 * 2 * 4, 14, 1), [3, 3, 2, 4]), w: tf.tensor(values(108, 15, 1), [36, 3]) };
      const f = (q: typeof p) => {
        const h = tf.avgPool(tf.relu(tf.conv2d(img as tf.Tensor4D, q.k as tf.Tensor4D, 1, 'same')), 2, 2, 'valid');
        return softmaxCrossEntropy(labels, tf.matMul(tf.reshape(h, [2, 36]), q.w));
      };
      const rev = hvp(f, p, v, { mode: 'reverse' });
      const fwd = withChoice(f, p, v, 'forward');
      expect(fwd.choice.obstacle).toBeNull();
      expect(fwd.h.k).toBeAllClose(rev.k, { rtol: 1e-4, atol: 1e-5 });
      expect(fwd.h.w).toBeAllClose(rev.w, { rtol: 1e-4, atol: 1e-5 });
    });
  });

  it('mixedHvp in forward mode equals reverse mode (a weight-decay hyperparameter over an MLP, and trees)', () => {
    tf.tidy(() => {
      const x = tf.tensor(values(8 * 6, 21, 1), [8, 6]);
      const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3);
      const w = { w1: tf.tensor(values(30, 22, 0.5), [6, 5]), b1: tf.tensor(values(5, 23, 0.1), [5]), w2: tf.tensor(values(15, 24, 0.5), [5, 3]), b2: tf.zeros([3]) };
      const v = { w1: tf.tensor(values(30, 25, 1), [6, 5]), b1: tf.ones([5]), w2: tf.tensor(values(15, 26, 1), [5, 3]), b2: tf.ones([3]) };
      const theta = { decay: tf.tensor([-1.5]), scale: tf.tensor([0.8]) };
      const f = (th: typeof theta, q: Mlp) => tf.add(
        softmaxCrossEntropy(y, tf.mul(forward(q, x), th.scale)),
        tf.mul(tf.exp(th.decay), tf.add(tf.sum(tf.square(q.w1)), tf.sum(tf.square(q.w2)))),
      );
      const rev = mixedHvp(f, theta, w, v);
      const fwd = mixedHvp(f, theta, w, v, { mode: 'forward' });
      const auto = mixedHvp(f, theta, w, v, { mode: 'auto' });
      for (const k of ['decay', 'scale'] as const) {
        expect(fwd[k]).toBeAllClose(rev[k], { rtol: 1e-4, atol: 1e-6 });
        expect(auto[k]).toBeAllClose(rev[k], { rtol: 1e-4, atol: 1e-6 });
      }
      // A recorded op without a tangent rule: 'auto' falls back to reverse mode, 'forward' refuses.
      const g = (a: tf.Tensor, t: tf.Tensor) => tf.sum(tf.mul(a, cube(t)));
      const [t0, dir] = [tf.tensor([0.3, -0.7, 1.1, 0.4]), tf.tensor([1, 2, 3, 4])];
      // d/da <grad_t g, v> = sum(3 t^2 v).
      expect(mixedHvp(g, tf.tensor([2]), t0, dir, { mode: 'auto' })).toBeAllClose([3 * (0.09 + 0.98 + 3.63 + 0.64)], { rtol: 1e-5 });
      expect(() => mixedHvp(g, tf.tensor([2]), t0, dir, { mode: 'forward' })).toThrow(/'hypergrad.cube' has no tangent rule/);
    });
  });

  it('keeps numTensors flat across repeated calls (no leaks)', () => {
    const p = { w1: tf.tensor(values(6 * 5, 1, 0.5), [6, 5]), b1: tf.zeros([5]), w2: tf.tensor(values(5 * 3, 2, 0.5), [5, 3]), b2: tf.zeros([3]) };
    const v = { w1: tf.ones([6, 5]), b1: tf.ones([5]), w2: tf.ones([5, 3]), b2: tf.ones([3]) };
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3);
    const step = (i: number) => {
      const x = tf.tensor(values(4 * 6, i, 1), [4, 6]);
      tf.dispose(hvp((q: Mlp) => softmaxCrossEntropy(y, forward(q, x)), p, v, { mode: 'forward' }));
      x.dispose();
    };
    step(0);
    const before = tf.memory().numTensors;
    for (let i = 1; i <= 200; i++) step(i);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([p, v, y]);
  });

  it('mixedHvp keeps numTensors flat in forward mode and when auto falls back to reverse (a recorded op without a tangent rule)', () => {
    const img = tf.tensor([0.3, -0.7, 1.1, 0.4]);
    const dir = tf.tensor([1, 2, 3, 4]);
    const s = tf.tensor([2]);
    const pooled = (a: tf.Tensor, t: tf.Tensor) => tf.sum(tf.mul(a, cube(t)));
    const smooth = (a: tf.Tensor, t: tf.Tensor) => tf.sum(tf.mul(a, tf.square(tf.tanh(t))));
    const round = () => {
      tf.dispose(mixedHvp(pooled, s, img, dir, { mode: 'auto' }));
      tf.dispose(mixedHvp(smooth, s, img, dir, { mode: 'forward' }));
    };
    round();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) round();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([img, dir, s]);
  });

  it('jvp runs forward mode (fewer kernels than the double-VJP trick, the same result) and falls back where it cannot', async () => {
    const x = tf.tensor(values(8 * 6, 31, 1), [8, 6]);
    const p = { w1: tf.tensor(values(30, 32, 0.5), [6, 5]), b1: tf.tensor(values(5, 33, 0.1), [5]) };
    const v = { w1: tf.tensor(values(30, 34, 1), [6, 5]), b1: tf.ones([5]) };
    const f = (q: typeof p) => ({ h: tf.tanh(tf.add(tf.matMul(x, q.w1), q.b1)), s: tf.sum(tf.sigmoid(q.w1)) });
    const [o1, fwd] = jvp(f, p, v);
    const [o2, ref] = jvpByDoubleVjp(f, p, v);
    expect(fwd.h).toBeAllClose(ref.h, { rtol: 1e-5, atol: 1e-6 });
    expect(fwd.s).toBeAllClose(ref.s, { rtol: 1e-5, atol: 1e-6 });
    const count = async (g: () => unknown) => (await tf.profile(() => { tf.dispose(g() as tf.Tensor[]); })).kernels.length;
    const [forwardCount, doubleCount] = [await count(() => jvp(f, p, v)), await count(() => jvpByDoubleVjp(f, p, v))];
    expect(forwardCount).toBeLessThan(doubleCount);
    // A recorded op without a tangent rule, and jvp inside a gradient: the double-VJP trick.
    const t0 = tf.tensor([0.3, -0.7]);
    const [c1, jc] = jvp((t: tf.Tensor) => cube(t), t0, tf.tensor([1, 2]));
    expect(jc).toBeAllClose([3 * 0.09, 3 * 0.49 * 2], { rtol: 1e-5 });
    // d/dt sum(J v) for f = t^3 along v: d/dt sum(3 t^2 v) = 6 t v.
    const nested = grad((t: tf.Tensor) => tf.sum(jvp((q: tf.Tensor) => tf.mul(tf.square(q), q), t, tf.tensor([1, 2]))[1]))(t0);
    expect(nested).toBeAllClose([6 * 0.3, 6 * -0.7 * 2], { rtol: 1e-5 });
    // An output that is the input itself gets a copy of the tangent, not the caller's tensor.
    const dir = tf.tensor([1, 2]);
    const [, same] = jvp((t: tf.Tensor) => t, t0, dir);
    same.dispose();
    expect(dir.isDisposed).toBe(false);
    tf.dispose([x, p, v, o1, fwd, o2, ref, t0, c1, jc, nested, dir]);
  });

  it("'auto' takes reverse mode where a kernel has no tangent rule, or inside an enclosing gradient; 'forward' refuses both", () => {
    tf.tidy(() => {
      const x = tf.tensor([0.3, -0.7]);
      const v = tf.tensor([1, 2]);
      // A recorded op with a second-order-exact VJP but no tangent rule, on the gradient's path
      // (its output is read by the Square's backward pass): f = sum (t^3)^2, H v = 30 t^4 v.
      const t0 = tf.tensor([0.3, -0.7, 1.1, 0.4]);
      const dir = tf.tensor([1, 2, 3, 4]);
      const cubed = (t: tf.Tensor) => tf.sum(tf.square(cube(t)));
      expect(tangentKernels()).not.toContain('hypergrad.cube');
      const auto = withChoice(cubed, t0, dir, 'auto');
      expect(auto.choice).toMatchObject({ mode: 'reverse', forwardKernels: null });
      expect(auto.choice.obstacle).toMatch(/'hypergrad.cube' has no tangent rule/);
      expect(auto.h).toBeAllClose([0.243, 14.406, 131.769, 3.072], { rtol: 1e-5 });
      expect(() => hvp(cubed, t0, dir, { mode: 'forward' })).toThrow(/mode 'forward' cannot push tangents through this function: 'hypergrad.cube' has no tangent rule.*registerTangentRule/);
      // Nested: the gradient of a Hessian-vector product (a third derivative) through 'auto'.
      const cubic = (t: tf.Tensor) => tf.sum(tf.mul(tf.square(t), t));
      const modes: string[] = [];
      const third = grad((t: tf.Tensor) => tf.sum(tf.mul(hvp(cubic, t, v, { onChoice: (c) => modes.push(c.mode) }), v)))(x);
      expect(modes).toEqual(['reverse']);
      // d/dx <H(x) v, v> = 6 v^2 for f = sum x^3.
      expect(third).toBeAllClose(tf.mul(6, tf.square(v)), { rtol: 1e-5 });
      expect(() => grad((t: tf.Tensor) => tf.sum(hvp(cubic, t, v, { mode: 'forward' })))(x)).toThrow(/cannot run inside an enclosing gradient/);
      expect(() => hvp(cubic, x, v, { mode: 'sideways' as 'auto' })).toThrow(/options\.mode/);
    });
  });
});
