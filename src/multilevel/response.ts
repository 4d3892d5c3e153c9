import * as tf from '@tensorflow/tfjs-core';
import { customVjp } from '../autodiff/customVjp.js';
import { isTapeOn, untracked } from '../autodiff/engineInternals.js';
import { type Tree, treeFlatten, treeUnflatten } from '../tree/tree.js';
import { type Env, valueIn } from './evaluate.js';
import { replayInnerLoop } from './hypergradients/unrolled.js';
import type { HypergradientContext, InnerLoopView } from './hypergradients/types.js';
import type { ProblemNode } from './program.js';

/** The batch `node` evaluates on: its last training batch. */
export function batchOf(node: ProblemNode): unknown {
  const b = node.problem.lastBatch;
  if (b === undefined) throw new Error(`problem '${node.name}' has no batch yet; step it (or call setBatch) before asking for a hypergradient through it`);
  return b;
}

/**
 * The hypergradient context of lower problem `node` at `(w, theta)`: its objective on its current
 * batch, its oracle's products, its inner loop and optimizer, all as values.
 */
export function contextOf(node: ProblemNode, w: Tree, theta: Tree[], batch: unknown): HypergradientContext {
  const { problem, oracle } = node;
  return {
    name: node.name,
    upperNames: node.uppers.map((u) => u.name),
    theta,
    w,
    objective: (ww, th) => node.objective(ww, th, batch).loss,
    hessianVector: (u) => oracle.hessianVector(w, theta, batch, u),
    mixedVector: (x) => oracle.mixedVector(w, theta, batch, x),
    get innerLoop(): InnerLoopView {
      return innerLoopOf(node);
    },
    optimizer: { transformation: problem.options.optimizer, state: problem.optimizerState, step: problem.updates, ...(problem.options.schedule ? { schedule: problem.options.schedule } : {}) },
  };
}

/** `node`'s recorded inner loop with its pure step; a clear error when nothing is recorded. */
export function innerLoopOf(node: ProblemNode): InnerLoopView {
  if (!node.problem.loop.recording) {
    throw new Error(`problem '${node.name}' records no inner loop (it has no parent that steps); its method '${node.problem.config.hypergradient.method}' needs one`);
  }
  return { record: node.problem.loop.record, step: node.replayStep };
}

/**
 * The optimum of lower problem `node` as a function of its uppers' values in `outerEnv` (the
 * environment of the problem `outerOwner` being evaluated): its current parameters, as a
 * {@link customVjp} op whose VJP is `node`'s hypergradient method. A deferred problem's pending
 * updates are computed here instead, once, as a differentiable function of those values.
 */
export function lowerResponse(node: ProblemNode, outerEnv: Env, outerOwner: ProblemNode): Tree {
  const { problem } = node;
  const theta = node.uppers.map((u) => valueIn(outerOwner, outerEnv, u));
  const thetaFlat = treeFlatten(theta);
  const loop = problem.loop;
  if (thetaFlat.leaves.length === 0 && loop.pending === 0) return problem.params;
  if (loop.pending > 0) {
    const o = problem.config.hypergradient;
    const [w, s] = replayInnerLoop(node.name, innerLoopOf(node), theta, o.method === 'unrolled' ? o.truncate : undefined);
    untracked(() => loop.capture(w, s));
    return w;
  }
  const batch = batchOf(node);
  const wFlat = treeFlatten(problem.params);
  const out = customVjp(`response(${node.name})`, thetaFlat.leaves, wFlat.leaves, (cts, ins, outs) => {
    if (!node.oracle.differentiable && isTapeOn()) {
      throw new Error(`problem '${node.name}' is data-parallel: its hypergradient cannot be differentiated again (an upper problem of '${node.name}' is itself a lower problem); run it in this thread`);
    }
    const ctx = contextOf(node, treeUnflatten(wFlat.def, outs), treeUnflatten<Tree[]>(thetaFlat.def, ins), batch);
    // A parameter the parent's loss does not read gets no cotangent: its share of v is zero.
    const v = cts.map((c, i) => c ?? tf.zerosLike(outs[i] as tf.Tensor));
    return treeFlatten(node.method(ctx, treeUnflatten(wFlat.def, v))).leaves;
  });
  return treeUnflatten(wFlat.def, out);
}
