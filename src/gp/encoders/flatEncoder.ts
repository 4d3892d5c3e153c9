import * as tf from '@tensorflow/tfjs-core';
import type { Tree } from '../../tree/tree.js';
import { checkInteger } from '../../util/validate.js';
import { type Dense, dense, initDense } from '../extractors/dense.js';
import { concat } from './statisticsEncoder.js';
import type { WeightEncoder } from './weightEncoder.js';
import { type MlpWeights, checkMlpWeights } from './weightGraph.js';

/**
 * The flattened weights of a checkpoint, layer by layer (weights row-major, then bias), cut or
 * zero-padded to `length`: FMS's second ablation. Not invariant to permuting hidden units, and
 * networks of different shapes line up position by position only by accident; it shows what the
 * graph encoder's symmetry buys.
 */
export function flattenWeights(w: MlpWeights, length: number): Float32Array {
  checkMlpWeights('flattenWeights', w);
  const out = new Float32Array(length);
  let at = 0;
  for (const l of w) {
    for (const part of [l.weights, l.bias]) {
      const take = Math.min(part.length, length - at);
      if (take <= 0) return out;
      out.set(part.subarray(0, take), at);
      at += take;
    }
  }
  return out;
}

/** The flattened-weights ablation as a {@link WeightEncoder}: {@link flattenWeights}, then one dense layer. */
export function flatEncoder({ length = 2048, out = 4 }: { length?: number; out?: number } = {}): WeightEncoder<Float32Array> {
  checkInteger('flatEncoder', 'length', length, { min: 1 });
  checkInteger('flatEncoder', 'out', out, { min: 1 });
  return {
    dim: out,
    prepare: (w) => flattenWeights(w, length),
    init: (rand) => initDense(length, out, rand) as unknown as Tree,
    apply: (params, batch) => dense(params as unknown as Dense, tf.tensor2d(concat(batch), [batch.length, length])),
  };
}
