import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_BACKENDS, useBackend } from '../../../test/helpers/backends.js';
import { awayFromZero, floats, shapes, size } from '../../../test/helpers/ruleHarness.js';
import { customVjp } from '../customVjp.js';
import { supportedKernels } from '../registry.js';
import { timesTransposed, transposedTimes } from '../rules/matMul.js';
import { sumAxes } from '../rules/ruleUtil.js';
import { softmaxCrossEntropyOp } from '../rules/softmaxCrossEntropy.js';
import { jvpByDoubleVjp } from '../vjp.js';
import { jvpOnTape, tangentKernels } from './forwardSweep.js';

/** A random case: input values and shapes, and the function of them whose kernel is tested. */
type Case = { xs: { v: number[]; s: number[] }[]; f: (xs: tf.Tensor[]) => tf.Tensor };
type Spec = { kernel: string; cases: fc.Arbitrary<Case> };

const any = (n: number) => floats(n, -2, 2);
const positive = (n: number) => floats(n, 0.5, 3);
const kinked = (n: number) => awayFromZero(n, 2, 0.2);

function unary(kernel: string, op: (x: tf.Tensor) => tf.Tensor, values = any, minRank = 1): Spec {
  return { kernel, cases: shapes(minRank, 3).chain((s) => values(size(s)).map((v) => ({ xs: [{ v, s }], f: ([x]) => op(x as tf.Tensor) }))) };
}

/** Shapes that broadcast: a suffix of the other with some dims set to 1, either way round. */
const broadcastPair = fc.tuple(shapes(1, 3), fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), fc.boolean())
  .map(([s, ones, swap]) => {
    const t = s.slice(1).map((d, i) => (ones[i] ? 1 : d));
    return swap ? [t, s] : [s, t];
  });

function binary(kernel: string, op: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, vb = any): Spec {
  return {
    kernel,
    cases: broadcastPair.chain(([sa, sb]) => fc.tuple(any(size(sa as number[])), vb(size(sb as number[]))).map(([a, b]) => ({
      xs: [{ v: a, s: sa as number[] }, { v: b, s: sb as number[] }], f: ([p, q]) => op(p as tf.Tensor, q as tf.Tensor),
    }))),
  };
}

/** `op(a, b)` of matrices `m x k` and `k x n` (stored transposed as the flags say), with an optional batch axis. */
function product(kernel: string, op: (a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean) => tf.Tensor, flags: boolean): Spec {
  const dims = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 2 }));
  return {
    kernel,
    cases: fc.tuple(dims, fc.boolean(), fc.boolean()).chain(([[m, k, n, batch], ta0, tb0]) => {
      const [ta, tb] = flags ? [ta0, tb0] : [false, false];
      const lead = batch === 0 ? [] : [batch];
      const sa = [...lead, ...(ta ? [k, m] : [m, k])];
      const sb = tb ? [n, k] : [k, n];
      return fc.tuple(any(size(sa)), any(size(sb))).map(([a, b]) => ({
        xs: [{ v: a, s: sa }, { v: b, s: sb }], f: ([p, q]) => op(p as tf.Tensor, q as tf.Tensor, ta, tb),
      }));
    }),
  };
}

/** A reduction over random axes, with or without keepDims. */
function reduction(kernel: string, op: (x: tf.Tensor, axis: number[], keep: boolean) => tf.Tensor): Spec {
  return {
    kernel,
    cases: fc.tuple(shapes(1, 3), fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), fc.boolean()).chain(([s, pick, keep]) => {
      const axis = s.map((_d, i) => i).filter((i) => pick[i]);
      return any(size(s)).map((v) => ({ xs: [{ v, s }], f: ([x]) => op(x as tf.Tensor, axis.length === 0 ? [0] : axis, keep) }));
    }),
  };
}

/** Softmax cross-entropy of random logits against random label weights (both differentiated). */
function crossEntropy(scale: number | undefined): Spec {
  return {
    kernel: 'hypergrad.softmaxCrossEntropy',
    cases: shapes(1, 2).chain((s) => fc.tuple(any(size(s)), floats(size(s), 0, 1)).map(([z, y]) => ({
      xs: [{ v: y, s }, { v: z, s }], f: ([yy, zz]) => softmaxCrossEntropyOp(yy as tf.Tensor, zz as tf.Tensor, scale),
    }))),
  };
}

const specs: Spec[] = [
  binary('Add', tf.add), binary('Sub', tf.sub), binary('Multiply', tf.mul), binary('RealDiv', tf.div, positive),
  unary('Neg', tf.neg), unary('Exp', tf.exp), unary('Relu', tf.relu, kinked), unary('Square', tf.square),
  unary('Sigmoid', tf.sigmoid), unary('Tanh', tf.tanh), unary('Softplus', tf.softplus), unary('Elu', tf.elu, kinked),
  unary('Sqrt', tf.sqrt, positive), unary('Rsqrt', tf.rsqrt, positive), unary('Reciprocal', tf.reciprocal, positive),
  unary('Log', tf.log, positive), unary('Log1p', tf.log1p, positive), unary('Expm1', tf.expm1), unary('Sin', tf.sin),
  unary('Cos', tf.cos), unary('Erf', tf.erf), unary('Abs', tf.abs, kinked), unary('Relu6', tf.relu6, kinked),
  unary('Reshape', (x) => tf.reshape(x, [-1])), unary('Transpose', (x) => tf.transpose(x), any, 2),
  unary('Tile', (x) => tf.tile(x, x.shape.map((_d, i) => 1 + (i % 2)))),
  unary('Step', (x) => tf.mul(tf.step(x), x), kinked),
  reduction('Sum', tf.sum), reduction('Mean', tf.mean),
  product('BatchMatMul', (a, b, ta, tb) => tf.matMul(a, b, ta, tb), true),
  product('hypergrad.transposedTimes', (a, b) => transposedTimes(tf.transpose(a, a.rank === 3 ? [0, 2, 1] : [1, 0]), b), false),
  product('hypergrad.timesTransposed', (a, b) => timesTransposed(a, tf.transpose(b)), false),
  crossEntropy(undefined), crossEntropy(0.25),
  {
    kernel: 'hypergrad.sumLeading',
    cases: fc.tuple(shapes(2, 3), fc.integer({ min: 1, max: 2 }), fc.boolean()).chain(([s, k, keep]) => any(size(s)).map((v) => ({
      xs: [{ v, s }], f: ([x]) => sumAxes(tf.square(x as tf.Tensor), Array.from({ length: Math.min(k, s.length - 1) }, (_d, i) => i), keep),
    }))),
  },
];

/** Two inputs of one random shape, `b` at a gap from `a` (no ties for Maximum and Minimum). */
function separated(kernel: string, op: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): Spec {
  return {
    kernel,
    cases: shapes(1, 3).chain((s) => fc.tuple(any(size(s)), awayFromZero(size(s), 1, 0.2)).map(([a, d]) => ({
      xs: [{ v: a, s }, { v: a.map((x, i) => Math.fround(x + (d[i] as number))), s }], f: ([p, q]) => op(p as tf.Tensor, q as tf.Tensor),
    }))),
  };
}

/** A fixed-shape case of `n` inputs of shape `s` (for kernels whose arguments need matching shapes). */
function fixed(kernel: string, inputs: number[][], f: (xs: tf.Tensor[]) => tf.Tensor, values = any): Spec {
  return { kernel, cases: fc.tuple(...inputs.map((s) => values(size(s)))).map((vs) => ({ xs: vs.map((v, i) => ({ v, s: inputs[i] as number[] })), f })) };
}

const [e0, e1] = [(xs: tf.Tensor[]) => xs[0] as tf.Tensor, (xs: tf.Tensor[]) => xs[1] as tf.Tensor];
const kernelSpecs: Spec[] = [
  fixed('Slice', [[3, 4]], (xs) => tf.slice(e0(xs), [1, 0], [2, 3])),
  fixed('ExpandDims', [[3, 4]], (xs) => tf.expandDims(e0(xs), 1)),
  fixed('Concat', [[2, 3], [4, 3]], (xs) => tf.concat([e0(xs), tf.square(e1(xs))], 0)),
  fixed('Pack', [[2, 3], [2, 3]], (xs) => tf.stack([e0(xs), e1(xs)], 1)),
  fixed('Unpack', [[3, 2]], (xs) => {
    const [a, , c] = tf.unstack(e0(xs));
    return tf.add(a as tf.Tensor, tf.mul(2, c as tf.Tensor));
  }),
  fixed('SplitV', [[5, 2]], (xs) => {
    const [a, b] = tf.split(e0(xs), [2, 3]);
    return tf.concat([tf.mul(3, a as tf.Tensor), b as tf.Tensor], 0);
  }),
  fixed('AddN', [[2, 3], [2, 3]], (xs) => tf.addN([e0(xs), tf.square(e1(xs)), e0(xs)])),
  fixed('PadV2', [[2, 3]], (xs) => tf.pad(e0(xs), [[1, 0], [0, 2]], 1.5)),
  fixed('GatherV2', [[4, 3]], (xs) => tf.gather(e0(xs), tf.tensor1d([3, 0, 3], 'int32'), 0)),
  fixed('GatherNd', [[4, 3]], (xs) => tf.gatherND(e0(xs), tf.tensor2d([[1, 2], [3, 0]], [2, 2], 'int32'))),
  fixed('ScatterNd', [[2, 3]], (xs) => tf.scatterND(tf.tensor2d([[1], [3]], [2, 1], 'int32'), e0(xs), [4, 3])),
  fixed('UnsortedSegmentSum', [[4, 3]], (xs) => tf.unsortedSegmentSum(e0(xs), tf.tensor1d([1, 0, 1, 2], 'int32'), 3)),
  fixed('AvgPool', [[1, 4, 4, 2]], (xs) => tf.avgPool(e0(xs) as tf.Tensor4D, 2, 2, 'valid')),
  fixed('MaxPool', [[1, 4, 4, 2]], (xs) => tf.maxPool(e0(xs) as tf.Tensor4D, 3, 1, 'same'), (n) => fc.constant(Array.from({ length: n }, (_v, i) => Math.sin(2.3 * i + 0.1)))),
  fixed('Conv2D', [[1, 5, 5, 2], [3, 3, 2, 3]], (xs) => tf.conv2d(e0(xs) as tf.Tensor4D, e1(xs) as tf.Tensor4D, 1, 'same')),
  fixed('Conv2DBackpropInput', [[1, 5, 5, 3], [3, 3, 2, 3]], (xs) => tf.conv2dTranspose(e0(xs) as tf.Tensor4D, e1(xs) as tf.Tensor4D, [1, 5, 5, 2], 1, 'same')),
  separated('Maximum', tf.maximum), separated('Minimum', tf.minimum),
  fixed('Select', [[2, 3], [2, 3]], (xs) => tf.where(tf.tensor2d([[1, 0, 1], [0, 0, 1]], [2, 3], 'bool'), e0(xs), tf.square(e1(xs)))),
  unary('LeakyRelu', (x) => tf.leakyRelu(x, 0.3), kinked),
  fixed('ClipByValue', [[2, 3]], (xs) => tf.clipByValue(e0(xs), -0.5, 0.5), () => fc.constantFrom([0.1, -0.9, 0.3, 1.2, -0.2, 0.8], [-0.3, 0.7, 0.45, -1.5, 0, 0.2])),
  fixed('Max', [[3, 4]], (xs) => tf.max(e0(xs), 1), (n) => fc.constant(Array.from({ length: n }, (_v, i) => Math.sin(1.7 * i)))),
  fixed('Min', [[3, 4]], (xs) => tf.min(e0(xs), 0, true), (n) => fc.constant(Array.from({ length: n }, (_v, i) => Math.cos(1.3 * i)))),
  binary('Pow', (a, b) => tf.pow(tf.add(tf.square(a), 0.5), b), positive),
  binary('SquaredDifference', tf.squaredDifference),
  unary('Softmax', (x) => tf.softmax(x)),
];

/** `(f(x + h t) - f(x - h t)) / 2h`, each leaf moved along its tangent. */
function centralDifference(f: (xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[], ts: tf.Tensor[], h: number): tf.Tensor {
  return tf.tidy(() => tf.div(
    tf.sub(f(xs.map((x, i) => tf.add(x, tf.mul(ts[i] as tf.Tensor, h)))), f(xs.map((x, i) => tf.sub(x, tf.mul(ts[i] as tf.Tensor, h))))), 2 * h,
  ));
}

describe.each(TEST_BACKENDS)('tangent rules on %s', (backend) => {
  beforeAll(async () => useBackend(backend));

  it.each([...specs, ...kernelSpecs].map((s) => [s.kernel, s] as const))('%s: forward-mode tangents equal reverse mode (double VJP) and central differences', (kernel, spec) => {
    // Kernels a backend lacks (UnsortedSegmentSum on wasm) are tested where they run.
    if (!kernel.startsWith('hypergrad.') && tf.getKernel(kernel, tf.getBackend()) === undefined) return;
    fc.assert(fc.property(spec.cases, fc.integer({ min: 1, max: 1000 }), (c, seed) => {
      tf.tidy(() => {
        const xs = c.xs.map(({ v, s }) => tf.tensor(v, s));
        const ts = c.xs.map(({ s }, i) => tf.tensor(Array.from({ length: size(s) }, (_v, j) => Math.sin(seed + 3.1 * j + i)), s));
        const { tangents, kernels } = jvpOnTape(() => [c.f(xs)], xs, ts);
        expect(kernels).toContain(kernel);
        const [, reverse] = jvpByDoubleVjp((l: tf.Tensor[]) => c.f(l), xs, ts);
        expect(tangents[0]).toBeAllClose(reverse, { rtol: 1e-4, atol: 1e-5 });
        const fd = centralDifference(c.f, xs, ts, 1e-2);
        expect(tangents[0]).toBeAllClose(fd, { rtol: 2e-2, atol: 2e-2 });
      });
    }), { numRuns: 12 });
  });

  it('every built-in tangent rule is tested here or is a zero rule', () => {
    const tested = new Set([...specs, ...kernelSpecs].map((s) => s.kernel));
    const untested = tangentKernels().filter((k) => !tested.has(k));
    // Aliases and kernels the ops above do not reach (AddV2, BroadcastTo, Cast, Identity; the
    // backprop kernels of pooling and convolution, checked through Hessian-vector products in
    // test/forwardHvp.test.ts), and the piecewise-constant kernels, whose tangent is zero by construction.
    for (const k of untested) expect(['AddV2', 'BroadcastTo', 'Cast', 'Identity', 'AvgPoolGrad', 'Conv2DBackpropFilter', 'OneHot', 'Sign', 'Floor', 'Ceil', 'Round', 'IsNan', 'IsInf', 'IsFinite', 'ZerosLike', 'OnesLike', 'LogicalNot', 'Equal', 'NotEqual', 'Greater', 'GreaterEqual', 'Less', 'LessEqual', 'LogicalAnd', 'LogicalOr', 'FloorDiv', 'ArgMax', 'ArgMin']).toContain(k);
  });

  it('every kernel with a second-order rule has a tangent rule (so auto can take forward mode through it)', () => {
    const tangents = new Set(tangentKernels());
    expect(supportedKernels().filter((k) => !tangents.has(k))).toEqual([]);
  });

  it('an op without a tangent rule is refused, naming it', () => {
    tf.tidy(() => {
      const x = tf.tensor([0.5, 1.5]);
      const cube = () => customVjp('cube', [x], [tf.pow(x, 3)], ([c], [xi]) => [tf.mul(c as tf.Tensor, tf.mul(3, tf.square(xi as tf.Tensor)))]);
      expect(() => jvpOnTape(cube, [x], [tf.ones([2])])).toThrow(/'hypergrad.cube' has no tangent rule/);
    });
  });
});
