import * as tf from '@tensorflow/tfjs-core';
import { type Tree, type TreeDef, treeFlatten, treeUnflatten } from '../tree/tree.js';
import { type Precision, decode16, encode16 } from './formats.js';

/** A snapshot leaf's shape and dtype. */
export interface SnapshotLeaf {
  /** Shape. */
  shape: number[];
  /** Dtype. */
  dtype: tf.DataType;
}

/** A tree's values kept on the host, in float32 or as 16-bit encodings. */
export interface Snapshot {
  /** The storage format. */
  format: Precision;
  /** One array per leaf. */
  data: (Float32Array | Uint16Array | Int32Array)[];
  /** Leaf shapes and dtypes. */
  leaves: SnapshotLeaf[];
  /** The tree structure. */
  def: TreeDef;
}

/**
 * Copies a tree's values to the host in `format` (float leaves rounded to it, int leaves kept as
 * they are). Reads each leaf's data once.
 */
export function snapshotTree(t: Tree, format: Precision): Snapshot {
  const { leaves, def } = treeFlatten(t);
  return {
    format, def, leaves: leaves.map((x) => ({ shape: x.shape, dtype: x.dtype })),
    data: leaves.map((x) => {
      const v = x.dataSync();
      if (x.dtype !== 'float32') return Int32Array.from(v as Int32Array);
      return format === 'fp32' ? Float32Array.from(v as Float32Array) : encode16(v as Float32Array, format);
    }),
  };
}

/** The tree back as new float32 (or int) tensors, owned by the caller. */
export function restoreTree<T extends Tree>(s: Snapshot): T {
  return treeUnflatten<T>(s.def, s.data.map((d, i) => {
    const { shape, dtype } = s.leaves[i] as SnapshotLeaf;
    if (d instanceof Uint16Array) return tf.tensor(decode16(d, s.format as 'fp16' | 'bf16'), shape, 'float32');
    return tf.tensor(d, shape, dtype);
  }));
}

/** Bytes a snapshot holds on the host. */
export function snapshotBytes(s: Snapshot): number {
  return s.data.reduce((acc, d) => acc + d.byteLength, 0);
}
