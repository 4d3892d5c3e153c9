import * as tf from '@tensorflow/tfjs-core';
import { SingularValueDecomposition } from 'ml-matrix';
import { Matrix } from 'ml-matrix';
import type { Tree } from '../../tree/tree.js';
import { checkInteger } from '../../util/validate.js';
import { type Dense, dense, initDense } from '../extractors/dense.js';
import type { WeightEncoder } from './weightEncoder.js';
import { type DenseWeights, type MlpWeights, checkMlpWeights } from './weightGraph.js';

/** Statistics of one weight matrix and its bias (see {@link weightStatistics}). */
const PER_LAYER = 16;

function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

function layerStatistics(l: DenseWeights): number[] {
  const w = Float64Array.from(l.weights);
  const n = w.length;
  const mean = w.reduce((a, b) => a + b, 0) / n;
  const variance = w.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  const sorted = Float64Array.from(w).sort();
  const l1 = w.reduce((a, b) => a + Math.abs(b), 0) / n;
  const rms = Math.sqrt(w.reduce((a, b) => a + b * b, 0) / n);
  const rows = Array.from({ length: l.inDim }, (_v, i) => Array.from(w.subarray(i * l.outDim, (i + 1) * l.outDim)));
  const sv = new SingularValueDecomposition(new Matrix(rows), { computeLeftSingularVectors: false, computeRightSingularVectors: false }).diagonal;
  const b = Float64Array.from(l.bias);
  const bMean = b.reduce((a, c) => a + c, 0) / b.length;
  const bStd = Math.sqrt(b.reduce((a, c) => a + (c - bMean) ** 2, 0) / b.length);
  return [
    mean, Math.sqrt(variance), quantile(sorted, 0), quantile(sorted, 0.25), quantile(sorted, 0.5), quantile(sorted, 0.75), quantile(sorted, 1), l1, rms,
    sv[0] ?? 0, sv[1] ?? 0, sv[2] ?? 0, bMean, bStd, Math.min(...b), Math.max(...b),
  ];
}

/**
 * Per-layer weight statistics of a checkpoint (FMS's first ablation, after Unterthiner et al.
 * 2020): for each weight matrix the mean, standard deviation, quantiles 0, .25, .5, .75, 1, mean
 * absolute value, root mean square and three largest singular values (ml-matrix's SVD), and
 * the bias's mean, standard deviation, min and max; taken for the first layer, the last layer
 * and averaged over the layers between (zeros when there are none), then the number of layers
 * and the mean hidden width / 32: `3 x 16 + 2 = 50` numbers. Invariant to permuting hidden units.
 */
export function weightStatistics(w: MlpWeights): Float32Array {
  checkMlpWeights('weightStatistics', w);
  const stats = w.map(layerStatistics);
  const middle = stats.slice(1, -1);
  const mid = new Array<number>(PER_LAYER).fill(0);
  for (const s of middle) s.forEach((v, i) => (mid[i] = (mid[i] as number) + v / middle.length));
  const hidden = w.slice(0, -1).map((l) => l.outDim);
  const width = hidden.length === 0 ? 0 : hidden.reduce((a, b) => a + b, 0) / hidden.length / 32;
  return Float32Array.from([...(stats[0] as number[]), ...(w.length > 1 ? (stats[stats.length - 1] as number[]) : new Array<number>(PER_LAYER).fill(0)), ...mid, w.length, width]);
}

/** Length of {@link weightStatistics}' vector. */
export const STATISTICS_LENGTH = 3 * PER_LAYER + 2;

/** The statistics ablation as a {@link WeightEncoder}: {@link weightStatistics}, then a one-hidden-layer ReLU MLP. */
export function statisticsEncoder({ out = 4, hidden = 16 }: { out?: number; hidden?: number } = {}): WeightEncoder<Float32Array> {
  checkInteger('statisticsEncoder', 'out', out, { min: 1 });
  checkInteger('statisticsEncoder', 'hidden', hidden, { min: 1 });
  return {
    dim: out,
    prepare: weightStatistics,
    init: (rand) => [initDense(STATISTICS_LENGTH, hidden, rand), initDense(hidden, out, rand)] as unknown as Tree,
    apply: (params, batch) => {
      const [a, b] = params as unknown as [Dense, Dense];
      const x = tf.tensor2d(concat(batch), [batch.length, STATISTICS_LENGTH]);
      return dense(b, tf.relu(dense(a, x)) as tf.Tensor2D);
    },
  };
}

/** Rows concatenated into one array. */
export function concat(rows: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(rows.reduce((s, r) => s + r.length, 0));
  let at = 0;
  for (const r of rows) {
    out.set(r, at);
    at += r.length;
  }
  return out;
}
