import * as tf from '@tensorflow/tfjs-core';
import { untracked } from '../engineInternals.js';
import { maxPoolArgmax } from '../rules/pool.js';
import { type TangentArgs, type TangentRule, broadcastTangent, count, sumTerms } from './tangentRule.js';

/** The tangent of input `key`, or null. */
const tan = (a: TangentArgs, key: string) => a.tangents[key] ?? null;

/** Runs `kernelName` on `inputs` with the node's attributes, every output returned. */
function rerun(kernelName: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): tf.Tensor[] {
  // Kernels of a list of tensors (Concat, Pack, AddN) take the list itself, keyed '0', '1', ...
  const keys = Object.keys(inputs);
  const list = keys.length > 0 && keys.every((k, i) => k === String(i));
  const args = (list ? keys.map((k) => inputs[k]) : inputs) as unknown as tf.NamedTensorMap;
  const out = tf.engine().runKernel(kernelName, args, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  return Array.isArray(out) ? out : [out];
}

/** The input names of a node, in the kernel's order. */
const inputKeys = (a: TangentArgs) => Object.keys(a.tangents);

/**
 * A kernel linear in the inputs `linear` (all of them where omitted; `fixed` are read as values,
 * e.g. indices): `dy = K(t)`, the kernel itself run on the tangents (zeros for the linear inputs
 * without one) and the values of the rest. `attrs` adjusts the attributes (a pad's constant is 0
 * for its tangent). One kernel per output used (multi-output kernels run once per output).
 */
export function linearKernel(kernelName: string, fixed: string[] = [], attrs: (x: Record<string, unknown>) => Record<string, unknown> = (x) => x): TangentRule {
  return {
    kernelName,
    reads: () => fixed,
    cost: (p) => 1 + Object.entries(p).filter(([k, on]) => !on && !fixed.includes(k)).length,
    jvp: (a) => a.outputShapes.map((_s, j) => () => {
      const inputs: Record<string, tf.Tensor> = {};
      for (const key of inputKeys(a)) inputs[key] = fixed.includes(key) ? a.value(key) : tan(a, key) ?? tf.zeros(a.inputShape(key));
      return rerun(kernelName, inputs, attrs(a.attrs))[j] as tf.Tensor;
    }),
  };
}

/**
 * A kernel bilinear in its two inputs (a convolution and its backprop kernels): `dy = K(t_a, b) +
 * K(a, t_b)`, the kernel run once per tangent with the other input's value.
 */
export function bilinearKernel(kernelName: string, [ka, kb]: [string, string]): TangentRule {
  return {
    kernelName,
    reads: (p) => [...(p[ka] ? [kb] : []), ...(p[kb] ? [ka] : [])],
    cost: (p) => 2 * count(p) - 1,
    jvp: (a) => [() => sumTerms([ka, kb].map((key) => {
      const t = tan(a, key);
      if (t === null) return null;
      const other = key === ka ? kb : ka;
      return rerun(kernelName, { [key]: t, [other]: a.value(other) }, a.attrs)[0] as tf.Tensor;
    })) as tf.Tensor],
  };
}

/** `sum_i mask_i t_i` over the inputs with a tangent, each mask a constant of the values. */
function masked(kernelName: string, masks: (a: TangentArgs) => Record<string, tf.Tensor>, reads: string[]): TangentRule {
  return {
    kernelName,
    reads: () => reads,
    cost: (p) => 2 + 2 * count(p) - 1,
    jvp: (a) => [() => {
      const m = untracked(() => tf.tidy(() => masks(a)));
      const terms = Object.keys(m).map((key) => (tan(a, key) === null ? null : tf.mul(tan(a, key) as tf.Tensor, m[key] as tf.Tensor)));
      return broadcastTangent(sumTerms(terms) as tf.Tensor, a.outputShapes[0] as number[]);
    }],
  };
}

/** Max/Min over `reductionIndices` (Max) or `axis` (Min): `dy = sum(t m / sum(m))` with `m` the mask of the extremum (ties share, as the reverse rule does). */
function extremum(kernelName: 'Max' | 'Min'): TangentRule {
  return {
    kernelName,
    reads: () => ['x'],
    cost: () => 6,
    jvp: (a) => [() => {
      const x = a.value('x');
      const axes = (a.attrs.reductionIndices ?? a.attrs.axis) as number | number[];
      const share = untracked(() => tf.tidy(() => {
        const m = kernelName === 'Max' ? tf.max(x, axes, true) : tf.min(x, axes, true);
        const mask = tf.cast(tf.equal(x, m), 'float32');
        return tf.div(mask, tf.sum(mask, axes, true));
      }));
      return tf.sum(tf.mul(tan(a, 'x') as tf.Tensor, share), axes, a.attrs.keepDims === true);
    }],
  };
}

/** Pow `a^b`: `dy = b a^(b-1) t_a + a^b log(a) t_b`. */
const powRule: TangentRule = {
  kernelName: 'Pow',
  reads: () => ['a', 'b'],
  cost: (p) => (p.a ? 4 : 0) + (p.b ? 4 : 0) + (count(p) - 1),
  jvp: (a) => [() => {
    const [x, y] = [a.value('a'), a.value('b')];
    const [ta, tb] = [tan(a, 'a'), tan(a, 'b')];
    return broadcastTangent(sumTerms([
      ta === null ? null : tf.mul(ta, tf.mul(y, tf.pow(x, tf.sub(y, 1)))),
      tb === null ? null : tf.mul(tb, tf.mul(tf.pow(x, y), tf.log(x))),
    ]) as tf.Tensor, a.outputShapes[0] as number[]);
  }],
};

/** SquaredDifference `(a - b)^2`: `dy = 2 (a - b) (t_a - t_b)`. */
const squaredDifferenceRule: TangentRule = {
  kernelName: 'SquaredDifference',
  reads: () => ['a', 'b'],
  cost: (p) => 3 + count(p) - 1,
  jvp: (a) => [() => {
    const [ta, tb] = [tan(a, 'a'), tan(a, 'b')];
    const dt = ta !== null && tb !== null ? tf.sub(ta, tb) : ta !== null ? ta : tf.neg(tb as tf.Tensor);
    return broadcastTangent(tf.mul(dt, tf.mul(2, tf.sub(a.value('a'), a.value('b')))), a.outputShapes[0] as number[]);
  }],
};

/** Softmax along `dim`: `dy = y (t - sum(t y, dim))`, `y` recomputed from the input. */
const softmaxRule: TangentRule = {
  kernelName: 'Softmax',
  reads: () => ['logits'],
  cost: () => 5,
  jvp: (a) => [() => {
    const dim = a.attrs.dim as number;
    const y = a.output(0) ?? tf.softmax(a.value('logits'), dim);
    const t = tan(a, 'logits') as tf.Tensor;
    return tf.mul(y, tf.sub(t, tf.sum(tf.mul(t, y), dim, true)));
  }],
};

/**
 * MaxPool: `dy = P t`, `P` picking each window's first maximum (the reverse rule's `P^T`, whose
 * indices it shares: a constant, read from `x`), as a GatherNd of the flat tangent.
 */
const maxPoolRule: TangentRule = {
  kernelName: 'MaxPool',
  reads: () => ['x'],
  cost: () => 3,
  jvp: (a) => [() => {
    const t = tan(a, 'x') as tf.Tensor;
    const idx = untracked(() => tf.tidy(() => maxPoolArgmax(a.value('x') as tf.Tensor4D, a.attrs as unknown as tf.MaxPoolAttrs)));
    return tf.reshape(tf.gatherND(tf.reshape(t, [t.size]), idx), a.outputShapes[0] as number[]);
  }],
};

/** The tangent rules of shape, gather, selection, reduction and convolution kernels. */
export const kernelTangentRules: TangentRule[] = [
  linearKernel('Slice'), linearKernel('ExpandDims'), linearKernel('Concat'), linearKernel('Pack'),
  linearKernel('Unpack'), linearKernel('SplitV'), linearKernel('AddN'), linearKernel('AvgPool'), linearKernel('AvgPoolGrad', ['input']),
  linearKernel('PadV2', [], (x) => ({ ...x, constantValue: 0 })),
  linearKernel('GatherV2', ['indices']), linearKernel('GatherNd', ['indices']), linearKernel('ScatterNd', ['indices']),
  linearKernel('UnsortedSegmentSum', ['segmentIds']),
  bilinearKernel('Conv2D', ['x', 'filter']), bilinearKernel('Conv2DBackpropInput', ['dy', 'filter']),
  bilinearKernel('Conv2DBackpropFilter', ['x', 'dy']),
  masked('Maximum', (a) => {
    const m = tf.cast(tf.greaterEqual(a.value('a'), a.value('b')), 'float32');
    return { a: m, b: tf.sub(1, m) };
  }, ['a', 'b']),
  masked('Minimum', (a) => {
    const m = tf.cast(tf.lessEqual(a.value('a'), a.value('b')), 'float32');
    return { a: m, b: tf.sub(1, m) };
  }, ['a', 'b']),
  masked('Select', (a) => {
    const c = tf.cast(a.value('condition'), 'float32');
    return { t: c, e: tf.sub(1, c) };
  }, ['condition']),
  masked('LeakyRelu', (a) => ({ x: tf.add(tf.mul(tf.step(a.value('x')), 1 - (a.attrs.alpha as number)), a.attrs.alpha as number) }), ['x']),
  masked('ClipByValue', (a) => {
    const x = a.value('x');
    return { x: tf.cast(tf.logicalAnd(tf.greaterEqual(x, a.attrs.clipValueMin as number), tf.lessEqual(x, a.attrs.clipValueMax as number)), 'float32') };
  }, ['x']),
  maxPoolRule, extremum('Max'), extremum('Min'), powRule, squaredDifferenceRule, softmaxRule,
  { kernelName: 'OneHot', cost: () => 0, jvp: () => [null] },
];
