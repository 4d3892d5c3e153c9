import type { TreeDef } from '../tree/tree.js';

/** Control words of the shared buffer (Int32 indices). */
export const CTRL = { generation: 0, op: 1, done: 2, error: 3, errorLength: 4, computed: 5, words: 8 } as const;
/** Operations a replica runs. */
export const OP = { gradient: 1, hessianVector: 2, mixedVector: 3, stop: 4 } as const;
/** Bytes kept for an error message. */
export const ERROR_BYTES = 4096;

/** Shapes and structures of what crosses threads. */
export interface TreeSpec {
  /** The structure. */
  def: TreeDef;
  /** Leaf shapes, depth-first. */
  shapes: number[][];
}

/** Sizes and offsets of the shared buffer: control, error text, inputs, one output slot per replica. */
export interface Layout {
  /** Replicas. */
  replicas: number;
  /** The problem's parameters. */
  params: TreeSpec;
  /** Upper problems' parameters, by name (sorted). */
  uppers: Record<string, TreeSpec>;
  /** Float32 elements of the parameters. */
  nParams: number;
  /** Float32 elements of all upper parameters. */
  nUppers: number;
  /** Float32 elements of one output slot (a loss and the larger of the two). */
  slot: number;
}

/** Elements of a tree spec. */
export const specSize = (s: TreeSpec): number => s.shapes.reduce((acc, sh) => acc + sh.reduce((a, b) => a * b, 1), 0);

/** The layout for these shapes. */
export function makeLayout(replicas: number, params: TreeSpec, uppers: Record<string, TreeSpec>): Layout {
  const nParams = specSize(params);
  const nUppers = Object.values(uppers).reduce((a, s) => a + specSize(s), 0);
  return { replicas, params, uppers, nParams, nUppers, slot: 1 + Math.max(nParams, nUppers) };
}

/** Views of the shared buffer. */
export interface Views {
  /** Control words. */
  ctrl: Int32Array;
  /** Error text. */
  error: Uint8Array;
  /** The batch key. */
  key: Float64Array;
  /** Inputs: parameters, uppers, vector. */
  params: Float32Array;
  uppers: Float32Array;
  vector: Float32Array;
  /** Output slots, one per replica. */
  slots: Float32Array[];
  /** The mean of the slots, each replica averaging its own chunk of it (a parallel all-reduce). */
  mean: Float32Array;
}

/** Bytes of the shared buffer for a layout. */
export function bufferBytes(l: Layout): number {
  return CTRL.words * 4 + ERROR_BYTES + 8 + 4 * (l.nParams + l.nUppers + l.nParams + (l.replicas + 1) * l.slot);
}

/** Views over a shared buffer laid out by `l`. */
export function views(sab: SharedArrayBuffer, l: Layout): Views {
  let at = 0;
  const take = <T>(make: (offset: number) => T, bytes: number): T => {
    const v = make(at);
    at += bytes;
    return v;
  };
  const ctrl = take((o) => new Int32Array(sab, o, CTRL.words), CTRL.words * 4);
  const error = take((o) => new Uint8Array(sab, o, ERROR_BYTES), ERROR_BYTES);
  const key = take((o) => new Float64Array(sab, o, 1), 8);
  const params = take((o) => new Float32Array(sab, o, l.nParams), 4 * l.nParams);
  const uppers = take((o) => new Float32Array(sab, o, l.nUppers), 4 * l.nUppers);
  const vector = take((o) => new Float32Array(sab, o, l.nParams), 4 * l.nParams);
  const slots = Array.from({ length: l.replicas }, () => take((o) => new Float32Array(sab, o, l.slot), 4 * l.slot));
  const mean = take((o) => new Float32Array(sab, o, l.slot), 4 * l.slot);
  return { ctrl, error, key, params, uppers, vector, slots, mean };
}

/**
 * Replica `r`'s part of the all-reduce: `mean[i] = (slots[0][i] + ... + slots[R-1][i]) / R` (summed
 * in replica order, so the result does not depend on timing) for `i` in its chunk of the slot.
 */
export function reduceChunk(v: Views, r: number): void {
  const n = v.mean.length;
  const R = v.slots.length;
  const chunk = Math.ceil(n / R);
  const from = Math.min(n, r * chunk);
  const to = Math.min(n, from + chunk);
  const out = v.mean;
  out.set((v.slots[0] as Float32Array).subarray(from, to), from);
  for (let s = 1; s < R; s++) {
    const slot = v.slots[s] as Float32Array;
    for (let i = from; i < to; i++) out[i] = (out[i] as number) + (slot[i] as number);
  }
  if (R > 1) for (let i = from; i < to; i++) out[i] = (out[i] as number) / R;
}
