import * as tf from '@tensorflow/tfjs-core';
import type { Rule } from '../registry.js';
import { one, savedAt } from './ruleUtil.js';

const prod = (xs: readonly number[]): number => xs.reduce((p, q) => p * q, 1);

/**
 * GatherV2 along `axis` (batchDims 0): `dx` scatters `dy` back to the gathered rows, summing rows
 * gathered more than once. Written with ScatterNd (present on every backend), whose own rule is
 * GatherNd, so the pair is differentiable to any order.
 */
export const gatherV2Rule: Rule = {
  kernelName: 'GatherV2',
  inputsToSave: ['x', 'indices'],
  gradFunc: (dy, saved, attrs) => {
    const x = savedAt(saved, 0, 'GatherV2');
    const indices = savedAt(saved, 1, 'GatherV2');
    const { axis, batchDims } = attrs as unknown as tf.GatherV2Attrs;
    if ((batchDims ?? 0) !== 0) {
      throw new Error(`hypergrad: the GatherV2 rule supports batchDims = 0, got ${batchDims}`);
    }
    const ax = tf.util.parseAxisParam(axis, x.shape)[0] as number;
    return {
      x: () => {
        const outer = x.shape.slice(0, ax);
        const inner = x.shape.slice(ax + 1);
        const nIdx = indices.size;
        const g = one(dy);
        const idxRank = indices.rank;
        const perm = [
          ...Array.from({ length: idxRank }, (_v, i) => outer.length + i),
          ...Array.from({ length: outer.length }, (_v, i) => i),
          ...Array.from({ length: inner.length }, (_v, i) => outer.length + idxRank + i),
        ];
        const rows = tf.reshape(tf.transpose(g, perm), [nIdx, prod(outer), prod(inner)]);
        const scattered = tf.scatterND(
          tf.reshape(tf.cast(indices, 'int32'), [nIdx, 1]),
          rows,
          [x.shape[ax] as number, prod(outer), prod(inner)],
        );
        const back = tf.reshape(scattered, [x.shape[ax] as number, ...outer, ...inner]);
        const invPerm = [
          ...Array.from({ length: outer.length }, (_v, i) => i + 1),
          0,
          ...Array.from({ length: inner.length }, (_v, i) => outer.length + 1 + i),
        ];
        return tf.transpose(back, invPerm);
      },
      indices: () => tf.zeros(indices.shape),
    };
  },
};

/** GatherNd: `dparams = scatterNd(indices, dy, shape(params))`. */
export const gatherNdRule: Rule = {
  kernelName: 'GatherNd',
  inputsToSave: ['params', 'indices'],
  gradFunc: (dy, saved) => {
    const params = savedAt(saved, 0, 'GatherNd');
    const indices = savedAt(saved, 1, 'GatherNd');
    return {
      params: () => tf.scatterND(indices, one(dy), params.shape),
      indices: () => tf.zeros(indices.shape),
    };
  },
};

/** ScatterNd (duplicates summed): `dupdates = gatherNd(dy, indices)`. */
export const scatterNdRule: Rule = {
  kernelName: 'ScatterNd',
  inputsToSave: ['indices'],
  gradFunc: (dy, saved) => {
    const indices = savedAt(saved, 0, 'ScatterNd');
    return {
      updates: () => tf.gatherND(one(dy), indices),
      indices: () => tf.zeros(indices.shape),
    };
  },
};

/** OneHot: the indices are integers; they receive no gradient (zeros). */
export const oneHotRule: Rule = {
  kernelName: 'OneHot',
  inputsToSave: ['indices'],
  gradFunc: (_dy, saved) => ({ indices: () => tf.zeros(savedAt(saved, 0, 'OneHot').shape) }),
};

/** The gather and scatter rules. */
export const gatherRules: Rule[] = [gatherV2Rule, gatherNdRule, scatterNdRule, oneHotRule];
