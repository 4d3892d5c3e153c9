import type * as tf from '@tensorflow/tfjs-core';
import type { Tree } from '../tree/tree.js';

/** Which part of a global batch a replica computes on. */
export interface Shard {
  /** This replica's index, 0..count-1. */
  index: number;
  /** Number of replicas (1: the whole batch). */
  count: number;
}

/**
 * What a data-parallel problem is, as a module every replica loads: the loss on a batch and the
 * batches themselves, by key and shard. Each replica builds its own copy (data included), so
 * nothing but parameters and results crosses threads.
 */
export interface ReplicaProgram<B = unknown> {
  /**
   * The loss on `batch`, a mean over its examples (so that the mean over equal shards is the loss
   * on the global batch), given the problem's parameters and its upper problems' by name.
   */
  loss(params: Tree, uppers: Record<string, Tree>, batch: B): tf.Scalar;
  /** Shard `shard.index` of `shard.count` equal parts of the global batch `key` (tensors owned by the caller). */
  batch(key: number, shard: Shard): B;
  /** Frees a batch made by `batch`. */
  disposeBatch?(batch: B): void;
}

/**
 * A module file exporting a function that builds a {@link ReplicaProgram} (sync or async), from
 * the `args` given to `DataParallel.create` (a structured-clonable value, e.g. problem sizes).
 */
export type ReplicaFactory<B = unknown> = (args?: unknown) => ReplicaProgram<B> | Promise<ReplicaProgram<B>>;
