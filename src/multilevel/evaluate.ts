import * as tf from '@tensorflow/tfjs-core';
import { roundTo, roundTree } from '../precision/round.js';
import type { Tree } from '../tree/tree.js';
import type { Evaluation } from './oracle.js';
import type { StepContext, StepResult } from './problem.js';
import type { ProblemNode } from './program.js';
import { lowerResponse } from './response.js';

/**
 * Parameter values for one evaluation, by problem: the owner's own, any upper's given explicitly
 * (else its current parameters, as constants), and lower optima filled in as they are first read.
 */
export type Env = Map<ProblemNode, Tree>;

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
 * `node`'s loss on `batch` with parameter values from `env` (see {@link Env}): lower problems'
 * optima enter as {@link lowerResponse}s of the values in `env`, so differentiating the loss sums
 * the contributions of every path through the graph below it (BETTY's reverse traversal, done by
 * autodiff).
 */
export function evaluate(node: ProblemNode, env: Env, batch: unknown): Evaluation {
  const { problem } = node;
  const precision = problem.config.precision;
  const own = roundTree(env.get(node) ?? problem.params, precision);
  const ctx: StepContext = {
    params: own,
    get: <T extends Tree>(name: string): T => {
      if (name === node.name) return own as T;
      const other = node.readable.get(name);
      if (other === undefined) {
        throw new Error(
          `problem '${node.name}': ctx.get('${name}') is not allowed: '${node.name}' can read its uppers ` +
            `[${node.uppers.map((u) => u.name).join(', ')}] (dependencies.u2l) and its lowers [${node.lowers.map((l) => l.name).join(', ')}] (dependencies.l2u)`,
        );
      }
      return valueIn(node, env, other) as T;
    },
    forward: (...inputs: unknown[]) => {
      const f = problem.options.module.forward;
      if (f === undefined) throw new Error(`problem '${node.name}': ctx.forward needs module.forward`);
      return roundTo((f as (p: Tree, ...i: unknown[]) => tf.Tensor)(own, ...inputs), precision);
    },
    round: <T extends tf.Tensor>(x: T): T => roundTo(x, precision),
  };
  return splitResult(node.name, node.trainingStep(batch, ctx));
}

/**
 * `other`'s value as `owner`'s loss sees it: given in `env`; else, for a lower problem, its
 * response to the values in `env` (made on first use and kept in `env`); else its current
 * parameters.
 */
export function valueIn(owner: ProblemNode, env: Env, other: ProblemNode): Tree {
  const given = env.get(other);
  if (given !== undefined) return given;
  if (owner.lowers.includes(other)) {
    const r = lowerResponse(other, env, owner);
    env.set(other, r);
    return r;
  }
  return other.problem.params;
}

/** `F(w, theta; batch)`: `node`'s loss with its parameters `w` and its uppers' `theta`. */
export function objectiveOf(node: ProblemNode, w: Tree, theta: readonly Tree[], batch: unknown): Evaluation {
  const env: Env = new Map([[node, w]]);
  node.uppers.forEach((u, i) => env.set(u, theta[i] as Tree));
  return evaluate(node, env, batch);
}
