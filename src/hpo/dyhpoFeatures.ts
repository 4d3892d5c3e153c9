import * as tf from '@tensorflow/tfjs-core';
import type { FeatureExtractor } from '../gp/deepKernelGp.js';
import { type Dense, type Rows, dense, initDense, initWeights, rowsTensor } from '../gp/extractors/dense.js';
import type { WeightEncoder } from '../gp/encoders/weightEncoder.js';
import type { Tree } from '../tree/tree.js';
import { checkInteger } from '../util/validate.js';

/**
 * The surrogate's inputs for a batch of (configuration, budget) pairs: the configuration in the
 * unit cube with the budget as a fraction of the maximum, the learning curve observed before
 * that budget (zero-padded), and, for FMS, the prepared checkpoint the run had then.
 */
export interface FreezeThawInputs {
  /** `[n, d + 1]`: the unit-encoded configuration, then `budget / maxBudget`. */
  configs: Rows;
  /** `[n, maxBudget - 1]`: the objective after epochs 1..budget-1, zeros after. */
  curves: Rows;
  /** FMS: one prepared checkpoint per row (the weights after epoch budget-1; the pretrained ones at budget 1). */
  checkpoints?: readonly unknown[];
}

/** Options of {@link freezeThawExtractor}. */
export interface FreezeThawExtractorOptions {
  /** Width of the configuration's dense layers; default 32. */
  hidden?: number;
  /** Filters of the curve's convolution; default 4. */
  filters?: number;
  /** Feature dimension; default 8. */
  out?: number;
  /** FMS: an encoder of the checkpoint weights whose embedding joins the features. */
  weights?: WeightEncoder<unknown>;
}

type Params = { config: [Dense, Dense]; conv: tf.Tensor3D; convBias: tf.Tensor1D; head: Dense; weights?: Tree };

/** Selects rows of {@link FreezeThawInputs}. */
export function selectRows(inputs: FreezeThawInputs, rows: readonly number[]): FreezeThawInputs {
  const pick = (r: Rows) => {
    const v = new Float32Array(rows.length * r.width);
    rows.forEach((i, k) => v.set(r.values.subarray(i * r.width, (i + 1) * r.width), k * r.width));
    return { values: v, width: r.width };
  };
  return { configs: pick(inputs.configs), curves: pick(inputs.curves), ...(inputs.checkpoints ? { checkpoints: rows.map((i) => inputs.checkpoints?.[i]) } : {}) };
}

/**
 * DyHPO's feature extractor (Wistuba et al. 2022), smaller: the configuration and budget through
 * two dense layers (ReLU), the partial learning curve through a 1-D convolution (kernel 3,
 * `filters` channels, ReLU) and a max pooling over time; for FMS (Mehta et al. 2024) the
 * checkpoint's embedding by a {@link WeightEncoder}; concatenated, through a ReLU and a linear
 * layer to `out` features.
 */
export function freezeThawExtractor(configDim: number, curveLength: number, options: FreezeThawExtractorOptions = {}): FeatureExtractor<FreezeThawInputs> {
  const { hidden = 32, filters = 4, out = 8, weights } = options;
  checkInteger('freezeThawExtractor', 'configDim', configDim, { min: 1 });
  checkInteger('freezeThawExtractor', 'curveLength', curveLength, { min: 1 });
  checkInteger('freezeThawExtractor', 'hidden', hidden, { min: 2 });
  checkInteger('freezeThawExtractor', 'filters', filters, { min: 1 });
  const half = Math.floor(hidden / 2);
  const joined = half + filters + (weights?.dim ?? 0);
  return {
    dim: out,
    init: (rand) => ({
      config: [initDense(configDim, hidden, rand), initDense(hidden, half, rand)],
      conv: tf.tidy(() => tf.reshape(initWeights(3, filters, rand), [3, 1, filters])) as tf.Tensor3D,
      convBias: tf.zeros([filters]) as tf.Tensor1D,
      head: initDense(joined, out, rand),
      ...(weights ? { weights: weights.init(rand) } : {}),
    }) as unknown as Tree,
    apply: (params, inputs) => {
      const p = params as unknown as Params;
      const n = inputs.configs.values.length / inputs.configs.width;
      const a = dense(p.config[1], tf.relu(dense(p.config[0], rowsTensor(inputs.configs))) as tf.Tensor2D);
      const curve = tf.reshape(rowsTensor(inputs.curves), [n, curveLength, 1]) as tf.Tensor3D;
      const c = tf.max(tf.relu(tf.add(tf.conv1d(curve, p.conv, 1, 'same'), p.convBias)), 1) as tf.Tensor2D;
      const parts: tf.Tensor2D[] = [a, c];
      if (weights !== undefined) {
        if (inputs.checkpoints === undefined || inputs.checkpoints.length !== n) throw new Error(`freezeThawExtractor: needs one checkpoint per row (${n}), got ${inputs.checkpoints?.length ?? 0}`);
        // Rows often share a checkpoint (every new configuration of a zoo model starts from the same
        // pretrained weights): encode each distinct one once and gather its embedding per row.
        const distinct = new Map<unknown, number>();
        const index = inputs.checkpoints.map((c) => {
          if (!distinct.has(c)) distinct.set(c, distinct.size);
          return distinct.get(c) as number;
        });
        const embedded = weights.apply(p.weights as Tree, [...distinct.keys()]);
        parts.push(index.every((v, i) => v === i) ? embedded : (tf.gather(embedded, tf.tensor1d(index, 'int32')) as tf.Tensor2D));
      }
      return dense(p.head, tf.relu(tf.concat(parts, 1)) as tf.Tensor2D);
    },
    subset: selectRows,
  };
}
