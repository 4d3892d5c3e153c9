import type * as tf from '@tensorflow/tfjs-core';
import type { StepContext } from '../multilevel/problem.js';
import type { Tree } from '../tree/tree.js';
import type { ReplicaProgram } from './types.js';

/**
 * A training step from a replica program, in this thread: the program's loss on the whole global
 * batch `key`, reading the upper problems `upperNames`. The batch's tensors belong to the
 * enclosing `tf.tidy` (the engine runs every training step inside one). A data-parallel problem
 * gets this from its `DataParallel` (`parallel: dp` alone); use it directly to run the same
 * program in one thread.
 *
 * @example
 * ```ts
 * new ImplicitProblem({ name: 'mlp', ..., data: () => key++, trainingStep: programTrainingStep(program, ['decay']) });
 * ```
 */
export function programTrainingStep<P extends Tree>(program: ReplicaProgram, upperNames: readonly string[]): (key: number, ctx: StepContext<P>) => tf.Scalar {
  return (key, ctx) => program.loss(ctx.params, Object.fromEntries(upperNames.map((n) => [n, ctx.get(n)])), program.batch(key, { index: 0, count: 1 }));
}
