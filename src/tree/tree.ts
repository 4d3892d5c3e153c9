import * as tf from '@tensorflow/tfjs-core';

/**
 * A nested container of tensors: a tensor (a leaf), an array of trees, or a record of trees.
 * Parameters, gradients, optimizer states and tangents are all trees of the same structure.
 */
export type Tree = tf.Tensor | readonly Tree[] | { readonly [key: string]: Tree };

/** The structure of a tree without its leaves: what {@link treeUnflatten} needs to rebuild it. */
export type TreeDef = LeafDef | ArrayDef | RecordDef;

/** The structure of a leaf. */
export interface LeafDef {
  /** Discriminant. */
  readonly kind: 'leaf';
}

/** The structure of an array of trees. */
export interface ArrayDef {
  /** Discriminant. */
  readonly kind: 'array';
  /** The structure of each element. */
  readonly children: readonly TreeDef[];
}

/** The structure of a record of trees (keys sorted). */
export interface RecordDef {
  /** Discriminant. */
  readonly kind: 'record';
  /** The record's keys, sorted. */
  readonly keys: readonly string[];
  /** The structure under each key, in the order of `keys`. */
  readonly children: readonly TreeDef[];
}

/** A tree split into its leaves and its structure. */
export interface Flattened {
  /** The leaves, depth-first, record keys in sorted order. */
  leaves: tf.Tensor[];
  /** The structure, for {@link treeUnflatten}. */
  def: TreeDef;
}

/** True when `x` is a tensor (a leaf of a tree). */
export function isLeaf(x: unknown): x is tf.Tensor {
  return x instanceof tf.Tensor;
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  return typeof x === 'object' ? `a ${(x as object).constructor?.name ?? 'object'}` : `a ${typeof x}`;
}

/**
 * Splits a tree into its leaves (depth-first; record keys in sorted order) and its structure.
 * @throws when a node is neither a tensor, an array nor a plain record; the error names the path.
 * @example
 * ```ts
 * const { leaves, def } = treeFlatten({ w: tf.zeros([2]), b: [tf.scalar(1)] }); // leaves: [b[0], w]
 * ```
 */
export function treeFlatten(tree: Tree, path = 'tree'): Flattened {
  const leaves: tf.Tensor[] = [];
  const def = flattenInto(tree, leaves, path);
  return { leaves, def };
}

function flattenInto(node: unknown, leaves: tf.Tensor[], path: string): TreeDef {
  if (isLeaf(node)) {
    leaves.push(node);
    return { kind: 'leaf' };
  }
  if (Array.isArray(node)) {
    return { kind: 'array', children: node.map((c, i) => flattenInto(c, leaves, `${path}[${i}]`)) };
  }
  if (node !== null && typeof node === 'object' && Object.getPrototypeOf(node) === Object.prototype) {
    const keys = Object.keys(node).sort();
    const rec = node as Record<string, unknown>;
    return { kind: 'record', keys, children: keys.map((k) => flattenInto(rec[k], leaves, `${path}.${k}`)) };
  }
  throw new TypeError(
    `${path}: expected a tf.Tensor, an array or a plain record of them, got ${describe(node)}`,
  );
}

/**
 * Rebuilds a tree of structure `def` from `leaves` (the inverse of {@link treeFlatten}).
 * @throws when the number of leaves differs from the number `def` holds.
 */
export function treeUnflatten<T extends Tree = Tree>(def: TreeDef, leaves: readonly tf.Tensor[]): T {
  const n = countLeaves(def);
  if (n !== leaves.length) {
    throw new Error(`treeUnflatten: the structure holds ${n} leaves, got ${leaves.length}`);
  }
  let i = 0;
  const build = (d: TreeDef): Tree => {
    if (d.kind === 'leaf') return leaves[i++] as tf.Tensor;
    if (d.kind === 'array') return d.children.map(build);
    const out: Record<string, Tree> = {};
    d.keys.forEach((k, j) => (out[k] = build(d.children[j] as TreeDef)));
    return out;
  };
  return build(def) as T;
}

/** The number of leaves a structure holds. */
export function countLeaves(def: TreeDef): number {
  return def.kind === 'leaf' ? 1 : def.children.reduce((s, c) => s + countLeaves(c), 0);
}

/** True when two structures are identical (same kinds, lengths and keys). */
export function sameDef(a: TreeDef, b: TreeDef): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'leaf') return true;
  const bc = (b as ArrayDef | RecordDef).children;
  if (a.children.length !== bc.length) return false;
  if (a.kind === 'record' && a.keys.join('\u0000') !== (b as RecordDef).keys.join('\u0000')) {
    return false;
  }
  return a.children.every((c, i) => sameDef(c, bc[i] as TreeDef));
}

/** A one-line description of a structure, for error messages. */
export function defToString(d: TreeDef): string {
  if (d.kind === 'leaf') return '*';
  if (d.kind === 'array') return `[${d.children.map(defToString).join(', ')}]`;
  return `{${d.keys.map((k, i) => `${k}: ${defToString(d.children[i] as TreeDef)}`).join(', ')}}`;
}

/**
 * Checks that every tree has the structure of the first and the same leaf shapes; returns their
 * flattened leaves.
 * @throws an error naming `what`, both structures, or the first leaf whose shape differs.
 */
export function flattenAligned(what: string, trees: readonly Tree[]): { leaves: tf.Tensor[][]; def: TreeDef } {
  const flat = trees.map((t, i) => treeFlatten(t, `${what}: tree ${i}`));
  const first = flat[0];
  if (first === undefined) throw new Error(`${what}: needs at least one tree`);
  flat.forEach((f, i) => {
    if (!sameDef(first.def, f.def)) {
      throw new Error(
        `${what}: tree ${i} has structure ${defToString(f.def)}, expected ${defToString(first.def)}`,
      );
    }
    f.leaves.forEach((leaf, j) => {
      const ref = first.leaves[j] as tf.Tensor;
      if (!tf.util.arraysEqual(leaf.shape, ref.shape)) {
        throw new Error(
          `${what}: leaf ${j} of tree ${i} has shape [${leaf.shape}], expected [${ref.shape}]`,
        );
      }
    });
  });
  return { leaves: flat.map((f) => f.leaves), def: first.def };
}

/**
 * Applies `fn` leafwise over trees of identical structure and shapes: `out_i = fn(a_i, b_i, ...)`.
 * @throws when the trees' structures or leaf shapes differ (the error names both).
 * @example
 * ```ts
 * const sum = treeMap((a, b) => tf.add(a, b), params, grads);
 * ```
 */
export function treeMap<T extends Tree>(fn: (...leaves: tf.Tensor[]) => tf.Tensor, first: T, ...rest: Tree[]): T {
  const { leaves, def } = flattenAligned('treeMap', [first, ...rest]);
  const n = (leaves[0] as tf.Tensor[]).length;
  const out: tf.Tensor[] = [];
  // Each leaf in its own scope: a leaf's temporaries are freed before the next leaf is computed.
  for (let j = 0; j < n; j++) out.push(tf.tidy(() => fn(...leaves.map((l) => l[j] as tf.Tensor))));
  return treeUnflatten<T>(def, out);
}

/** The leaves of a tree, depth-first (record keys sorted). */
export function treeLeaves(tree: Tree): tf.Tensor[] {
  return treeFlatten(tree).leaves;
}

/** Disposes every leaf of a tree. */
export function treeDispose(tree: Tree): void {
  tf.dispose(treeLeaves(tree));
}

/** `tf.tidy` for a function returning a tree: disposes every tensor `fn` made except the tree's leaves. */
export function tidyTree<T extends Tree>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}

/** Disposes the leaves of `old` that are not leaves of `next` (after replacing `old` by `next`). */
export function treeDisposeReplaced(old: Tree, next: Tree): void {
  const keep = new Set(treeLeaves(next).map((t) => t.id));
  tf.dispose(treeLeaves(old).filter((t) => !keep.has(t.id)));
}
