import type * as tf from '@tensorflow/tfjs-core';
import { gradients } from '../autodiff/tape.js';
import { hvp, mixedHvp } from '../autodiff/hvp.js';
import { type Tree, treeFlatten, treeUnflatten } from '../tree/tree.js';
import type { ReplicaProgram } from './types.js';

/**
 * The three things a replica computes on its batch, as pure functions of explicit values (the
 * same code runs in a worker and, for the single-process path, in the main thread):
 * the loss and `grad_w F`, `H v = d^2F/dw^2 v`, and `(d^2F/dtheta dw) x` for every upper.
 */
export const replicaOps = {
  gradient<B>(p: ReplicaProgram<B>, w: Tree, uppers: Record<string, Tree>, batch: B): { loss: tf.Scalar; grads: Tree } {
    const { leaves, def } = treeFlatten(w);
    const { value, grads } = gradients(() => p.loss(treeUnflatten(def, leaves), uppers, batch), leaves);
    return { loss: value as tf.Scalar, grads: treeUnflatten(def, grads) };
  },
  hessianVector<B>(p: ReplicaProgram<B>, w: Tree, uppers: Record<string, Tree>, batch: B, v: Tree): Tree {
    return hvp((x: Tree) => p.loss(x, uppers, batch), w, v);
  },
  mixedVector<B>(p: ReplicaProgram<B>, w: Tree, uppers: Record<string, Tree>, batch: B, x: Tree): Record<string, Tree> {
    return mixedHvp((u: Record<string, Tree>, ww: Tree) => p.loss(ww, u, batch), uppers, w, x) as Record<string, Tree>;
  },
};
