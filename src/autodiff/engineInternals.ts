import * as tf from '@tensorflow/tfjs-core';

/**
 * The one file that reads tfjs-core's engine internals (the tape). Pinned to tfjs-core 4.x; the
 * tests in `engineInternals.test.ts` fail loudly if a future version changes these fields.
 */

/** A node of tfjs's tape: one kernel (or customGrad scope) call recorded while a tape was on. */
export interface TapeNode {
  id: number;
  kernelName: string;
  /** Set on nodes hypergrad records itself (custom VJPs), whose backward is differentiable. */
  hypergradOp?: true;
  inputs: Record<string, tf.Tensor>;
  /**
   * Set on the identity nodes that link a saved tensor to its original (see `shareSavedTensors`):
   * the backward pass hands the cotangent through unchanged, with no kernel.
   */
  passThrough?: true;
  /** All of the kernel's inputs, where `inputs` was pruned to those on a differentiated path. */
  allInputs?: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  gradient?: (dys: tf.Tensor[]) => Record<string, () => tf.Tensor>;
  saved?: tf.Tensor[];
  /** The kernel's attributes (transpose flags, axes...), captured by {@link captureAttrs}. */
  attrs?: Record<string, unknown>;
}

interface EngineState {
  activeTape: TapeNode[] | null;
  gradientDepth: number;
  kernelDepth: number;
  nextTapeNodeId: number;
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

/** True when a gradient tape is recording kernels now (inside a gradient's forward pass). */
export function isTapeOn(): boolean {
  const s = engine().state;
  return s.gradientDepth > 0 && s.kernelDepth === 0;
}

/** Appends `node` itself (its id assigned) to the active tape (only while {@link isTapeOn}). */
export function pushTapeNode(node: Omit<TapeNode, 'id'>): TapeNode {
  const s = engine().state;
  const withId = Object.assign(node, { id: s.nextTapeNodeId++ }) as TapeNode;
  (s.activeTape as TapeNode[]).push(withId);
  return withId;
}

/**
 * An id above every tensor's made so far and below every tensor's made from now on (tensor ids
 * only grow): a watermark, taken from tfjs's `engine.nextTensorId()` (which hands out the next
 * id) rather than by making and freeing a tensor to read its id.
 */
export function tensorIdWatermark(): number {
  const e = tf.engine() as unknown as { nextTensorId?: () => number };
  if (typeof e.nextTensorId === 'function') return e.nextTensorId();
  const t = tf.tensor([0]);
  t.dispose();
  return t.id;
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

/** Tapes recorded by hypergrad's {@link recordTape} (tfjs's own `tf.grad` records others). */
const ourTapes = new WeakSet<TapeNode[]>();

/**
 * Runs `f` while recording a tape, as tfjs's `engine.gradients` does, and returns its result, the
 * tape and the index of the first node `f` recorded (a nested call shares the outer tape). The
 * caller must call {@link releaseTape} when done with it.
 */
export function recordTape<T>(f: () => T): { result: T; tape: TapeNode[]; start: number } {
  const e = engine();
  captureAttrs();
  e.startTape();
  const tape = e.state.activeTape as TapeNode[];
  ourTapes.add(tape);
  const start = tape.length;
  let result: T;
  try {
    result = f();
  } catch (err) {
    e.endTape();
    releaseTape(tape);
    throw err;
  }
  e.endTape();
  return { result, tape, start };
}

/**
 * When no outer tape is recording, disposes the tensors that `tape` saved for backward passes and
 * drops it (what tfjs's `engine.gradients` does at depth 0). Inside an outer gradient it does
 * nothing: the outer one owns the tape. Each call releases the tape it recorded, not whichever tape
 * is active: a gradient taken inside another one's backward pass (at depth 0, e.g. a Hessian solve
 * inside a hypergradient's VJP) records and releases a tape of its own.
 */
export function releaseTape(tape: TapeNode[]): void {
  const s = engine().state;
  if (s.gradientDepth !== 0) return;
  for (const node of tape) if (node.saved) tf.dispose(node.saved);
  tape.length = 0;
  if (s.activeTape === tape) s.activeTape = null;
}

interface AttrInternals {
  state: EngineState;
  addTapeNode(name: string, inputs: Record<string, tf.Tensor>, outputs: tf.Tensor[], grad: unknown, saved: tf.Tensor[], attrs: object): void;
  hypergradAttrs?: true;
}

/**
 * Makes every tape node carry its kernel's attributes (`TapeNode.attrs`): tfjs passes them to the
 * gradient closure only, and forward-mode tangent rules need them too (a matMul's transpose
 * flags, a sum's axes). Idempotent; installed by {@link recordTape}.
 */
export function captureAttrs(): void {
  const e = tf.engine() as unknown as AttrInternals;
  if (e.hypergradAttrs || typeof e.addTapeNode !== 'function') return;
  const original = e.addTapeNode.bind(e);
  e.addTapeNode = (name, inputs, outputs, grad, saved, attrs) => {
    const tape = e.state.activeTape;
    const before = tape?.length ?? 0;
    original(name, inputs, outputs, grad, saved, attrs);
    if (tape !== null && tape.length > before) (tape[tape.length - 1] as TapeNode).attrs = attrs as Record<string, unknown>;
  };
  e.hypergradAttrs = true;
}

interface SaveInternals {
  state: { tensorInfo: WeakMap<object, { backend: { incRef(dataId: unknown): void } }>; activeScope: { name: string } };
  keep<T extends tf.Tensor>(t: T): T;
  clone<T extends tf.Tensor>(t: T): T;
  addTapeNode(name: string, inputs: Record<string, tf.Tensor>, outputs: tf.Tensor[], grad: (dy: tf.Tensor) => Record<string, () => tf.Tensor>, saved: tf.Tensor[], attrs: object): void;
  makeTensorFromDataId(dataId: unknown, shape: number[], dtype: tf.DataType, backend: unknown): tf.Tensor;
  saveTensorsForBackwardMode(tensors: tf.Tensor[]): tf.Tensor[];
  hypergradSharedSaves?: true;
}

/**
 * Makes tfjs keep the tensors a kernel saves for its backward pass by sharing their buffers
 * instead of copying them. tfjs saves `engine.clone(t)`: an `Identity` kernel (which shares the
 * buffer on the cpu backend but copies it on wasm) plus a tape node linking the copy to `t`, which
 * higher-order gradients follow. This does the same with the buffer shared (a new tensor on the
 * same data, its reference count raised, as the cpu backend's Identity does) and the same tape
 * node: on wasm, every saved tensor cost a full copy before. Idempotent.
 */
export function shareSavedTensors(): void {
  const e = tf.engine() as unknown as SaveInternals;
  if (e.hypergradSharedSaves || typeof e.saveTensorsForBackwardMode !== 'function' || typeof e.makeTensorFromDataId !== 'function') return;
  const identity = (dy: tf.Tensor) => ({ x: () => tf.cast(dy, 'float32') });
  e.saveTensorsForBackwardMode = (tensors: tf.Tensor[]) => tensors.map((t) => {
    const y = sharedView(e, t);
    if (y === null) return e.keep(e.clone(t));
    e.addTapeNode(e.state.activeScope.name, { x: t }, [y], identity, [], {});
    const tape = (e.state as unknown as EngineState).activeTape;
    if (tape !== null && tape.length > 0) (tape[tape.length - 1] as TapeNode).passThrough = true;
    return e.keep(y);
  });
  e.hypergradSharedSaves = true;
}

/** A new tensor on `t`'s buffer (its reference count raised), or null where that cannot be done. */
function sharedView(e: SaveInternals, t: tf.Tensor): tf.Tensor | null {
  const info = e.state.tensorInfo.get(t.dataId as object);
  if (info === undefined || t.dtype === 'string' || typeof e.makeTensorFromDataId !== 'function') return null;
  info.backend.incRef(t.dataId);
  return e.makeTensorFromDataId(t.dataId, t.shape, t.dtype, info.backend);
}

/**
 * A copy of `t` that shares its buffer (tensors are immutable, so this is a copy by value) and is
 * linked to nothing on any tape: a fresh value to every gradient. Falls back to `tf.clone` with
 * recording off where the buffer cannot be shared.
 */
export function sharedCopy<T extends tf.Tensor>(t: T): T {
  return (sharedView(tf.engine() as unknown as SaveInternals, t) as T | null) ?? untracked(() => tf.clone(t));
}

/**
 * Keeps `tensors` for a backward pass as a kernel's saved tensors are kept (sharing buffers once
 * `shareSavedTensors` is installed): each copy is kept and, while a tape records, linked to its
 * original by an identity node, so higher-order gradients follow it.
 */
export function saveForBackward(tensors: tf.Tensor[]): tf.Tensor[] {
  const e = tf.engine() as unknown as SaveInternals;
  return e.saveTensorsForBackwardMode(tensors);
}

interface GradientSaveInternals {
  state: { activeTape: TapeNode[] | null };
  getTensorsForGradient(kernelName: string, inputs: Record<string, tf.Tensor>, outputs: tf.Tensor[]): tf.Tensor[];
  hypergradShapeOnlySaves?: (kernelName: string) => boolean;
}

/**
 * Makes kernels for which `shapesOnly(kernelName)` holds save nothing while hypergrad's tape
 * records (tfjs's own tapes are left as they are): tfjs saves a kernel's `inputsToSave` through
 * `getTensorsForGradient`, which holds their buffers until the backward pass even when the rule
 * reads only their shapes (Add, Sum, Reshape...). Such rules read shapes from the tape node instead.
 * Idempotent (a later call replaces the predicate).
 */
export function skipShapeOnlySaves(shapesOnly: (kernelName: string) => boolean): void {
  const e = tf.engine() as unknown as GradientSaveInternals;
  if (typeof e.getTensorsForGradient !== 'function') return;
  if (e.hypergradShapeOnlySaves === undefined) {
    const original = e.getTensorsForGradient.bind(e);
    e.getTensorsForGradient = (kernelName, inputs, outputs) => {
      const tape = e.state.activeTape;
      if (tape !== null && ourTapes.has(tape) && e.hypergradShapeOnlySaves?.(kernelName) === true) return [];
      return original(kernelName, inputs, outputs);
    };
  }
  e.hypergradShapeOnlySaves = shapesOnly;
}
