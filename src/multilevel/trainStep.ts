import * as tf from '@tensorflow/tfjs-core';
import { type SkipCause, mixedPrecisionUpdate, nonFiniteCount, nonFiniteFlag } from '../precision/mixedPrecision.js';
import { type Tree, tidyTree, treeDispose } from '../tree/tree.js';
import { replayInnerLoop } from './hypergradients/unrolled.js';
import { nonFiniteLossError, nonFiniteParamsError, unreadUpdateError } from './diagnose.js';
import { type StepOutcome, disposeExcept, innerStep } from './innerStep.js';
import type { UnreadLosses } from './unreadLosses.js';
import type { Snapshot } from '../precision/snapshot.js';
import type { ProblemNode } from './program.js';
import { batchOf, innerLoopOf } from './response.js';

/** What one training step of a problem did. */
export type StepReport =
  /** Drew a micro-batch; the update is not complete yet. */
  | { kind: 'pending' }
  /** Recorded a deferred update (computed later, inside the parents' objectives). */
  | { kind: 'deferred'; step: number }
  /** Made update `step` (1-based count after it); its loss and metrics are reported once read. */
  | { kind: 'update'; step: number }
  /** Skipped a non-finite update (mixed precision) for `cause`; the loss scale is now `lossScale`. */
  | { kind: 'skip'; step: number; lossScale: number | null; cause: SkipCause };

/** Where a training step's numbers go: the engine's queue of unread values, and who hears of each update once read. */
export interface StepSink {
  /** The engine's unread values. */
  unread: UnreadLosses;
  /** Update `step` of the problem had this mean loss and these metrics (called in order, once read). */
  updated: (step: number, loss: number, metrics: Record<string, number>) => void;
}

/**
 * One training step of `node`'s problem: draws a batch and, once `gradientAccumulation`
 * micro-batches are in, makes one update with the pure inner step (through mixed precision's
 * wrapper), commits it and records it in the inner loop. A deferred problem (`defer`) only records
 * the update. With `metrics`, the training step's metrics are kept for the report.
 *
 * No synchronous host read on GPU backends: the update's loss and the sums of its new parameters
 * and of its gradient (finite unless an entry is Inf or NaN; see `nonFiniteFlag`, one kernel per
 * leaf) stay on the device in `sink.unread`, read in batches (one `await data()`). Where the queue
 * reads at push (host memory: cpu, wasm), they are read at once and small leaves are checked on
 * the host, settled at the same points. A top-level update (a problem no unfrozen problem waits on) first reads
 * everything kept and its own numbers, before it commits: an update whose loss or parameters are
 * not finite throws, naming this problem and the cause (the gradient it used tells a non-finite
 * gradient from an overflow; a sum that overflowed from finite entries is counted
 * exactly and passes). A lower problem's update is committed at once and checked when read, from
 * the sums kept with it (the same errors, naming it and the update).
 */
export async function trainStep(node: ProblemNode, defer: boolean, metrics: boolean, sink: StepSink): Promise<StepReport> {
  const { problem } = node;
  const { unread } = sink;
  problem.beginInnerLoop();
  const batch = await problem.nextBatch();
  const stream = problem.stream;
  stream.pending.push(batch);
  if (stream.pending.length < problem.config.gradientAccumulation) return { kind: 'pending' };
  const batches = stream.pending;
  stream.pending = [];
  const k = problem.updates;
  if (defer && k >= problem.config.warmupSteps) {
    problem.loop.push({ batches, step: k, scale: problem.scaler?.scale ?? 1 }, null, true);
    problem.updates++;
    return { kind: 'deferred', step: problem.updates };
  }
  const readNow = node.parents.length === 0 || unread.full;
  const read: Record<string, number | tf.Tensor> = {};
  const dropMetrics = () => tf.dispose(Object.values(read).filter((v): v is tf.Tensor => typeof v !== 'number'));
  let outcome: StepOutcome | null;
  let snapshot: Snapshot | null;
  let current: Tree[] = [];
  const scaleNow = problem.scaler?.scale ?? 1;
  try {
    catchUp(node);
    const theta = node.uppers.map((u) => u.problem.params);
    snapshot = problem.loop.snapshot(problem.params, problem.optimizerState);
    current = [problem.params, problem.optimizerState];
    const r = mixedPrecisionUpdate(problem.precision, problem.scaler, (scale) =>
      innerStep(node.stepAt(scale, metrics ? read : undefined), problem.params, problem.optimizerState, batches, theta, k, { keepGradient: true }),
    (o) => disposeExcept([o.loss, o.params, o.state, o.grads ?? []], current));
    problem.scaler = r.scaler;
    outcome = r.outcome;
    if (outcome === null) {
      dropMetrics();
      return { kind: 'skip', step: k, lossScale: r.scaler?.scale ?? null, cause: r.skipped ?? 'loss' };
    }
  } catch (e) {
    dropMetrics();
    // An earlier update's unread non-finite values are the likelier cause: they throw first.
    if (unread.size > 0) await unread.read();
    throw e;
  }
  const out = outcome;
  // Scalars (or numbers), each kept as it is: the queue stacks the scalars with one kernel when it
  // reads. Where it reads at once (host memory), small leaves are checked on the host, with no kernel.
  const onHost = unread.readAtPush;
  const stats = [out.loss, nonFiniteFlag(out.params, onHost), ...(readNow ? [] : [nonFiniteFlag(out.grads ?? [], onHost)])];
  // The gradient the update used: kept for a top-level update's diagnosis until its numbers are read.
  const grads = out.grads ?? [];
  const dropGrads = () => disposeExcept([grads], [...current, out.params, out.state]);
  if (readNow) {
    let values: readonly number[] = [];
    let m: Record<string, number> = {};
    unread.push({ values: stats, metrics: read, settle: (v, mv) => { values = v; m = mv; } });
    try {
      await unread.read();
    } catch (e) {
      dropGrads();
      disposeExcept([out.params, out.state], current);
      throw e;
    }
    const [loss, paramsSum] = values as [number, number];
    // The flag is a sum: where it overflowed, count the entries exactly (the parameters are at hand).
    if (!Number.isFinite(loss) || (!Number.isFinite(paramsSum) && (await countNonFinite(out.params)) > 0)) {
      const params = out.params;
      disposeExcept([out.state], current);
      try {
        throw Number.isFinite(loss) ? nonFiniteParamsError(node, k, params, grads) : nonFiniteLossError(node, k, loss);
      } finally {
        dropGrads();
        disposeExcept([params], current);
      }
    }
    dropGrads();
    commit(node, out, batches, k, scaleNow, snapshot);
    sink.updated(problem.updates, loss, m);
    return { kind: 'update', step: problem.updates };
  }
  dropGrads();
  commit(node, out, batches, k, scaleNow, snapshot);
  const step = problem.updates;
  unread.push({
    values: stats, metrics: read,
    settle: ([loss, paramsSum, gradsSum], m) => {
      if (!Number.isFinite(loss as number) || !Number.isFinite(paramsSum as number)) throw unreadUpdateError(node, k, loss as number, !Number.isFinite(gradsSum as number));
      sink.updated(step, loss as number, m);
    },
  });
  return { kind: 'update', step };
}

/** How many entries of `t` are Inf or NaN (one asynchronous read; only where a flag fired). */
async function countNonFinite(t: Tree): Promise<number> {
  const c = nonFiniteCount(t);
  try {
    return (await c.data())[0] as number;
  } finally {
    c.dispose();
  }
}

/** Commits update `k` of `node` and records it in its inner loop. */
function commit(node: ProblemNode, out: StepOutcome, batches: unknown[], k: number, scale: number, snapshot: Snapshot | null): void {
  const { problem } = node;
  problem.commit(out.params, out.state);
  problem.loop.push({ batches, step: k, scale }, snapshot);
  problem.updates++;
}

/**
 * Brings a deferred problem's parameters up to date: takes the result a parent's objective
 * computed for its pending updates, or replays them now with the uppers' current parameters (as
 * constants). A no-op when nothing is pending.
 */
export function catchUp(node: ProblemNode): void {
  const { problem } = node;
  const loop = problem.loop;
  if (loop.pending === 0) return;
  const captured = loop.result;
  if (captured !== null) {
    problem.restore(captured[0], captured[1]);
  } else {
    const theta = node.uppers.map((u) => u.problem.params);
    const [w, s] = tidyTree(() => replayInnerLoop(node.name, innerLoopOf(node), theta));
    problem.restore(w, s);
    treeDispose([w, s]);
  }
  loop.settle();
}

/** The total gradient of `node`'s loss on its current batch (the direct term and every hypergradient below it). */
export function totalGradient(node: ProblemNode): Tree {
  const { problem } = node;
  catchUp(node);
  const batch = batchOf(node);
  const theta = node.uppers.map((u) => u.problem.params);
  return tidyTree(() => {
    const r = node.stepAt(problem.scaler?.scale ?? 1).gradient(problem.params, theta, batch);
    r.loss.dispose();
    return r.grads;
  });
}
