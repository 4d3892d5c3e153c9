import * as tf from '@tensorflow/tfjs-core';
import type { LossScaleState } from '../precision/lossScale.js';
import { type Tree, treeDispose, treeFlatten, treeUnflatten } from '../tree/tree.js';
import type { WithRandomState } from './hypergradients/types.js';
import type { ProblemNode } from './program.js';

/**
 * Training checkpoints: everything an {@link Engine} needs to continue a run exactly where it
 * stopped, as plain JSON. Per problem: parameters, optimizer state, update count, the loss
 * scaler, the data-stream position (batches drawn; a resumed stream draws that many again, so a
 * seeded batch function continues its sequence), whether its inner loop just finished, the start
 * of that loop for `rollBack`, and the state of a random method (ES). Tensors are stored bit for
 * bit (base64 of their bytes), so resuming gives the same numbers as never stopping.
 */

/** A tensor's bytes, shape and dtype. */
export interface SavedTensor {
  /** Shape. */
  shape: number[];
  /** Dtype (`float32`, `int32` or `bool`). */
  dtype: tf.DataType;
  /** Base64 of the little-endian bytes of its values (4 per entry). */
  data: string;
}

/** Where a problem's inner loop started, in a checkpoint. */
export interface InnerLoopStart {
  /** Parameters at the start. */
  params: SavedTensor[];
  /** Optimizer state at the start. */
  state: SavedTensor[];
  /** Update count at the start. */
  step: number;
}

/** One problem's state in an {@link EngineCheckpoint}. */
export interface ProblemCheckpoint {
  /** Parameters, leaves in tree order. */
  params: SavedTensor[];
  /** Optimizer state, leaves in tree order. */
  state: SavedTensor[];
  /** Optimizer updates made. */
  updates: number;
  /** The loss scaler (null without loss scaling). */
  scaler: LossScaleState | null;
  /** Batches drawn from its data source. */
  drawn: number;
  /** Its parents stepped and its next inner loop starts at its next step. */
  innerLoopFinished: boolean;
  /** Where its inner loop started (kept for `rollBack`), or null. */
  start: InnerLoopStart | null;
  /** The generator state of its hypergradient method (ES), or null. */
  randomState: number | null;
}

/** An engine's state between two iterations, as JSON (see the module comment). */
export interface EngineCheckpoint {
  /** Marks the format. */
  format: 'hypergrad-engine-checkpoint';
  /** Format version. */
  version: 1;
  /** Iterations completed over all `run()` calls. */
  iterations: number;
  /** Problems by name. */
  problems: Record<string, ProblemCheckpoint>;
  /** For each parent, the lower problems that are ready for it to step. */
  ready: Record<string, string[]>;
  /** The last loss of each problem (what `iteration` events report). */
  lastLoss: Record<string, number>;
  /**
   * The order in which the problems drew their batches, run-length encoded as `[problem, count]`
   * pairs: a resumed engine draws again in this order, so data sources that share one random
   * generator continue exactly.
   */
  draws: [string, number][];
  /** The caller's own JSON (e.g. a history logged so far). */
  user?: unknown;
}

function toBase64(bytes: Uint8Array): string {
  const B = (globalThis as { Buffer?: { from(b: Uint8Array): { toString(enc: string): string } } }).Buffer;
  if (B !== undefined) return B.from(bytes).toString('base64');
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  const B = (globalThis as { Buffer?: { from(t: string, enc: string): Uint8Array } }).Buffer;
  if (B !== undefined) return new Uint8Array(B.from(text, 'base64'));
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** A tree's leaves, saved bit for bit. */
export function saveTree(t: Tree): SavedTensor[] {
  return treeFlatten(t).leaves.map((x) => {
    const v = x.dataSync();
    const typed = x.dtype === 'float32' ? Float32Array.from(v as Float32Array) : Int32Array.from(v as Int32Array);
    return { shape: x.shape, dtype: x.dtype, data: toBase64(new Uint8Array(typed.buffer)) };
  });
}

/**
 * New tensors with the structure of `like` and the saved leaves (owned by the caller); an error
 * names `what` and the leaf when the count, shape or dtype differ (a checkpoint of another
 * program).
 */
export function loadTree<T extends Tree>(what: string, saved: readonly SavedTensor[], like: T): T {
  const { leaves, def } = treeFlatten(like);
  if (saved.length !== leaves.length) throw new Error(`${what}: the checkpoint has ${saved.length} tensors, the problem ${leaves.length}; is it a checkpoint of this program?`);
  const out = leaves.map((x, i) => {
    const s = saved[i] as SavedTensor;
    if (s.dtype !== x.dtype || s.shape.length !== x.shape.length || s.shape.some((d, j) => d !== x.shape[j])) {
      throw new Error(`${what}: tensor ${i} is ${s.dtype} [${s.shape}] in the checkpoint, ${x.dtype} [${x.shape}] in the problem; is it a checkpoint of this program?`);
    }
    const bytes = fromBase64(s.data);
    const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const values = x.dtype === 'float32' ? new Float32Array(buf) : new Int32Array(buf);
    return tf.tensor(x.dtype === 'bool' ? Uint8Array.from(values) : values, s.shape, x.dtype);
  });
  return treeUnflatten<T>(def, out);
}

/** Why `node` cannot be checkpointed now (inside an inner loop or an update), or null. */
export function notAtBoundary(node: ProblemNode): string | null {
  const { problem } = node;
  if (problem.stream.pending.length > 0) return `problem '${node.name}' is inside an update (${problem.stream.pending.length} of ${problem.config.gradientAccumulation} micro-batches drawn)`;
  const steps = problem.loop.recording ? problem.loop.record.steps.length : 0;
  if (steps > 0 && !problem.innerLoopFinished) {
    return `problem '${node.name}' is inside an inner loop (${steps} updates recorded since its parents last stepped); checkpoint right after its parents step`;
  }
  return null;
}

/** `node`'s state (see {@link ProblemCheckpoint}); call at a boundary ({@link notAtBoundary}). */
export function saveProblem(node: ProblemNode): ProblemCheckpoint {
  const { problem } = node;
  const rec = problem.config.rollBack && problem.loop.recording ? problem.loop.record : null;
  const rs = (node.method as Partial<WithRandomState>).randomState;
  return {
    params: saveTree(problem.params), state: saveTree(problem.optimizerState), updates: problem.updates, scaler: problem.scaler === null ? null : { ...problem.scaler },
    drawn: problem.stream.drawn, innerLoopFinished: problem.innerLoopFinished,
    start: rec === null ? null : { params: saveTree(rec.startParams), state: saveTree(rec.startState), step: rec.startStep },
    randomState: rs === undefined ? null : rs.get(),
  };
}

/**
 * Restores `node`'s problem from `saved`: draws `saved.drawn` batches again (freeing them), then
 * sets its parameters, optimizer state, counts, scaler, inner-loop start and method state.
 */
export async function restoreProblem(node: ProblemNode, saved: ProblemCheckpoint): Promise<void> {
  const { problem } = node;
  const who = `Engine.restore: problem '${node.name}'`;
  await problem.stream.replay(saved.drawn);
  const load = (what: string, s: Pick<InnerLoopStart, 'params' | 'state'>): [Tree, Tree] =>
    [loadTree(`${who} ${what}parameters`, s.params, problem.params), loadTree(`${who} ${what}optimizer state`, s.state, problem.optimizerState)];
  const [w, st] = load('', saved);
  const start = saved.start === null ? null : load('inner-loop start ', saved.start);
  problem.resume({ params: w, state: st, updates: saved.updates, scaler: saved.scaler, innerLoopFinished: saved.innerLoopFinished,
    start: start === null ? null : { params: start[0], state: start[1], step: (saved.start as { step: number }).step } });
  treeDispose([w, st, ...(start ?? [])]);
  const rs = (node.method as Partial<WithRandomState>).randomState;
  if (rs !== undefined && saved.randomState !== null) rs.set(saved.randomState);
}
