import * as tf from '@tensorflow/tfjs-core';
import type { Tree } from '../../tree/tree.js';
import { checkInteger } from '../../util/validate.js';
import type { FeatureExtractor } from '../deepKernelGp.js';
import { type Dense, type Rows, dense, initDense, rowsTensor } from './dense.js';

/**
 * A multilayer perceptron as a deep kernel's feature extractor: `sizes = [in, h1, ..., out]`,
 * ReLU between layers, linear output (Wilson et al. 2016's architecture, smaller). With
 * `sizes = [d]` it is the identity (a plain GP on the inputs).
 * @example
 * ```ts
 * const gp = new DeepKernelGp({ extractor: mlpExtractor([3, 32, 2]) });
 * ```
 */
export function mlpExtractor(sizes: readonly number[]): FeatureExtractor<Rows> {
  if (!Array.isArray(sizes) || sizes.length < 1) throw new Error(`mlpExtractor: sizes must be [in, ..., out], got ${JSON.stringify(sizes)}`);
  sizes.forEach((s, i) => checkInteger('mlpExtractor', `sizes[${i}]`, s, { min: 1 }));
  const inDim = sizes[0] as number;
  return {
    dim: sizes[sizes.length - 1] as number,
    init: (rand) => sizes.slice(1).map((out, i) => initDense(sizes[i] as number, out, rand)) as Tree,
    apply: (params, rows) => {
      if (rows.width !== inDim) throw new Error(`mlpExtractor: rows have width ${rows.width}, the network takes ${inDim}`);
      const layers = params as Dense[];
      let h = rowsTensor(rows);
      layers.forEach((layer, i) => {
        h = dense(layer, h);
        if (i < layers.length - 1) h = tf.relu(h) as tf.Tensor2D;
      });
      return h;
    },
  };
}
