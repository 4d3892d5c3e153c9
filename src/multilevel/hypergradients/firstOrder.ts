import { tidyTree } from '../../tree/tree.js';
import { treeZerosLike } from '../../tree/treeMath.js';
import { type MethodEntry, NO_INNER_LOOP } from './types.js';

/**
 * First order: the implicit term is dropped, `(d w* / d theta)^T v = 0`, so an upper problem sees
 * only the direct dependence of its loss on its parameters (first-order MAML, Finn et al. 2017).
 */
export interface FirstOrderOptions {
  /** Discriminant. */
  method: 'firstOrder';
}

/** The `firstOrder` row of the method table. */
export const firstOrder: MethodEntry<'firstOrder'> = {
  method: 'firstOrder',
  summary: 'no implicit term (zeros)',
  defaults: () => ({ method: 'firstOrder' }),
  validate: () => {},
  build: () => (ctx) => tidyTree(() => treeZerosLike(ctx.theta)),
  innerLoop: () => NO_INNER_LOOP,
  replicaSafe: true,
};
