import type * as tf from '@tensorflow/tfjs-core';
import type { Tree } from '../../tree/tree.js';
import { checkOneOf } from '../../util/validate.js';
import { flatEncoder } from './flatEncoder.js';
import { type GraphEncoderOptions, graphEncoder } from './graphEncoder.js';
import { statisticsEncoder } from './statisticsEncoder.js';
import type { MlpWeights } from './weightGraph.js';

/**
 * An encoder of network checkpoints for a deep kernel: `prepare` turns one checkpoint into
 * host-side inputs once (a graph, statistics, a flat vector), `apply` embeds a batch of them with
 * trainable parameters, differentiably (the deep kernel trains it on the marginal likelihood).
 */
export interface WeightEncoder<P> {
  /** The embedding dimension. */
  readonly dim: number;
  /** Host-side inputs of one checkpoint (computed once, reused at every training step). */
  prepare(weights: MlpWeights): P;
  /** Fresh parameters. */
  init(rand: () => number): Tree;
  /** Embeddings `[batch.length, dim]`. */
  apply(params: Tree, batch: readonly P[]): tf.Tensor2D;
}

/**
 * How FMS reads checkpoints: the permutation-invariant graph encoder (the method), or one of the
 * paper's ablations: per-layer weight statistics, or the flattened weights.
 */
export type WeightEncoderOptions =
  | ({
      /** The graph metanetwork ({@link graphEncoder}). */
      type: 'graph';
    } & GraphEncoderOptions)
  | {
      /** Per-layer statistics ({@link statisticsEncoder}). */
      type: 'statistics';
      /** Embedding dimension; default 4. */
      out?: number;
      /** Hidden width of its MLP; default 16. */
      hidden?: number;
    }
  | {
      /** Flattened weights ({@link flatEncoder}). */
      type: 'flat';
      /** Length the weights are cut or padded to; default 2048. */
      length?: number;
      /** Embedding dimension; default 4. */
      out?: number;
    };

/** The encoder an option selects. */
export function weightEncoder(options: WeightEncoderOptions): WeightEncoder<unknown> {
  const type = checkOneOf('weightEncoder', 'type', options?.type, ['graph', 'statistics', 'flat'] as const);
  if (type === 'graph') return graphEncoder(options as GraphEncoderOptions) as WeightEncoder<unknown>;
  if (type === 'statistics') return statisticsEncoder(options as { out?: number; hidden?: number }) as WeightEncoder<unknown>;
  return flatEncoder(options as { length?: number; out?: number }) as WeightEncoder<unknown>;
}
