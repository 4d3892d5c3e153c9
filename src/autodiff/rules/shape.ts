import * as tf from '@tensorflow/tfjs-core';
import type { Rule } from '../registry.js';
import { inputMeta } from '../registry.js';
import { many, one } from './ruleUtil.js';

/** Identity: `dx = dy`. */
export const identityRule: Rule = { kernelName: 'Identity', gradFunc: (dy) => ({ x: () => tf.clone(one(dy)) }) };

/** Reshape: `dx = reshape(dy, shape(x))`. */
export const reshapeRule: Rule = {
  kernelName: 'Reshape',
  inputsToSave: ['x'],
  shapesOnly: true,
  gradFunc: (dy, saved) => {
    const { shape } = inputMeta(saved, 0, 'x', 'Reshape');
    return { x: () => tf.reshape(one(dy), shape) };
  },
};

/** ExpandDims: `dx = reshape(dy, shape(input))`. */
export const expandDimsRule: Rule = {
  kernelName: 'ExpandDims',
  inputsToSave: ['input'],
  shapesOnly: true,
  gradFunc: (dy, saved) => {
    const { shape } = inputMeta(saved, 0, 'input', 'ExpandDims');
    return { input: () => tf.reshape(one(dy), shape) };
  },
};

/** Transpose by `perm`: `dx = transpose(dy, perm^-1)`. */
export const transposeRule: Rule = {
  kernelName: 'Transpose',
  gradFunc: (dy, _saved, attrs) => {
    const { perm } = attrs as unknown as tf.TransposeAttrs;
    const inverse = perm.map((_p, i) => perm.indexOf(i));
    return { x: () => tf.transpose(one(dy), inverse) };
  },
};

/** Cast: the identity between float types; no gradient (zeros) from an integer or boolean input. */
export const castRule: Rule = {
  kernelName: 'Cast',
  inputsToSave: ['x'],
  shapesOnly: true,
  gradFunc: (dy, saved) => {
    const x = inputMeta(saved, 0, 'x', 'Cast');
    return { x: () => (x.dtype === 'float32' ? tf.clone(one(dy)) : tf.zeros(x.shape)) };
  },
};

/** Slice: `dx = pad(dy, begin, shape(x) - begin - size)`. */
export const sliceRule: Rule = {
  kernelName: 'Slice',
  inputsToSave: ['x'],
  shapesOnly: true,
  gradFunc: (dy, saved, attrs) => {
    const x = inputMeta(saved, 0, 'x', 'Slice');
    const { begin, size } = attrs as unknown as tf.SliceAttrs;
    const [b, s] = tf.slice_util.parseSliceParams({ dataId: {}, shape: x.shape, dtype: x.dtype }, begin, size);
    const paddings = x.shape.map((d, i) => [b[i] as number, d - (b[i] as number) - (s[i] as number)] as [number, number]);
    return { x: () => tf.pad(one(dy), paddings) };
  },
};

/** PadV2: `dx = slice(dy, before, shape(x))`. */
export const padRule: Rule = {
  kernelName: 'PadV2',
  inputsToSave: ['x'],
  shapesOnly: true,
  gradFunc: (dy, saved, attrs) => {
    const x = inputMeta(saved, 0, 'x', 'PadV2');
    const { paddings } = attrs as unknown as tf.PadV2Attrs;
    return { x: () => tf.slice(one(dy), paddings.map((p) => p[0]), x.shape) };
  },
};

/** Concat along `axis`: each input receives its slice of `dy`. */
export const concatRule: Rule = {
  kernelName: 'Concat',
  saveAllInputs: true,
  gradFunc: (dy, saved, attrs) => {
    const { axis } = attrs as unknown as tf.ConcatAttrs;
    const ax = tf.util.parseAxisParam(axis, (saved[0] as tf.Tensor).shape)[0] as number;
    const sizes = saved.map((t) => t.shape[ax] as number);
    const out: Record<string, () => tf.Tensor> = {};
    saved.forEach((_t, i) => {
      out[i] = () => {
        const begin = sizes.slice(0, i).reduce((p, q) => p + q, 0);
        const start = one(dy).shape.map((_d, k) => (k === ax ? begin : 0));
        const size = one(dy).shape.map((d, k) => (k === ax ? (sizes[i] as number) : d));
        return tf.slice(one(dy), start, size);
      };
    });
    return out;
  },
};

/** SplitV along `axis`: `dx = concat(dys, axis)` (absent pieces count as zeros). */
export const splitVRule: Rule = {
  kernelName: 'SplitV',
  gradFunc: (dy, _saved, attrs) => {
    const { axis } = attrs as unknown as tf.SplitVAttrs;
    return { x: () => tf.concat(many(dy), axis) };
  },
};

/** Pack (stack) along `axis`: each input receives its slice `unstack(dy)[i]`. */
export const packRule: Rule = {
  kernelName: 'Pack',
  saveAllInputs: true,
  gradFunc: (dy, saved, attrs) => {
    const { axis } = attrs as unknown as tf.PackAttrs;
    const out: Record<string, () => tf.Tensor> = {};
    saved.forEach((_t, i) => {
      out[i] = () => {
        const g = one(dy);
        const start = g.shape.map((_d, k) => (k === axis ? i : 0));
        const size = g.shape.map((d, k) => (k === axis ? 1 : d));
        return tf.reshape(tf.slice(g, start, size), (saved[i] as tf.Tensor).shape);
      };
    });
    return out;
  },
};

/** Unpack (unstack) along `axis`: `dx = stack(dys, axis)`. */
export const unpackRule: Rule = {
  kernelName: 'Unpack',
  gradFunc: (dy, _saved, attrs) => {
    const { axis } = attrs as unknown as tf.UnpackAttrs;
    return { value: () => tf.stack(many(dy), axis) };
  },
};

/**
 * Tile by `reps`: `dx = sum over the copies`, computed by reshaping `dy` to `[r0, d0, r1, d1, ...]`
 * and summing the `r` axes.
 */
export const tileRule: Rule = {
  kernelName: 'Tile',
  inputsToSave: ['x'],
  shapesOnly: true,
  gradFunc: (dy, saved, attrs) => {
    const x = inputMeta(saved, 0, 'x', 'Tile');
    const { reps } = attrs as unknown as tf.TileAttrs;
    return {
      x: () => {
        const split = x.shape.flatMap((d, i) => [reps[i] as number, d]);
        const axes = x.shape.map((_d, i) => 2 * i);
        return tf.reshape(tf.sum(tf.reshape(one(dy), split), axes), x.shape);
      },
    };
  },
};

/** The shape-manipulation rules. */
export const shapeRules: Rule[] = [
  identityRule, reshapeRule, expandDimsRule, transposeRule, castRule, sliceRule, padRule, concatRule, splitVRule,
  packRule, unpackRule, tileRule,
];
