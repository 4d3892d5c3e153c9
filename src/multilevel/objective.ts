import * as tf from '@tensorflow/tfjs-core';
import { customVjp } from '../autodiff/customVjp.js';
import { gradients, vjpOf } from '../autodiff/tape.js';
import { stopGradient } from '../autodiff/stopGradient.js';
import { isTapeOn, untracked } from '../autodiff/engineInternals.js';
import { roundTo, roundTree } from '../precision/round.js';
import { type Snapshot, restoreTree } from '../precision/snapshot.js';
import { treeAdd, treeZerosLike } from '../tree/treeMath.js';
import { type Tree, tidyTree, treeFlatten, treeUnflatten } from '../tree/tree.js';
import type { Graph } from './graph.js';
import { methodFor } from './hypergradients/methods.js';
import type { HypergradientContext } from './hypergradients/types.js';
import type { Problem, StepContext, StepResult } from './problem.js';

/** A training step's loss and metrics. */
export interface Evaluation {
  /** The scalar loss. */
  loss: tf.Scalar;
  /** Other values the step returned. */
  metrics: Record<string, tf.Tensor | number>;
}

function splitResult(name: string, r: StepResult): Evaluation {
  const loss = r instanceof tf.Tensor ? r : r?.loss;
  if (!(loss instanceof tf.Tensor) || loss.size !== 1) {
    throw new Error(`problem '${name}': trainingStep must return a scalar tensor or {loss: scalar, ...metrics}, got ${loss instanceof tf.Tensor ? `shape [${loss.shape}]` : typeof loss}`);
  }
  const metrics: Record<string, tf.Tensor | number> = {};
  if (!(r instanceof tf.Tensor)) for (const [k, v] of Object.entries(r)) if (k !== 'loss') metrics[k] = v;
  return { loss: (loss.rank === 0 ? loss : tf.reshape(loss, [])) as tf.Scalar, metrics };
}

/**
 * Evaluates problems' losses as functions of explicit parameter values, wiring in lower
 * problems' optima as {@link customVjp} ops whose VJP is each lower problem's hypergradient
 * method. Differentiating a loss built here therefore sums the contributions of every path
 * through the graph, at any depth (BETTY's reverse traversal, done by autodiff).
 */
export class Evaluator {
  constructor(private readonly problems: ReadonlyMap<string, Problem>, private readonly graph: Graph) {}

  /** The problem named `name`. */
  problem(name: string): Problem {
    const p = this.problems.get(name);
    if (p === undefined) throw new Error(`Engine: no problem named '${name}'; problems: ${[...this.problems.keys()].join(', ')}`);
    return p;
  }

  /**
   * `owner`'s loss on `batch`, with parameter values taken from `env` where given: the owner's own,
   * its uppers' (else their current parameters, as constants) and its lowers' (else their optimum
   * as a response of the values in `env`).
   */
  evaluate(owner: string, env: Map<string, Tree>, batch: unknown): Evaluation {
    const problem = this.problem(owner);
    const uppers = this.graph.uppers(owner);
    const lowers = this.graph.lowers(owner);
    const precision = problem.config.precision;
    const own = roundTree(env.get(owner) ?? problem.params, precision);
    const ctx: StepContext = {
      params: own,
      get: <T extends Tree>(name: string): T => {
        if (name === owner) return own as T;
        if (!uppers.includes(name) && !lowers.includes(name)) {
          throw new Error(
            `problem '${owner}': ctx.get('${name}') is not allowed: '${owner}' can read its uppers ` +
              `[${uppers.join(', ')}] (dependencies.u2l) and its lowers [${lowers.join(', ')}] (dependencies.l2u)`,
          );
        }
        return this.resolve(owner, env, name) as T;
      },
      forward: (...inputs: unknown[]) => {
        const f = problem.options.module.forward;
        if (f === undefined) throw new Error(`problem '${owner}': ctx.forward needs module.forward`);
        return roundTo((f as (p: Tree, ...i: unknown[]) => tf.Tensor)(own, ...inputs), precision);
      },
      round: <T extends tf.Tensor>(x: T): T => roundTo(x, precision),
    };
    return splitResult(owner, problem.options.trainingStep(batch, ctx));
  }

  /** A name's value in `owner`'s environment (creating lower responses on first use). */
  private resolve(owner: string, env: Map<string, Tree>, name: string): Tree {
    const given = env.get(name);
    if (given !== undefined) return given;
    if (this.graph.lowers(owner).includes(name)) {
      const r = this.response(name, env, owner);
      env.set(name, r);
      return r;
    }
    return this.problem(name).params;
  }

  /** The batch `name` evaluates on (its last training batch; drawn if it has none yet). */
  batchOf(name: string): unknown {
    const p = this.problem(name);
    if (p.lastBatch === undefined) throw new Error(`problem '${name}' has no batch yet; step it (or call setBatch) before asking for a hypergradient through it`);
    return p.lastBatch;
  }

  /**
   * The optimum of lower problem `name` as a function of its uppers' values in `outerEnv`: its
   * current parameters, with the VJP of its hypergradient method.
   */
  response(name: string, outerEnv: Map<string, Tree>, outerOwner: string): Tree {
    const problem = this.problem(name);
    const upperNames = this.graph.uppers(name);
    const theta = upperNames.map((u) => this.resolve(outerOwner, outerEnv, u));
    const thetaFlat = treeFlatten(theta);
    const wFlat = treeFlatten(problem.params);
    if (thetaFlat.leaves.length === 0 && problem.pendingSteps === 0) return problem.params;
    if (problem.pendingSteps > 0) {
      // Deferred inner loop: compute its steps here, once, as a differentiable function of theta.
      const o = problem.config.hypergradient;
      const [w, s] = this.replayWithState(name, upperNames, theta, o.method === 'unrolled' ? o.truncate : undefined);
      untracked(() => problem.capture(w, s));
      return w;
    }
    const method = methodFor(problem.config.hypergradient);
    const batch = this.batchOf(name);
    const out = customVjp(`response(${name})`, thetaFlat.leaves, wFlat.leaves, (cts, ins, outs) => {
      const ctx: HypergradientContext = {
        name,
        upperNames,
        theta: treeUnflatten<Tree[]>(thetaFlat.def, ins),
        w: treeUnflatten(wFlat.def, outs),
        objective: (w, th) => this.objectiveOf(name, w, upperNames, th, batch),
        replay: (th, truncate) => this.replay(name, upperNames, th, truncate),
        reverse: (th, v, truncate) => this.reverse(name, upperNames, th, v, truncate),
      };
      const dp = problem.options.parallel;
      if (dp !== undefined) {
        if (isTapeOn()) {
          throw new Error(`problem '${name}' is data-parallel: its hypergradient cannot be differentiated again (an upper problem of '${name}' is itself a lower problem); run it in this thread`);
        }
        const uppers = Object.fromEntries(upperNames.map((u, i) => [u, ctx.theta[i] as Tree]));
        ctx.hessianVector = (u) => dp.hessianVector(ctx.w, uppers, batch as number, u);
        ctx.mixedVector = (x) => {
          const r = dp.mixedVector(ctx.w, uppers, batch as number, x);
          return upperNames.map((u) => r[u] as Tree);
        };
      }
      return treeFlatten(method(ctx, treeUnflatten(wFlat.def, cts))).leaves;
    });
    return treeUnflatten(wFlat.def, out);
  }

  /** `F(w, theta)`: `name`'s loss on `batch` with its parameters `w` and uppers `theta`. */
  objectiveOf(name: string, w: Tree, upperNames: readonly string[], theta: Tree[], batch: unknown): tf.Scalar {
    const env = new Map<string, Tree>([[name, w]]);
    upperNames.forEach((u, i) => env.set(u, theta[i] as Tree));
    return this.evaluate(name, env, batch).loss;
  }

  /**
   * Replays `name`'s recorded inner loop from its start with uppers `theta` (differentiable in
   * `theta`); with `truncate`, the first steps are replayed as constants.
   */
  replay(name: string, upperNames: readonly string[], theta: Tree[], truncate?: number): Tree {
    return tidyTree(() => this.replayWithState(name, upperNames, theta, truncate)[0]);
  }

  /** {@link Evaluator.replay}, returning the final optimizer state too. */
  replayWithState(name: string, upperNames: readonly string[], theta: Tree[], truncate?: number): [Tree, Tree] {
    const problem = this.problem(name);
    const rec = problem.innerLoop;
    if (rec.steps.length === 0) {
      throw new Error(`problem '${name}': an unrolled hypergradient needs recorded inner steps; none since the inner loop started`);
    }
    const tracked = truncate === undefined ? rec.steps.length : Math.min(truncate, rec.steps.length);
    return tidyTree(() => {
      let w: Tree = rec.startParams;
      let s: Tree = rec.startState;
      rec.steps.forEach((batches, k) => {
        const step = () => this.stepMap(name, upperNames, batches, rec.startStep + k)(w, s, theta);
        [w, s] = k < rec.steps.length - tracked ? stopGradient(step() as [Tree, Tree]) : step();
      });
      return [w, s] as [Tree, Tree];
    });
  }

  /**
   * One inner update of `name` as a pure function `(w, s, theta) -> (w', s')`: the mean gradient of
   * its objective over `batches`, through its gradient callback, then its optimizer update.
   */
  private stepMap(name: string, upperNames: readonly string[], batches: unknown[], step: number) {
    const problem = this.problem(name);
    return (w: Tree, s: Tree, theta: Tree[]): [Tree, Tree] => {
      const { leaves, def } = treeFlatten(w);
      let sum: tf.Tensor[] | null = null;
      for (const b of batches) {
        const { value, grads } = gradients(() => this.objectiveOf(name, treeUnflatten(def, leaves), upperNames, theta, b), leaves);
        value.dispose();
        sum = sum === null ? grads : sum.map((x, i) => tf.add(x, grads[i] as tf.Tensor));
      }
      const mean = treeUnflatten(def, (sum as tf.Tensor[]).map((x) => (batches.length === 1 ? x : tf.div(x, batches.length))));
      const cb = problem.options.gradCallback;
      const g = cb ? cb(mean) : mean;
      // The gradients are freed once the optimizer has used them (a tape's saved copies keep what
      // its backward pass needs), as are the sums and means they came from.
      const inputs = new Set([...leaves, ...treeFlatten(s).leaves, ...treeFlatten(theta).leaves, ...treeFlatten(g).leaves]);
      tf.dispose([...new Set([...(sum as tf.Tensor[]), ...treeFlatten(mean).leaves])].filter((t) => !inputs.has(t)));
      return problem.update(w, s, g, step, true);
    };
  }

  /**
   * `(dw_K/dtheta)^T v` by a reverse sweep over `name`'s recorded steps: for k = K-1 down to the
   * first tracked step, restore `(w_k, s_k)` from its snapshot and pull the cotangent back through
   * step k with a one-step VJP (Griewank's checkpointed reverse mode, one checkpoint per step).
   */
  reverse(name: string, upperNames: readonly string[], theta: Tree[], v: Tree, truncate?: number): Tree[] {
    const problem = this.problem(name);
    const rec = problem.innerLoop;
    const K = rec.steps.length;
    if (K === 0) throw new Error(`problem '${name}': an unrolled hypergradient needs recorded inner steps; none since the inner loop started`);
    if (rec.snapshots.length !== K) {
      throw new Error(`problem '${name}': unrolled checkpoints need a snapshot per recorded step (${rec.snapshots.length} for ${K} steps); were steps recorded before the method was set?`);
    }
    const first = truncate === undefined ? 0 : Math.max(0, K - truncate);
    let lw: Tree = v;
    let ls: Tree | null = null;
    let gTheta: Tree[] | null = null;
    for (let k = K - 1; k >= first; k--) {
      const next = tidyTree(() => {
        const [wk, sk] = restoreTree<[Tree, Tree]>(rec.snapshots[k] as Snapshot);
        const f = this.stepMap(name, upperNames, rec.steps[k] as unknown[], rec.startStep + k);
        // Pull (lw, ls), the cotangents of step k's outputs (w', s'), back to (w_k, s_k, theta).
        const { leaves, def } = treeFlatten([wk, sk, theta]);
        // Seeded output by output (no <ct, out> products): w' always, s' once it has a cotangent.
        const cts = treeFlatten(ls === null ? lw : [lw, ls]).leaves;
        const { grads } = vjpOf(() => {
          const [w, s, th] = treeUnflatten<[Tree, Tree, Tree[]]>(def, leaves);
          const [w1, s1] = f(w, s, th);
          return treeFlatten(ls === null ? w1 : [w1, s1]).leaves;
        }, leaves, cts, { values: false });
        const [dw, ds, dth] = treeUnflatten<[Tree, Tree, Tree[]]>(def, grads);
        return [dw, ds, gTheta === null ? dth : treeAdd(gTheta, dth)] as [Tree, Tree, Tree[]];
      });
      // Free the previous cotangents now, so memory stays at one step's worth, unless an outer
      // gradient is recording this sweep (then its tape still needs them).
      if (!isTapeOn()) tf.dispose([...(lw === v ? [] : treeFlatten(lw).leaves), ...(ls ? treeFlatten(ls).leaves : []), ...(gTheta ? treeFlatten(gTheta).leaves : [])]);
      [lw, ls, gTheta] = next;
    }
    if (!isTapeOn()) tf.dispose([...(lw === v ? [] : treeFlatten(lw).leaves), ...(ls ? treeFlatten(ls).leaves : [])]);
    return gTheta ?? upperNames.map((_u, i) => treeZerosLike(theta[i] as Tree));
  }

  /**
   * Runs a deferred problem's pending steps now (with its uppers' current parameters, as
   * constants) and makes them its parameters; a no-op when none are pending.
   */
  materialize(name: string): void {
    const problem = this.problem(name);
    if (problem.pendingSteps === 0) return;
    if (!problem.hasCaptured) {
      const upperNames = this.graph.uppers(name);
      const theta = upperNames.map((u) => this.problem(u).params);
      const [w, s] = tidyTree(() => this.replayWithState(name, upperNames, theta));
      problem.materialize(w, s);
      tf.dispose([...treeFlatten(w).leaves, ...treeFlatten(s).leaves]);
    } else {
      problem.materialize();
    }
  }
}
