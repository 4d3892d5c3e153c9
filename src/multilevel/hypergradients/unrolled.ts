import * as tf from '@tensorflow/tfjs-core';
import { isTapeOn } from '../../autodiff/engineInternals.js';
import { stopGradient } from '../../autodiff/stopGradient.js';
import { gradients, vjpOf } from '../../autodiff/tape.js';
import { type Precision, checkPrecision } from '../../precision/formats.js';
import { type Snapshot, restoreTree } from '../../precision/snapshot.js';
import { type Tree, tidyTree, treeFlatten, treeUnflatten } from '../../tree/tree.js';
import { treeAdd, treeDot, treeZerosLike } from '../../tree/treeMath.js';
import { checkPositiveInteger } from '../../util/validate.js';
import type { InnerLoopView, MethodEntry } from './types.js';

/**
 * Reverse mode through the recorded inner steps (Maclaurin et al. 2015; Franceschi et al. 2017):
 * `(d w_K / d theta)^T v` for the K updates since the lower problem's parents last stepped, each
 * replayed by the problem's own pure inner step (so what is differentiated is what ran).
 *
 * Three ways to run it, chosen by the options:
 * - plain, in a problem that has parents: *deferred*. The inner loop is recorded, not run; the
 *   parent's objective computes its steps once, differentiably, and the problem's parameters catch
 *   up from that result (as a hand-written `grad(lambda => unroll(lambda))` does);
 * - `checkpoints`: the loop runs eagerly, storing a host snapshot before each update, and the
 *   product is a reverse sweep one step at a time from the snapshots (Griewank's checkpointed
 *   reverse mode): memory is the snapshots plus one step's tape;
 * - `truncate: T`: only the last T steps carry gradient (the first K - T are constants).
 */
export interface UnrolledOptions {
  /** Discriminant. */
  method: 'unrolled';
  /** Differentiate only through the last `truncate` steps; default all. */
  truncate?: number;
  /**
   * Store the parameters and optimizer state before every inner step on the host in this format,
   * and differentiate by a reverse sweep, one step at a time from those snapshots, instead of one
   * tape through all the steps: memory is the snapshots plus one step's tape. `fp16`/`bf16` halve
   * the snapshots; the sweep then linearises each step at the rounded state (an approximation).
   * Default: no snapshots (one replay through all steps, exact).
   */
  checkpoints?: Precision;
}

function needSteps(name: string, loop: InnerLoopView): number {
  const K = loop.record.steps.length;
  if (K === 0) throw new Error(`problem '${name}': an unrolled hypergradient needs recorded inner steps; none since the inner loop started`);
  return K;
}

/**
 * Replays `name`'s recorded inner loop from its start with uppers `theta` (differentiable in
 * `theta`), returning the final parameters and optimizer state; with `truncate`, the first
 * steps are replayed as constants.
 */
export function replayInnerLoop(name: string, loop: InnerLoopView, theta: readonly Tree[], truncate?: number): [Tree, Tree] {
  const K = needSteps(name, loop);
  const tracked = truncate === undefined ? K : Math.min(truncate, K);
  const rec = loop.record;
  return tidyTree(() => {
    let w: Tree = rec.startParams;
    let s: Tree = rec.startState;
    rec.steps.forEach((recorded, k) => {
      const step = () => loop.step(w, s, theta, recorded);
      [w, s] = k < K - tracked ? stopGradient(step()) : step();
    });
    return [w, s] as [Tree, Tree];
  });
}

/**
 * `(dw_K/dtheta)^T v` by a reverse sweep over the recorded steps: for k = K-1 down to the first
 * tracked step, restore `(w_k, s_k)` from its snapshot and pull the cotangent back through step k
 * with a one-step VJP (Griewank's checkpointed reverse mode, one checkpoint per step).
 */
export function reverseInnerLoop(name: string, loop: InnerLoopView, theta: readonly Tree[], v: Tree, truncate?: number): Tree[] {
  const K = needSteps(name, loop);
  const rec = loop.record;
  if (rec.snapshots.length !== K) {
    throw new Error(`problem '${name}': unrolled checkpoints need a snapshot per recorded step (${rec.snapshots.length} for ${K} steps); were steps recorded before the method was set?`);
  }
  const first = truncate === undefined ? 0 : Math.max(0, K - truncate);
  let lw: Tree = v;
  let ls: Tree | null = null;
  let gTheta: Tree[] | null = null;
  const free = (trees: (Tree | null)[]) => {
    // Previous cotangents go as soon as they are used (one step's worth of memory), unless an outer
    // gradient is recording this sweep: its tape still needs them.
    if (!isTapeOn()) tf.dispose(trees.flatMap((t) => (t === null || t === v ? [] : treeFlatten(t).leaves)));
  };
  for (let k = K - 1; k >= first; k--) {
    const next = tidyTree(() => {
      const [wk, sk] = restoreTree<[Tree, Tree]>(rec.snapshots[k] as Snapshot);
      // Pull (lw, ls), the cotangents of step k's outputs (w', s'), back to (w_k, s_k, theta).
      const { leaves, def } = treeFlatten([wk, sk, theta]);
      // Seeded output by output (no <ct, out> products): w' always, s' once it has a cotangent.
      const cts = treeFlatten(ls === null ? lw : [lw, ls]).leaves;
      const { grads } = vjpOf(() => {
        const [w, s, th] = treeUnflatten<[Tree, Tree, Tree[]]>(def, leaves);
        const [w1, s1] = loop.step(w, s, th, rec.steps[k] as (typeof rec.steps)[number]);
        return treeFlatten(ls === null ? w1 : [w1, s1]).leaves;
      }, leaves, cts, { values: false });
      const [dw, ds, dth] = treeUnflatten<[Tree, Tree, Tree[]]>(def, grads);
      return [dw, ds, gTheta === null ? dth : treeAdd(gTheta, dth)] as [Tree, Tree, Tree[]];
    });
    free([lw, ls, gTheta]);
    [lw, ls, gTheta] = next;
  }
  free([lw, ls]);
  return gTheta ?? theta.map((t) => treeZerosLike(t));
}

/** The `unrolled` row of the method table. */
export const unrolled: MethodEntry<'unrolled'> = {
  method: 'unrolled',
  summary: 'reverse mode through the recorded inner steps (deferred, checkpointed or truncated)',
  defaults: (o = {}) => (o.iterations === undefined ? { method: 'unrolled' } : { method: 'unrolled', truncate: o.iterations }),
  validate: (who, o) => {
    if (o.truncate !== undefined) checkPositiveInteger(who, 'truncate', o.truncate);
    if (o.checkpoints !== undefined) checkPrecision(`${who}: checkpoints`, o.checkpoints);
  },
  build: ({ truncate, checkpoints }) => {
    if (checkpoints !== undefined) return (ctx, v) => reverseInnerLoop(ctx.name, ctx.innerLoop, ctx.theta, v, truncate);
    return (ctx, v) => tidyTree(() => {
      const { leaves, def } = treeFlatten(ctx.theta);
      // Only the final parameters leave the replay's scope (its final optimizer state is freed).
      const final = (theta: Tree[]) => tidyTree(() => replayInnerLoop(ctx.name, ctx.innerLoop, theta, truncate)[0]);
      const { value, grads } = gradients(() => treeDot(final(treeUnflatten<Tree[]>(def, leaves)), v), leaves);
      value.dispose();
      return treeUnflatten<Tree[]>(def, grads);
    });
  },
  innerLoop: ({ checkpoints }) => ({ record: true, defer: checkpoints === undefined, ...(checkpoints !== undefined ? { snapshots: checkpoints } : {}) }),
  replicaSafe: false,
};
