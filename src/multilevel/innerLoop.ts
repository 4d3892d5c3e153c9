import * as tf from '@tensorflow/tfjs-core';
import type { Precision } from '../precision/formats.js';
import { type Snapshot, snapshotTree } from '../precision/snapshot.js';
import { type Tree, tidyTree, treeDispose, treeMap } from '../tree/tree.js';

/** One recorded update: its micro-batches, its 0-based update index and the loss scale it ran at. */
export interface RecordedStep<B> {
  /** The micro-batches, in the order they were drawn. */
  readonly batches: readonly B[];
  /** The update's index (the optimizer's `step` argument). */
  readonly step: number;
  /** The loss scale of the update (1 without loss scaling). */
  readonly scale: number;
}

/**
 * The record of an inner loop, for the methods that replay it (`unrolled`, `es`): the state at the
 * loop's start and every update made since, so that the loop is a pure function of the uppers'
 * parameters.
 */
export interface InnerLoopRecord<P extends Tree, B> {
  /** Parameters at the start of the inner loop. */
  readonly startParams: P;
  /** Optimizer state at the start. */
  readonly startState: Tree;
  /** Update count at the start. */
  readonly startStep: number;
  /** The updates since the start. */
  readonly steps: readonly RecordedStep<B>[];
  /**
   * Parameters and optimizer state before each update, kept on the host in the format of the
   * `unrolled` method's `checkpoints` (empty without them).
   */
  readonly snapshots: readonly Snapshot[];
}

/** Copies of a tree's leaves, owned by the caller. */
export function cloneTree<T extends Tree>(t: T): T {
  return tidyTree(() => treeMap((x) => tf.keep(tf.clone(x)), t));
}

/** What an inner loop keeps: the updates' batches and start state, and snapshots in a format. */
export interface RecordPolicy {
  /** Keep the start state and each update's batches. */
  record: boolean;
  /** Snapshot (params, state) before each update in this format. */
  snapshots: Precision | null;
}

/**
 * The inner loop of one problem: its record (see {@link InnerLoopRecord}) under a
 * {@link RecordPolicy}, and, for a deferred problem, the updates recorded but not yet applied to
 * its parameters with the result a parent's objective computed for them.
 */
export class InnerLoop<P extends Tree, B> {
  private rec: { startParams: P; startState: Tree; startStep: number; steps: RecordedStep<B>[]; snapshots: Snapshot[]; owned: boolean } | null = null;
  /** Recorded updates not yet reflected in the parameters (deferred problems only). */
  pending = 0;
  private captured: [P, Tree] | null = null;

  constructor(public policy: RecordPolicy = { record: true, snapshots: null }) {}

  /** The record (an empty one at the current start when the policy records nothing). */
  get record(): InnerLoopRecord<P, B> {
    if (this.rec === null) throw new Error('InnerLoop: no inner loop started');
    return this.rec;
  }

  /** Whether a loop has started and keeps a record. */
  get recording(): boolean {
    return this.rec !== null && this.policy.record;
  }

  /** Starts a loop at `(params, state)` after `step` updates (the previous record is freed). */
  start(params: P, state: Tree, step: number): void {
    this.dispose();
    const keep = this.policy.record;
    this.rec = { startParams: keep ? cloneTree(params) : ([] as unknown as P), startState: keep ? cloneTree(state) : [], startStep: step, steps: [], snapshots: [], owned: keep };
  }

  /** The snapshot to take before an update, under the policy (null without checkpoints). */
  snapshot(params: P, state: Tree): Snapshot | null {
    return this.policy.record && this.policy.snapshots !== null ? snapshotTree([params, state], this.policy.snapshots) : null;
  }

  /** Records an update (and its snapshot); `deferred`: not applied to the parameters yet. */
  push(step: RecordedStep<B>, snapshot: Snapshot | null, deferred = false): void {
    if (this.rec === null || !this.policy.record) return;
    this.rec.steps.push(step);
    if (snapshot !== null) this.rec.snapshots.push(snapshot);
    if (deferred) this.pending++;
  }

  /** Every batch the record holds (for the batch stream's release). */
  *batches(): Iterable<B> {
    for (const s of this.rec?.steps ?? []) yield* s.batches;
  }

  /** Keeps copies of the final state a parent computed for the pending updates (first wins). */
  capture(params: P, state: Tree): void {
    if (this.captured !== null || this.pending === 0) return;
    this.captured = [cloneTree(params), cloneTree(state)];
  }

  /** The captured final state (owned by the loop), or null. */
  get result(): [P, Tree] | null {
    return this.captured;
  }

  /** Marks the pending updates applied and frees the captured state. */
  settle(): void {
    if (this.captured !== null) {
      treeDispose(this.captured[0]);
      treeDispose(this.captured[1]);
      this.captured = null;
    }
    this.pending = 0;
  }

  /** Frees the record and any captured state. */
  dispose(): void {
    this.settle();
    if (this.rec?.owned) {
      treeDispose(this.rec.startParams);
      treeDispose(this.rec.startState);
    }
    this.rec = null;
  }
}
