import * as tf from '@tensorflow/tfjs-core';
import { type TapeNode, gradientDepth, recordTape, releaseTape } from './engineInternals.js';
import { ruleStatus } from './registry.js';

/**
 * The nodes of `tape` from index `start` on a path from any of `xs` to `y`, in tape order, with
 * inputs that do not depend on `xs` pruned (they receive no gradient). Only nodes recorded by the
 * differentiated function count (tfjs's semantics at depth 0); scanning from `start` keeps nested
 * gradients linear in the work they record rather than in the whole shared tape.
 */
export function pathNodes(tape: readonly TapeNode[], xs: readonly tf.Tensor[], y: tf.Tensor, start = 0): TapeNode[] {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (let i = start; i < tape.length; i++) {
    const node = tape[i] as TapeNode;
    for (const key in node.inputs) {
      if (fromX.has((node.inputs[key] as tf.Tensor).id)) {
        for (const o of node.outputs) fromX.add(o.id);
        nodesFromX.add(node.id);
        break;
      }
    }
  }
  const toY = new Set<number>([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= start; i--) {
    const node = tape[i] as TapeNode;
    if (node.outputs.some((o) => toY.has(o.id))) {
      for (const key in node.inputs) toY.add((node.inputs[key] as tf.Tensor).id);
      nodesToY.add(node.id);
    }
  }
  const out: TapeNode[] = [];
  for (let i = start; i < tape.length; i++) {
    const node = tape[i] as TapeNode;
    if (!nodesFromX.has(node.id) || !nodesToY.has(node.id)) continue;
    const inputs: Record<string, tf.Tensor> = {};
    for (const key in node.inputs) {
      const t = node.inputs[key] as tf.Tensor;
      if (fromX.has(t.id)) inputs[key] = t;
    }
    out.push({ ...node, inputs });
  }
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

/** Reverse accumulation over `nodes` (tape order), seeded with `seed` at `y`. */
function backprop(nodes: readonly TapeNode[], y: tf.Tensor, seed: tf.Tensor, keepIds: ReadonlySet<number>): Map<number, tf.Tensor> {
  const acc = new Map<number, tf.Tensor>([[y.id, seed]]);
  // Outside any recording tape nothing else can reach the intermediate gradients, so each is freed
  // once the node that produced its tensor has used it (peak memory: the live frontier, not all).
  // Only tensors made by this pass (ids past the watermark) are freed, and only when no other
  // entry holds the same tensor (a rule may pass its dy through unchanged).
  const free = gradientDepth() === 0;
  const watermark = tf.tensor([0]);
  const firstNew = watermark.id;
  watermark.dispose();
  const refs = new Map<number, number>([[seed.id, 1]]);
  const hold = (t: tf.Tensor) => refs.set(t.id, (refs.get(t.id) ?? 0) + 1);
  const release = (t: tf.Tensor | undefined) => {
    if (t === undefined) return;
    const n = (refs.get(t.id) ?? 1) - 1;
    refs.set(t.id, n);
    if (free && n <= 0 && t !== seed && t.id > firstNew) t.dispose();
  };
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i] as TapeNode;
    const dys = node.outputs.map((o) => acc.get(o.id) ?? null) as tf.Tensor[];
    if (dys.every((d) => d === null)) continue;
    const thunks = (node.gradient as NonNullable<TapeNode['gradient']>)(dys);
    for (const key in node.inputs) {
      const thunk = thunks[key];
      if (thunk === undefined) {
        throw new Error(`hypergrad: the gradient rule of '${node.kernelName}' gives no gradient for its input '${key}'`);
      }
      const x = node.inputs[key] as tf.Tensor;
      const dx = tf.tidy(thunk);
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
        if (!refs.has(dx.id) && free && dx.id > firstNew) dx.dispose();
      }
    }
    for (const o of node.outputs) {
      if (keepIds.has(o.id)) continue;
      release(acc.get(o.id));
      acc.delete(o.id);
    }
    // The node's saved tensors are its own copies (tfjs clones what a kernel saves): done with them.
    if (free && node.saved) tf.dispose(node.saved);
  }
  return acc;
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
): { value: tf.Tensor; grads: tf.Tensor[] } {
  return tf.tidy(() => {
    let recorded: TapeNode[] = [];
    try {
      const { result: y, tape, start } = recordTape(() => tf.tidy(f));
      recorded = tape;
      if (!(y instanceof tf.Tensor)) {
        throw new TypeError(`hypergrad: the function to differentiate must return a tf.Tensor, got ${typeof y}`);
      }
      if (y.dtype !== 'float32') {
        throw new TypeError(`hypergrad: the function to differentiate returned a ${y.dtype} tensor; expected float32`);
      }
      if (dy !== undefined && !tf.util.arraysEqual(dy.shape, y.shape)) {
        throw new Error(`hypergrad: cotangent has shape [${dy.shape}], expected the output's shape [${y.shape}]`);
      }
      const nodes = pathNodes(tape, xs, y, start);
      checkNodes(nodes, gradientDepth() > 0);
      const grads = tf.tidy(() => {
        const acc = backprop(nodes, y, dy ?? tf.onesLike(y), new Set(xs.map((x) => x.id)));
        return xs.map((x) => acc.get(x.id) ?? tf.zerosLike(x));
      });
      return { value: y, grads };
    } finally {
      releaseTape(recorded);
    }
  });
}
