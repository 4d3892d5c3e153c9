import * as tf from '@tensorflow/tfjs-core';
import { type Tree, treeFlatten, treeUnflatten } from '../tree/tree.js';
import type { TreeSpec } from './layout.js';

/** The spec (structure and leaf shapes) of a tree. */
export function specOf(t: Tree): TreeSpec {
  const { leaves, def } = treeFlatten(t);
  return { def, shapes: leaves.map((x) => x.shape) };
}

/** Writes a tree's values into `out` from `offset` (depth-first); returns the next offset. */
export function packTree(t: Tree, out: Float32Array, offset = 0): number {
  let at = offset;
  for (const leaf of treeFlatten(t).leaves) {
    const v = leaf.dataSync() as Float32Array;
    out.set(v, at);
    at += v.length;
  }
  return at;
}

/** A tree of new float32 tensors from `src` at `offset`, shaped by `spec`. */
export function unpackTree<T extends Tree>(spec: TreeSpec, src: Float32Array, offset = 0): T {
  let at = offset;
  const leaves = spec.shapes.map((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(src.slice(at, at + n), shape, 'float32');
    at += n;
    return t;
  });
  return treeUnflatten<T>(spec.def, leaves);
}

/** Records of trees by sorted name, packed one after another. */
export function packRecord(r: Record<string, Tree>, names: readonly string[], out: Float32Array): void {
  let at = 0;
  for (const n of names) at = packTree(r[n] as Tree, out, at);
}

/** The inverse of {@link packRecord}. */
export function unpackRecord(specs: Record<string, TreeSpec>, names: readonly string[], src: Float32Array): Record<string, Tree> {
  let at = 0;
  const out: Record<string, Tree> = {};
  for (const n of names) {
    const s = specs[n] as TreeSpec;
    out[n] = unpackTree(s, src, at);
    at += s.shapes.reduce((acc, sh) => acc + sh.reduce((a, b) => a * b, 1), 0);
  }
  return out;
}
