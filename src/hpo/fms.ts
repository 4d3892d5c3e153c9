import { type CheckpointOptions, type FreezeThawOptimizer, type FreezeThawOptions, freezeThawBo } from './freezeThawBo.js';

/** Options of {@link fms}: DyHPO's, plus where the checkpoints come from and how they are encoded. */
export type FmsOptions = FreezeThawOptions & CheckpointOptions;

/**
 * Forecasting Model Search (Mehta et al. 2024, "Improving Hyperparameter Optimization with
 * Checkpointed Model Weights"): DyHPO whose deep kernel also reads the weights of each run's
 * latest checkpoint. The features of an observation (x, b) join DyHPO's (configuration, budget,
 * curve before b) with the embedding of the network's weights after epoch b - 1 (the pretrained
 * network for b = 1) by a permutation-invariant graph metanetwork (`weights: {type: 'graph'}`,
 * message passing on the network's graph with `gather` and `unsortedSegmentSum`, mean pooling);
 * the ablations `{type: 'statistics'}` (per-layer weight statistics) and `{type: 'flat'}`
 * (flattened weights) replace it. Everything is fitted jointly on the marginal likelihood, and
 * the next trial is chosen by DyHPO's multi-fidelity expected improvement. The `transfer`
 * option first fits the surrogate on runs of other tasks. Written from the paper (its code is
 * under a proprietary licence); sizes are smaller than the paper's for CPU speed.
 * @example
 * ```ts
 * const zoo = zooBenchmark();
 * const opt = fms({ searchSpace: zoo.searchSpace, maxResource: zoo.fidelity.max, candidates: zoo.candidates, checkpoints: zoo.checkpoint });
 * ```
 */
export function fms(options: FmsOptions): FreezeThawOptimizer {
  if (typeof options?.checkpoints !== 'function') {
    throw new Error('fms: checkpoints must be a function (config, epoch) => the run\'s weights (a benchmark that reports checkpoints, such as zoo)');
  }
  return freezeThawBo('fms', { fitBatch: 64, ...options }, options);
}
