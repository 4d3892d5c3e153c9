import * as tf from '@tensorflow/tfjs-core';
import { isTapeOn } from '../engineInternals.js';
import { ZERO_GRADIENT_KERNELS } from '../rules/piecewiseConstant.js';
import { sumAxes } from '../rules/ruleUtil.js';
import { elementwiseDerivative } from '../rules/unary.js';
import { cachedValue } from '../valueCache.js';
import { type TangentArgs, type TangentRule, broadcastTangent, count, sumTerms } from './tangentRule.js';
import { kernelTangentRules } from './kernelTangents.js';
import { matMulTangentRules } from './matMulTangents.js';

/** The tangent of input `key`, or null. */
const tan = (a: TangentArgs, key: string) => a.tangents[key] ?? null;

/** A single-output rule. */
function single(kernelName: string, cost: TangentRule['cost'], jvp: (a: TangentArgs) => tf.Tensor | null, reads?: TangentRule['reads']): TangentRule {
  return { kernelName, cost, ...(reads === undefined ? {} : { reads }), jvp: (a) => [() => jvp(a) as tf.Tensor] };
}

/** A linear kernel `y = L(x)` of one input: `dy = L(t)`, the same kernel applied to the tangent. */
function linear(kernelName: string, key: string, apply: (t: tf.Tensor, a: TangentArgs) => tf.Tensor): TangentRule {
  return single(kernelName, () => 1, (a) => apply(tan(a, key) as tf.Tensor, a));
}

/** `a + b` (broadcast): `dy = t_a + t_b`; a lone tangent of the output's shape passes as it is. */
const addRule = (kernelName: string): TangentRule =>
  single(kernelName, (p) => (count(p) === 2 ? 1 : 0.5), (a) => broadcastTangent(sumTerms([tan(a, 'a'), tan(a, 'b')]) as tf.Tensor, a.outputShapes[0] as number[]));

/** `a - b`: `dy = t_a - t_b`. */
const subRule = single('Sub', (p) => (p.a === true && p.b !== true ? 0.5 : 1), (a) => {
  const [ta, tb] = [tan(a, 'a'), tan(a, 'b')];
  const out = ta !== null && tb !== null ? tf.sub(ta, tb) : ta !== null ? ta : tf.neg(tb as tf.Tensor);
  return broadcastTangent(out, a.outputShapes[0] as number[]);
});

/** `a b` (elementwise, broadcast): `dy = t_a b + a t_b` (Leibniz). */
const mulRule = single('Multiply', (p) => 2 * count(p) - 1, (a) => {
  const [ta, tb] = [tan(a, 'a'), tan(a, 'b')];
  const out = sumTerms([ta === null ? null : tf.mul(ta, a.value('b')), tb === null ? null : tf.mul(a.value('a'), tb)]) as tf.Tensor;
  return broadcastTangent(out, a.outputShapes[0] as number[]);
}, (p) => [...(p.a ? ['b'] : []), ...(p.b ? ['a'] : [])]);

/** `a / b`: `dy = (t_a - (a / b) t_b) / b`. */
const divRule = single('RealDiv', (p) => (p.b ? 2 + 2 * count(p) - 1 : 1), (a) => {
  const [ta, tb] = [tan(a, 'a'), tan(a, 'b')];
  const b = a.value('b');
  const num = tb === null ? (ta as tf.Tensor) : (ta === null ? tf.neg : (t: tf.Tensor) => tf.sub(ta, t))(tf.mul(tf.div(a.value('a'), b), tb));
  return broadcastTangent(tf.div(num, b), a.outputShapes[0] as number[]);
}, (p) => (p.b ? ['a', 'b'] : ['b']));

/** A reduction's attributes: axes and keepDims. */
const axes = (a: TangentArgs) => [a.attrs.axis as number | number[], a.attrs.keepDims === true] as const;

/**
 * Relu: `dy = 1[y > 0] t`, the mask read from the kept output and shared with the backward pass
 * through the value cache (no kernel when it has run already).
 */
const reluRule = single('Relu', () => 1, (a) => {
  const y = a.output(0) ?? a.value('x');
  return tf.mul(tan(a, 'x') as tf.Tensor, cachedValue('step', y, (t) => tf.step(t)));
}, () => ['#0']);

/** An elementwise kernel `y = f(x)` with a reverse rule `f'`: `dy = f'(x) t`. */
function elementwiseRule(kernelName: string, derivative: (x: tf.Tensor) => tf.Tensor): TangentRule {
  return single(kernelName, () => 3, (a) => tf.mul(tan(a, 'x') as tf.Tensor, derivative(a.value('x'))), () => ['x']);
}

/** Exp: `dy = y t`, from the output where the tape kept it, else `exp(x) t`. */
const expRule: TangentRule = {
  ...single('Exp', () => 1, (a) => tf.mul(tan(a, 'x') as tf.Tensor, a.output(0) ?? tf.exp(a.value('x'))), () => ['x']),
  vjpCost: () => 2,
};

/** Tanh: `dy = (1 - y^2) t`, from the output where the tape kept it, else from `tanh(x)` (wasm's Tanh is dear). */
const tanhRule: TangentRule = {
  ...single('Tanh', () => 3, (a) => tf.mul(tan(a, 'x') as tf.Tensor, tf.sub(1, tf.square(a.output(0) ?? tf.tanh(a.value('x'))))), () => ['x']),
  vjpCost: () => 4,
};

/** Sigmoid: `dy = s (1 - s) t`, from the output `s` where the tape kept it, else from `sigmoid(x)`. */
const sigmoidRule: TangentRule = {
  ...single('Sigmoid', () => 3, (a) => {
    const s = a.output(0) ?? tf.sigmoid(a.value('x'));
    return tf.mul(tan(a, 'x') as tf.Tensor, tf.mul(s, tf.sub(1, s)));
  }, () => ['x']),
  vjpCost: () => 4,
};

/**
 * hypergrad's softmax cross-entropy op (outputs `l` and `log p`, `p = softmax(z)` along the last
 * axis): `d log p = t_z - sum_k p_k t_zk` and `dl = -sum_k (t_yk log p_k + y_k d log p_k)` per
 * row, times `scale` summed over rows when the op was given one.
 */
const softmaxCrossEntropyRule: TangentRule = {
  kernelName: 'hypergrad.softmaxCrossEntropy',
  reads: () => ['0', '#1'],
  cost: () => 4,
  jvp: (a) => {
    const [ty, tz] = [tan(a, '0'), tan(a, '1')];
    const logp = () => a.output(1) as tf.Tensor;
    // p = exp(log p), shared with the backward pass that computed it through the value cache
    // (values only: recomputed, and so recorded, where a tape records the sweep).
    const p = () => (isTapeOn() ? tf.exp(logp()) : cachedValue('exp', logp(), (t) => tf.exp(t)));
    const dlogp = () => (tz === null ? null : tf.sub(tz, tf.sum(tf.mul(p(), tz), -1, true)));
    const scale = a.attrs.scale as number | undefined;
    return [
      () => {
        const d = dlogp();
        const inner = sumTerms([ty === null ? null : tf.mul(ty, logp()), d === null ? null : tf.mul(a.value('0'), d)]) as tf.Tensor;
        return scale === undefined ? tf.neg(tf.sum(inner, -1)) : tf.mul(tf.sum(inner), -scale);
      },
      tz === null ? null : () => dlogp() as tf.Tensor,
    ];
  },
};

/** The built-in tangent rules: the kernels of a dense network's forward and backward passes. */
export function builtinTangentRules(): TangentRule[] {
  const rules: TangentRule[] = [
    addRule('Add'), addRule('AddV2'), subRule, mulRule, divRule, reluRule, expRule, softmaxCrossEntropyRule,
    linear('Neg', 'x', (t) => tf.neg(t)),
    linear('Sum', 'x', (t, a) => sumAxes(t, ...axes(a))),
    // hypergrad's sum over leading axes (a bias's gradient): the same sum of the tangent.
    linear('hypergrad.sumLeading', '0', (t, a) => sumAxes(t, Array.from({ length: a.attrs.leading as number }, (_d, i) => i), a.attrs.keepDims === true)),
    linear('Mean', 'x', (t, a) => tf.mean(t, ...axes(a))),
    linear('Reshape', 'x', (t, a) => tf.reshape(t, a.outputShapes[0] as number[])),
    linear('Transpose', 'x', (t, a) => tf.transpose(t, a.attrs.perm as number[])),
    linear('BroadcastTo', 'x', (t, a) => tf.broadcastTo(t, a.outputShapes[0] as number[])),
    linear('Tile', 'x', (t, a) => tf.tile(t, a.attrs.reps as number[])),
    single('Identity', () => 0, (a) => tan(a, 'x')),
    // A cast to float32 passes the tangent; to an integer type it is piecewise constant.
    single('Cast', () => 0, (a) => (a.attrs.dtype === 'float32' ? tan(a, 'x') : null)),
    ...matMulTangentRules, ...kernelTangentRules,
  ];
  rules.push(tanhRule, sigmoidRule);
  for (const name of ['Softplus', 'Relu6', 'Elu', 'Sqrt', 'Rsqrt', 'Reciprocal', 'Expm1', 'Log', 'Log1p', 'Sin', 'Cos', 'Erf', 'Abs']) {
    const derivative = elementwiseDerivative(name);
    if (derivative !== undefined) rules.push(elementwiseRule(name, derivative));
  }
  rules.push(single('Square', () => 3, (a) => {
    const p = tf.mul(tan(a, 'x') as tf.Tensor, a.value('x'));
    return tf.add(p, p);
  }, () => ['x']));
  // Piecewise-constant kernels (masks, comparisons, argmax): zero tangent, no kernel.
  for (const name of Object.keys(ZERO_GRADIENT_KERNELS)) rules.push({ kernelName: name, cost: () => 0, jvp: (a) => a.outputShapes.map(() => null) });
  return rules;
}
