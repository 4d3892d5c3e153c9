import { type Tree, treeFlatten } from '../tree/tree.js';
import type { HypergradientOptions } from './hypergradients/types.js';
import type { Problem } from './problem.js';

/**
 * Parameter-sized buffers the tape of one recorded inner step keeps for a plain (deferred)
 * unrolled hypergradient: the step's inputs and outputs, the gradient and the optimizer's
 * intermediates (measured: 7-8 with SGD at 1e6 parameters), plus two per extra micro-batch.
 */
export const TAPE_BUFFERS_PER_STEP = 8;

/** The estimate above which an unrolled hypergradient is checkpointed automatically: 1 GiB. */
export const DEFAULT_UNROLLED_MEMORY_LIMIT = 2 ** 30;

/** What the engine decided for a problem differentiated by `unrolled` without checkpoints. */
export interface UnrolledMemoryPlan {
  /** The problem. */
  problem: string;
  /** The recorded steps one hypergradient differentiates through (at most). */
  steps: number;
  /** The estimated bytes of the tape through those steps. */
  estimatedBytes: number;
  /** The limit it was compared with (`EngineConfig.unrolledMemoryLimit`). */
  limitBytes: number;
  /** Whether the estimate exceeded the limit, so the problem runs with fp32 checkpoints instead. */
  checkpointed: boolean;
}

/** What {@link unrolledTapeEstimate} returns. */
export interface TapeEstimate {
  /** The recorded steps differentiated through. */
  steps: number;
  /** The estimated bytes of their tape. */
  bytes: number;
}

/** Bytes of a tree's float leaves (4 per entry). */
function treeBytes(t: Tree): number {
  return treeFlatten(t).leaves.reduce((n, x) => n + 4 * x.size, 0);
}

/**
 * The memory of a plain unrolled hypergradient through `problem`'s inner loop, estimated before it
 * starts: `K (b P + 2 S)` bytes for K tracked steps (`warmupSteps + unrollSteps`, at most
 * `truncate`), P bytes of parameters with `b = TAPE_BUFFERS_PER_STEP + 2 (micro-batches - 1)`
 * buffers each, and S bytes of optimizer state (kept before and after each step). Null when the
 * problem is not differentiated by plain unrolled (checkpoints already, or another method).
 */
export function unrolledTapeEstimate(problem: Problem): TapeEstimate | null {
  const o = problem.config.hypergradient;
  if (o.method !== 'unrolled' || o.checkpoints !== undefined) return null;
  const { warmupSteps, unrollSteps, gradientAccumulation } = problem.config;
  const steps = Math.min(o.truncate ?? Infinity, warmupSteps + unrollSteps);
  const buffers = TAPE_BUFFERS_PER_STEP + 2 * (gradientAccumulation - 1);
  return { steps, bytes: steps * (buffers * treeBytes(problem.params) + 2 * treeBytes(problem.optimizerState)) };
}

/**
 * The hypergradient options `problem` runs with under a memory limit: a plain unrolled
 * hypergradient whose tape is estimated above `limitBytes` switches to fp32 checkpoints (the same
 * hypergradient, exactly: a reverse sweep from float32 snapshots, one step's tape at a time); the
 * plan says what was estimated and decided (null for other methods).
 */
export function planUnrolledMemory(problem: Problem, limitBytes: number): { options: HypergradientOptions; plan: UnrolledMemoryPlan | null } {
  const o = problem.config.hypergradient;
  const e = unrolledTapeEstimate(problem);
  if (e === null || o.method !== 'unrolled') return { options: o, plan: null };
  const checkpointed = e.bytes > limitBytes;
  return {
    options: checkpointed ? { ...o, checkpoints: 'fp32' } : o,
    plan: { problem: problem.name, steps: e.steps, estimatedBytes: e.bytes, limitBytes, checkpointed },
  };
}
