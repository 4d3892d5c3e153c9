import * as tf from '@tensorflow/tfjs-core';
import { type TapeNode, gradientDepth, recordTape, releaseTape, sharedCopy, tensorIdWatermark, untracked } from './engineInternals.js';
import { ruleStatus, supportedKernels, withNodeInputs } from './registry.js';
import { cacheScope, notKept } from './valueCache.js';

/**
 * The nodes of `tape` from index `start` on a path from any of `xs` to `y`, in tape order, with
 * inputs that do not depend on `xs` pruned (they receive no gradient). Only nodes recorded by the
 * differentiated function count (tfjs's semantics at depth 0); scanning from `start` keeps nested
 * gradients linear in the work they record rather than in the whole shared tape.
 */
export function pathNodes(tape: readonly TapeNode[], xs: readonly tf.Tensor[], y: tf.Tensor | readonly tf.Tensor[], start = 0): TapeNode[] {
  const fromX = new Set<number>();
  for (const x of xs) fromX.add(x.id);
  // Per node from `start`: its inputs (one Object.keys each; the passes below reuse them), and
  // whether one depends on `xs`.
  const n = tape.length - start;
  const keysOf: string[][] = new Array(n);
  const reachesX: boolean[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const node = tape[start + i] as TapeNode;
    const keys = Object.keys(node.inputs);
    keysOf[i] = keys;
    let hit = false;
    for (let k = 0; k < keys.length; k++) {
      if (fromX.has((node.inputs[keys[k] as string] as tf.Tensor).id)) { hit = true; break; }
    }
    reachesX[i] = hit;
    if (hit) for (const o of node.outputs) fromX.add(o.id);
  }
  const toY = new Set<number>();
  for (const t of Array.isArray(y) ? y : [y]) toY.add((t as tf.Tensor).id);
  const onPath: boolean[] = new Array(n).fill(false);
  for (let i = n - 1; i >= 0; i--) {
    const node = tape[start + i] as TapeNode;
    let feeds = false;
    for (const o of node.outputs) if (toY.has(o.id)) { feeds = true; break; }
    if (!feeds) continue;
    const keys = keysOf[i] as string[];
    for (let k = 0; k < keys.length; k++) toY.add((node.inputs[keys[k] as string] as tf.Tensor).id);
    onPath[i] = reachesX[i] as boolean;
  }
  const out: TapeNode[] = [];
  for (let i = 0; i < n; i++) {
    if (!onPath[i]) continue;
    const node = tape[start + i] as TapeNode;
    const keys = keysOf[i] as string[];
    let all = true;
    for (let k = 0; k < keys.length; k++) if (!fromX.has((node.inputs[keys[k] as string] as tf.Tensor).id)) { all = false; break; }
    // Nothing to prune: the node itself (no copy; `allInputs` absent means `inputs` are all).
    if (all) { out.push(node); continue; }
    const inputs: Record<string, tf.Tensor> = {};
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k] as string;
      const t = node.inputs[key] as tf.Tensor;
      if (fromX.has(t.id)) inputs[key] = t;
    }
    out.push(prunedNode(node, inputs));
  }
  return out;
}

/**
 * `node` with its inputs pruned to `inputs` (`allInputs` keeps them all). Every field of
 * {@link TapeNode} copied by name: an object spread of tfjs's tape nodes costs about 25 times more.
 */
function prunedNode(node: TapeNode, inputs: Record<string, tf.Tensor>): TapeNode {
  const out: TapeNode = { id: node.id, kernelName: node.kernelName, inputs, allInputs: node.inputs, outputs: node.outputs };
  if (node.hypergradOp !== undefined) out.hypergradOp = node.hypergradOp;
  if (node.passThrough !== undefined) out.passThrough = node.passThrough;
  if (node.gradient !== undefined) out.gradient = node.gradient;
  if (node.saved !== undefined) out.saved = node.saved;
  if (node.attrs !== undefined) out.attrs = node.attrs;
  return out;
}

/** The error for a node the backward pass cannot go through at the order asked. */
function unverifiedError(node: TapeNode, why: string, secondOrder: boolean): Error {
  const what = node.kernelName === '' ? 'an unnamed customGrad op' : `'${node.kernelName}'`;
  return new Error(
    `hypergrad: ${secondOrder ? 'a gradient of a gradient (e.g. a Hessian-vector product)' : 'a gradient'} ` +
      `passes through ${what}, which ${why}. ` +
      (secondOrder
        ? 'Its derivative would be silently wrong, so hypergrad refuses. '
        : '') +
      `Write the computation with ops whose kernels hypergrad has rules for (see supportedKernels(); ` +
      `hypergrad's losses replace tf.losses, logSoftmax replaces tf.logSoftmax), or add a rule written ` +
      `with ops of the kernel's inputs through registerRule({kernelName, inputsToSave, gradFunc}) and ` +
      `check it against finite differences with checkDerivatives().`,
  );
}

/** Checks, before any backward work, that every node on the path can be differentiated as asked. */
function checkNodes(nodes: readonly TapeNode[], secondOrder: boolean): void {
  for (const node of nodes) {
    const status = ruleStatus(node);
    if (status === 'verified' || status === 'clone') continue;
    if (supportedKernels().length === 0) {
      throw new Error(
        `hypergrad: a gradient passes through '${node.kernelName}', but hypergrad's gradient rules are not installed ` +
          '(importing hypergrad installs nothing): call initBackend() first, or registerRules() when you select the backend yourself.',
      );
    }
    if (status === 'missing') throw unverifiedError(node, 'has no gradient rule', secondOrder);
    if (secondOrder) {
      throw unverifiedError(
        node,
        status === 'replaced'
          ? 'has a gradient rule registered by someone else after hypergrad (e.g. by importing ' +
              '@tensorflow/tfjs); call registerRules() again to restore hypergrad\'s'
          : 'has a gradient but no second-order-verified rule (a customGrad op or a kernel outside hypergrad\'s table)',
        true,
      );
    }
  }
}

/**
 * While a backward pass computes a gradient it returns as-is for an outer gradient to differentiate
 * (see `deferLeafValues`), the products recorded by {@link deferredValue}'s callers, else null.
 */
let deferring: { made: tf.Tensor[]; leaf: tf.Tensor } | null = null;

/**
 * For a recorded op (a `customVjp` whose backward pass does not read its outputs) about to compute
 * its value: a placeholder of `shape` to record in place of the value, when the value is certain
 * to be unused (it becomes a gradient that is returned only to be differentiated again, as a
 * Hessian-vector product's inner gradient is), else null (compute it). The caller passes the op's
 * output to {@link noteDeferred}; the backward pass checks that it was the thunk's result and
 * recomputes the thunk, without placeholders, when it was consumed instead.
 */
export function deferredValue(shape: readonly number[]): tf.Tensor | null {
  if (deferring === null) return null;
  // Any values of the shape do; the leaf's own buffer, shared, costs no kernel and no memory.
  if (tf.util.arraysEqual(deferring.leaf.shape, shape as number[])) return sharedCopy(deferring.leaf);
  return untracked(() => tf.fill(shape as number[], 0));
}

/** Records `out`, an op's output whose value is a placeholder from {@link deferredValue}. */
export function noteDeferred(out: tf.Tensor): void {
  deferring?.made.push(out);
}

/**
 * `thunk()`, or, with `defer`, `thunk()` with placeholder values for the recorded products that
 * are its result: recomputed without them if one was consumed rather than returned.
 */
function leafGradient(thunk: () => tf.Tensor, leaf: tf.Tensor, defer: boolean): tf.Tensor {
  if (!defer) return tf.tidy(thunk);
  const prev = deferring;
  const made: tf.Tensor[] = [];
  deferring = { made, leaf };
  let dx: tf.Tensor;
  try {
    dx = tf.tidy(thunk);
  } finally {
    deferring = prev;
  }
  if (made.length === 0 || (made.length === 1 && made[0] === dx)) return dx;
  dx.dispose();
  return tf.tidy(thunk);
}

/**
 * Reverse accumulation over `nodes` (tape order), seeded with `seeds[i]` at `ys[i]`. With
 * `deferLeaves`, the gradients of the `keepIds` tensors are wanted only as outputs of an outer
 * gradient (their values unread): the products that end at them record placeholders.
 */
function backprop(nodes: readonly TapeNode[], ys: readonly tf.Tensor[], seeds: readonly tf.Tensor[], keepIds: ReadonlySet<number>, deferLeaves = false): Map<number, tf.Tensor> {
  const acc = new Map<number, tf.Tensor>();
  // Each intermediate gradient is freed once the node that produced its tensor has used it (peak
  // memory: the live frontier, not all). This holds inside a recording tape too: an outer backward
  // pass reads only the tensors its nodes saved (which share buffers and outlive this), and of the
  // rest only ids and shapes. Only tensors made by this pass (ids past the watermark) are freed,
  // and only when no other entry holds the same tensor (a rule may pass its dy through unchanged).
  // The nodes' own saved tensors are freed only when no outer tape records: a nested gradient
  // shares its forward nodes with the outer one, whose backward pass will run them again.
  const freeSaved = gradientDepth() === 0;
  const firstNew = tensorIdWatermark();
  const refs = new Map<number, number>();
  const hold = (t: tf.Tensor) => refs.set(t.id, (refs.get(t.id) ?? 0) + 1);
  const release = (t: tf.Tensor | undefined) => {
    if (t === undefined) return;
    const n = (refs.get(t.id) ?? 1) - 1;
    refs.set(t.id, n);
    if (n <= 0 && t.id > firstNew) t.dispose();
  };
  // The caller's seeds were made before the watermark, so they are never freed here.
  ys.forEach((y, i) => {
    const seed = seeds[i] as tf.Tensor;
    const prev = acc.get(y.id);
    const sum = prev === undefined ? seed : tf.add(prev, seed);
    acc.set(y.id, sum);
    hold(sum);
    if (prev !== undefined) release(prev);
  });
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i] as TapeNode;
    const dys = node.outputs.map((o) => acc.get(o.id) ?? null) as tf.Tensor[];
    if (dys.every((d) => d === null)) continue;
    if (node.passThrough === true) {
      // A saved tensor's link to its original: the cotangent goes through as it is, no kernel.
      const x = node.inputs.x as tf.Tensor | undefined;
      const dy = dys[0] as tf.Tensor | null;
      if (x !== undefined && dy !== null && dy.dtype === 'float32') {
        const prev = acc.get(x.id);
        const sum = prev === undefined ? dy : tf.add(prev, dy);
        acc.set(x.id, sum);
        hold(sum);
        if (prev !== undefined) release(prev);
        for (const o of node.outputs) {
          if (keepIds.has(o.id)) continue;
          release(acc.get(o.id));
          acc.delete(o.id);
        }
        continue;
      }
    }
    const thunks = withNodeInputs(node.allInputs ?? node.inputs, () => (node.gradient as NonNullable<TapeNode['gradient']>)(dys));
    for (const key in node.inputs) {
      const thunk = thunks[key];
      if (thunk === undefined) {
        throw new Error(`hypergrad: the gradient rule of '${node.kernelName}' gives no gradient for its input '${key}'`);
      }
      const x = node.inputs[key] as tf.Tensor;
      const dx = leafGradient(thunk, x, deferLeaves && keepIds.has(x.id));
      if (dx.dtype !== 'float32' || !tf.util.arraysEqual(dx.shape, x.shape)) {
        throw new Error(
          `hypergrad: the gradient rule of '${node.kernelName}' gives input '${key}' a ${dx.dtype} ` +
            `gradient of shape [${dx.shape}]; expected float32 of shape [${x.shape}]`,
        );
      }
      const prev = acc.get(x.id);
      if (prev === undefined) {
        acc.set(x.id, dx);
        hold(dx);
      } else {
        const sum = tf.add(prev, dx);
        acc.set(x.id, sum);
        hold(sum);
        release(prev);
        if (!refs.has(dx.id) && dx.id > firstNew) dx.dispose();
      }
    }
    for (const o of node.outputs) {
      if (keepIds.has(o.id)) continue;
      release(acc.get(o.id));
      acc.delete(o.id);
    }
    // The node's saved tensors are its own copies (tfjs clones what a kernel saves): done with them.
    if (freeSaved && node.saved) tf.dispose(node.saved);
  }
  return acc;
}

/** The default seeds of {@link gradients}: ones made here, linked to nothing, never exposed. */
const unitSeeds = new WeakSet<tf.Tensor>();

/** Ones of `shape`, made with the tape off and marked as a unit seed (see {@link isUnitSeed}). */
function unitSeed(shape: number[]): tf.Tensor {
  const seed = untracked(() => tf.ones(shape));
  unitSeeds.add(seed);
  return seed;
}

/**
 * True when `t` is the default cotangent seed of a gradient (ones, made with the tape off and
 * linked to nothing, so a constant to every gradient): a rule may take it as 1 and skip the
 * product with it (the scalar seed of a scaled loss).
 */
export function isUnitSeed(t: tf.Tensor): boolean {
  return unitSeeds.has(t);
}

/** Options of {@link gradients}. */
export interface GradientsOptions {
  /**
   * The gradients are wanted only as outputs of an enclosing gradient, which differentiates them
   * and never reads their values (a Hessian-vector product's inner gradient): the last product of
   * each (`x^T dy` of a layer, the largest matMul of the pass) is recorded without being computed,
   * its value a placeholder. Only while an outer gradient records; ignored otherwise.
   */
  onlyDifferentiated?: boolean;
}

/**
 * Reverse-mode differentiation of `f` with respect to `xs`, on tfjs's tape, with hypergrad's checks:
 * returns `y = f()` and `dy^T dy/dx_i` for each `x_i` (zeros where `y` does not depend on `x_i`).
 *
 * When an outer gradient is recording (this call is nested, so its backward pass will itself be
 * differentiated) every node on the path must have a second-order-verified rule, else it throws an
 * error naming the kernel. `dy` defaults to ones of `y`'s shape.
 */
export function gradients(
  f: () => tf.Tensor,
  xs: readonly tf.Tensor[],
  dy?: tf.Tensor,
  options: GradientsOptions = {},
): { value: tf.Tensor; grads: tf.Tensor[] } {
  return tf.tidy(() => {
    const { values, grads } = pullBack(() => {
      const y = f();
      if (!(y instanceof tf.Tensor)) {
        throw new TypeError(`hypergrad: the function to differentiate must return a tf.Tensor, got ${typeof y}`);
      }
      return [y];
    }, xs, true, (ys) => {
      const y = ys[0] as tf.Tensor;
      if (dy !== undefined && !tf.util.arraysEqual(dy.shape, y.shape)) {
        throw new Error(`hypergrad: cotangent has shape [${dy.shape}], expected the output's shape [${y.shape}]`);
      }
      // The default seed is a constant: recorded, an outer gradient would run back through the
      // whole forward pass from it only to find a zero derivative.
      return [dy ?? unitSeed(y.shape)];
    }, options.onlyDifferentiated === true);
    return { value: (values as tf.Tensor[])[0] as tf.Tensor, grads };
  });
}

/**
 * The vector-Jacobian product of a function with several outputs: returns `ys = f()` and
 * `sum_j cts[j]^T d ys[j] / d x_i` for each `x_i`, seeding each output with its own cotangent.
 * This is `gradients` of `sum_j <cts[j], ys[j]>` without forming the products: no output-sized
 * temporaries outlive the forward pass. `cts[j]` must have the shape of `ys[j]`; outputs that are
 * not float32 (integer counters in an optimizer state) take no cotangent and `cts[j]` is ignored.
 */
export function vjpOf(
  f: () => tf.Tensor[],
  xs: readonly tf.Tensor[],
  cts: readonly tf.Tensor[],
): { values: tf.Tensor[]; grads: tf.Tensor[] };
/**
 * {@link vjpOf} without the outputs' values: they are freed before the backward pass (their
 * buffers stay only where a backward rule saved them), which lowers its peak memory.
 */
export function vjpOf(
  f: () => tf.Tensor[],
  xs: readonly tf.Tensor[],
  cts: readonly tf.Tensor[],
  options: { values: false },
): { grads: tf.Tensor[] };
export function vjpOf(
  f: () => tf.Tensor[],
  xs: readonly tf.Tensor[],
  cts: readonly tf.Tensor[],
  options?: { values: false },
): { values?: tf.Tensor[]; grads: tf.Tensor[] } {
  return tf.tidy(() => pullBack(f, xs, options?.values !== false, (ys) => {
    if (ys.length !== cts.length) throw new Error(`hypergrad: vjpOf got ${cts.length} cotangents for ${ys.length} outputs`);
    ys.forEach((y, j) => {
      const c = cts[j] as tf.Tensor;
      if (y.dtype === 'float32' && !tf.util.arraysEqual(c.shape, y.shape)) {
        throw new Error(`hypergrad: cotangent ${j} has shape [${c.shape}], expected its output's shape [${y.shape}]`);
      }
    });
    return cts.slice();
  }));
}

/**
 * A forward sweep offered the recorded path in place of the backward pass: given the path's nodes
 * (tape order) from `xs` to the outputs `ys`, it returns its own results (one per `x`, e.g. the
 * tangents of `ys` in a forward-over-reverse Hessian-vector product) or null to let the backward
 * pass run. `tape` (from index `start`) is the whole recording, whose identity nodes link kept
 * copies to their originals (where a sweep finds values freed since). It runs inside the
 * differentiation's value-cache scope, before any check or freeing.
 */
export type PathSweep = (nodes: readonly TapeNode[], ys: readonly tf.Tensor[], tape: readonly TapeNode[], start: number) => tf.Tensor[] | null;

/**
 * {@link vjpOf} without the outputs' values, where `sweep` may take the recorded path over instead
 * of the backward pass (see {@link PathSweep}): the recording is shared by both, so a caller that
 * chooses between forward and reverse mode from the path records it once. `cts` null: no backward
 * pass is wanted (the sweep must run; its results are returned).
 */
export function vjpOrSweep(f: () => tf.Tensor[], xs: readonly tf.Tensor[], cts: readonly tf.Tensor[] | null, sweep: PathSweep): tf.Tensor[] {
  return tf.tidy(() => pullBack(f, xs, false, (ys) => {
    if (cts === null) return ys;
    if (ys.length !== cts.length) throw new Error(`hypergrad: vjpOf got ${cts.length} cotangents for ${ys.length} outputs`);
    return cts.slice();
  }, false, cts === null ? (...args) => {
    const out = sweep(...args);
    if (out === null) throw new Error('hypergrad: vjpOrSweep without cotangents needs a sweep that runs');
    return out;
  } : sweep).grads);
}

/**
 * Records `f`, checks its path and runs the backward pass from the seeds `seedsFor(ys)`. Without
 * `keepValues`, the outputs `f` made are freed before the backward pass; `deferLeaves`: see
 * {@link GradientsOptions.onlyDifferentiated}; `sweep`: see {@link PathSweep}.
 */
function pullBack(
  f: () => tf.Tensor[],
  xs: readonly tf.Tensor[],
  keepValues: boolean,
  seedsFor: (ys: tf.Tensor[]) => tf.Tensor[],
  deferLeaves = false,
  sweep?: PathSweep,
): { values?: tf.Tensor[]; grads: tf.Tensor[] } {
  return cacheScope(xs, () => pullBackScoped(f, xs, keepValues, seedsFor, deferLeaves, sweep));
}

function pullBackScoped(
  f: () => tf.Tensor[],
  xs: readonly tf.Tensor[],
  keepValues: boolean,
  seedsFor: (ys: tf.Tensor[]) => tf.Tensor[],
  deferLeaves: boolean,
  sweep: PathSweep | undefined,
): { values?: tf.Tensor[]; grads: tf.Tensor[] } {
  let recorded: TapeNode[] = [];
  try {
    const firstNew = tensorIdWatermark();
    const { result: ys, tape, start } = recordTape(() => tf.tidy(f));
    recorded = tape;
    for (const y of ys) {
      if (!(y instanceof tf.Tensor)) {
        throw new TypeError(`hypergrad: the function to differentiate must return tf.Tensors, got ${typeof y}`);
      }
    }
    const seeds = seedsFor(ys);
    notKept(seeds);
    const live = ys.map((y, j) => [y, seeds[j] as tf.Tensor] as const).filter(([y]) => y.dtype === 'float32' || ys.length === 1);
    for (const [y] of live) {
      if (y.dtype !== 'float32') throw new TypeError(`hypergrad: the function to differentiate returned a ${y.dtype} tensor; expected float32`);
    }
    const outs = live.map(([y]) => y);
    const nodes = pathNodes(tape, xs, outs, start);
    if (sweep !== undefined) {
      const swept = tf.tidy(() => sweep(nodes, outs, tape, start) as tf.Tensor[]) as tf.Tensor[] | null;
      if (swept !== null) return keepValues ? { values: ys, grads: swept } : { grads: swept };
    }
    checkNodes(nodes, gradientDepth() > 0);
    if (!keepValues) for (const y of ys) if (y.id > firstNew) y.dispose();
    const grads = tf.tidy(() => {
      const acc = backprop(nodes, outs, live.map(([, s]) => s), new Set(xs.map((x) => x.id)), deferLeaves && gradientDepth() > 0);
      return xs.map((x) => acc.get(x.id) ?? tf.zerosLike(x));
    });
    return keepValues ? { values: ys, grads } : { grads };
  } finally {
    releaseTape(recorded);
  }
}
