import * as tf from '@tensorflow/tfjs-core';

/**
 * The one file that reads tfjs-core's engine internals (the tape). Pinned to tfjs-core 4.x; the
 * tests in `engineInternals.test.ts` fail loudly if a future version changes these fields.
 */

/** A node of tfjs's tape: one kernel (or customGrad scope) call recorded while a tape was on. */
export interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  gradient?: (dys: tf.Tensor[]) => Record<string, () => tf.Tensor>;
  saved?: tf.Tensor[];
}

interface EngineState {
  activeTape: TapeNode[] | null;
  gradientDepth: number;
  kernelDepth: number;
}

interface EngineInternals {
  state: EngineState;
  startTape(): void;
  endTape(): void;
}

/** tfjs's engine, with the fields hypergrad's tape code reads. */
export function engine(): EngineInternals {
  const e = tf.engine() as unknown as EngineInternals;
  if (e.state === undefined || typeof e.startTape !== 'function' || typeof e.endTape !== 'function') {
    throw new Error(
      `hypergrad: this tfjs-core (${tf.version_core}) does not expose the tape hypergrad needs ` +
        `(engine.state, startTape, endTape); hypergrad supports @tensorflow/tfjs-core 4.x`,
    );
  }
  return e;
}

/** How many gradient tapes are recording right now (0 outside any gradient computation). */
export function gradientDepth(): number {
  return engine().state.gradientDepth;
}

/**
 * Runs `fn` with tape recording off, so nothing it computes is seen by any enclosing gradient: its
 * results are constants to differentiation (JAX's `stop_gradient`). Use it only for values whose
 * derivative is zero almost everywhere (masks, argmax indices) or which are meant as constants.
 */
export function untracked<T>(fn: () => T): T {
  const s = engine().state;
  s.kernelDepth++;
  try {
    return fn();
  } finally {
    s.kernelDepth--;
  }
}

/**
 * Runs `f` while recording a tape, as tfjs's `engine.gradients` does, and returns its result and the
 * tape. The caller must call {@link releaseTape} when done with it.
 */
export function recordTape<T>(f: () => T): { result: T; tape: TapeNode[] } {
  const e = engine();
  e.startTape();
  let result: T;
  try {
    result = f();
  } finally {
    e.endTape();
  }
  return { result, tape: e.state.activeTape ?? [] };
}

/**
 * When no outer tape is recording, disposes the tensors that the tape saved for backward passes and
 * drops the tape (what tfjs's `engine.gradients` does at depth 0). Inside an outer gradient it does
 * nothing: the outer one owns the tape.
 */
export function releaseTape(): void {
  const s = engine().state;
  if (s.gradientDepth !== 0 || s.activeTape === null) return;
  for (const node of s.activeTape) if (node.saved) tf.dispose(node.saved);
  s.activeTape = null;
}
