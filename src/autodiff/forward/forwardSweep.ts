import * as tf from '@tensorflow/tfjs-core';
import type { TapeNode } from '../engineInternals.js';
import { ruleStatus } from '../registry.js';
import { vjpOrSweep } from '../tape.js';
import { notKept } from '../valueCache.js';
import { builtinTangentRules } from './jvpRules.js';
import { type TangentRule, registerTangentRule, tangentKernels as registeredKernels, tangentRule } from './tangentRule.js';

let installed = false;

/** Registers the built-in tangent rules (once; a rule registered before for a kernel is kept). */
function install(): void {
  if (installed) return;
  installed = true;
  for (const rule of builtinTangentRules()) if (tangentRule(rule.kernelName) === undefined) registerTangentRule(rule);
}

/**
 * The kernels (and hypergrad ops, `hypergrad.<name>`) that forward mode can push tangents through,
 * sorted: what `hvp(f, x, v, { mode: 'forward' })` accepts on its path (the kernels of the
 * function and of its gradient).
 *
 * @example
 * ```ts
 * tangentKernels().includes('BatchMatMul'); // true
 * ```
 */
export function tangentKernels(): string[] {
  install();
  return registeredKernels();
}

/** Kernels whose inputs are never broadcast elementwise (their shapes differ from the output's by design). */
const PRODUCTS = new Set(['BatchMatMul', 'hypergrad.transposedTimes', 'hypergrad.timesTransposed', 'hypergrad.softmaxCrossEntropy']);

/** True for the identity nodes that link a kept copy to its original (no kernel, tangent unchanged). */
function isLink(node: TapeNode): boolean {
  return node.passThrough === true || ruleStatus(node) === 'clone';
}

/** What the sweep and its estimates read of one node, looked up once per path. */
interface NodeInfo {
  /** An identity link (no kernel, tangent unchanged). */
  link: boolean;
  /** Its tangent rule (undefined where it has none, and for links). */
  rule: TangentRule | undefined;
  /** Which of its inputs carry a tangent (see {@link present}). */
  present: Record<string, boolean>;
}

/** A recorded path and what forward mode needs from it: rules, and the values they read. */
export class RecordedPath {
  /** Live copies kept on the tape of tensors that may be freed since (by original id). */
  private readonly copies = new Map<number, tf.Tensor>();
  /** Per node of the path, in order. */
  private readonly info: NodeInfo[];

  constructor(readonly nodes: readonly TapeNode[], tape: readonly TapeNode[], start: number) {
    install();
    this.info = nodes.map((node) => {
      const link = isLink(node);
      return { link, rule: link ? undefined : tangentRule(node.kernelName), present: present(node) };
    });
    for (let i = start; i < tape.length; i++) {
      const node = tape[i] as TapeNode;
      const x = node.inputs.x;
      const copy = node.outputs[0];
      if (x !== undefined && copy !== undefined && !copy.isDisposed && isLink(node)) this.copies.set(x.id, copy);
    }
  }

  /** The value of `t`: itself while alive, else a copy the tape kept, else null. */
  valueOf(t: tf.Tensor): tf.Tensor | null {
    if (!t.isDisposed) return t;
    const copy = this.copies.get(t.id);
    return copy !== undefined && !copy.isDisposed ? copy : null;
  }

  /**
   * Why forward mode cannot sweep this path (the first kernel without a tangent rule, or a value
   * its rule reads that the tape did not keep), or null when it can.
   */
  obstacle(): string | null {
    for (let i = 0; i < this.nodes.length; i++) {
      const node = this.nodes[i] as TapeNode;
      const { link, rule, present: p } = this.info[i] as NodeInfo;
      if (link) continue;
      if (rule === undefined) return `'${node.kernelName || 'an unnamed customGrad op'}' has no tangent rule`;
      for (const key of rule.reads?.(p) ?? []) {
        const t = key.startsWith('#') ? node.outputs[Number(key.slice(1))] : (node.allInputs ?? node.inputs)[key];
        if (t === undefined || this.valueOf(t) === null) return `the tangent rule of '${node.kernelName}' reads ${key.startsWith('#') ? `output ${key.slice(1)}` : `input '${key}'`}, whose value the tape did not keep`;
      }
    }
    return null;
  }

  /**
   * The kernels the forward sweep is expected to run: the sum of the rules' `cost`s (fractional
   * where a count depends on shapes or on the value cache); links run none.
   */
  forwardKernels(): number {
    let n = 0;
    for (const { link, rule, present: p } of this.info) if (!link) n += (rule as TangentRule).cost(p);
    return n;
  }

  /**
   * The kernels a backward pass over the path is estimated to run, on the same scale as
   * {@link forwardKernels}: per node and input on the path, the tangent rule's count for that input
   * alone (a vector-Jacobian product costs what the Jacobian-vector product of the same term does;
   * `vjpCost` where it does not),
   * plus a Sum where the input was broadcast (its cotangent summed back to its shape), plus 1.5
   * where it was reduced (its cotangent expanded back: zeros, an Add, often a Reshape), plus one Add
   * per extra consumer of a tensor (the accumulation of its cotangents). Nodes without a tangent
   * rule count one kernel per input.
   */
  reverseKernels(): number {
    let n = 0;
    const uses = new Map<number, number>();
    for (let i = 0; i < this.nodes.length; i++) {
      const node = this.nodes[i] as TapeNode;
      const { link, rule, present: all } = this.info[i] as NodeInfo;
      if (link) continue;
      const out = node.outputs[0]?.shape ?? [];
      for (const key in node.inputs) {
        const x = node.inputs[key] as tf.Tensor;
        n += rule === undefined ? 1 : Math.max((rule.vjpCost ?? rule.cost)(alone(all, key)), 0.5);
        const outSize = node.outputs.length === 1 ? (node.outputs[0] as tf.Tensor).size : x.size;
        if (!PRODUCTS.has(node.kernelName) && x.size < outSize && !tf.util.arraysEqual(x.shape, out)) n += 1;
        // A reduction's cotangent is expanded back: zeros of the input's shape, an Add, often a Reshape.
        if (!PRODUCTS.has(node.kernelName) && x.size > outSize) n += 1.5;
        uses.set(x.id, (uses.get(x.id) ?? 0) + 1);
      }
    }
    for (const k of uses.values()) n += k - 1;
    return n;
  }

  /**
   * Pushes `tangents` (of `xs`) forward through the path in tape order and returns the tangents of
   * `ys` (zeros where none reaches): `dy = sum_x (dy/dx) t_x`, one tangent rule per node.
   * Intermediate tangents are freed after their last use.
   */
  push(xs: readonly tf.Tensor[], tangents: readonly tf.Tensor[], ys: readonly tf.Tensor[]): tf.Tensor[] {
    notKept(tangents);
    const tan = new Map<number, tf.Tensor>();
    xs.forEach((x, i) => tan.set(x.id, tangents[i] as tf.Tensor));
    const keep = new Set<number>([...ys.map((y) => y.id), ...xs.map((x) => x.id)]);
    const lastUse = new Map<number, number>();
    this.nodes.forEach((node, i) => { for (const key in node.inputs) lastUse.set((node.inputs[key] as tf.Tensor).id, i); });
    const holders = new Map<tf.Tensor, number>();
    const hold = (t: tf.Tensor) => holders.set(t, (holders.get(t) ?? 0) + 1);
    const release = (id: number) => {
      const t = tan.get(id);
      tan.delete(id);
      if (t === undefined) return;
      const n = (holders.get(t) ?? 1) - 1;
      holders.set(t, n);
      if (n <= 0 && !tangents.includes(t)) t.dispose();
    };
    for (const t of tangents) hold(t);
    this.nodes.forEach((node, i) => {
      const outs = this.tangentsOf(node, this.info[i] as NodeInfo, tan, (o) => lastUse.has(o.id) || keep.has(o.id));
      outs.forEach((t, j) => {
        const o = node.outputs[j] as tf.Tensor;
        if (t === null) return;
        if (!tf.util.arraysEqual(t.shape, o.shape)) {
          throw new Error(`hypergrad: the tangent rule of '${node.kernelName}' gives output ${j} a tangent of shape [${t.shape}]; expected [${o.shape}]`);
        }
        tan.set(o.id, t);
        hold(t);
      });
      for (const key in node.inputs) {
        const id = (node.inputs[key] as tf.Tensor).id;
        if (lastUse.get(id) === i && !keep.has(id)) release(id);
      }
    });
    // A result that is a caller's tangent (an output that is an input) is copied: the caller owns it.
    const out = ys.map((y) => {
      const t = tan.get(y.id);
      return t === undefined ? tf.zerosLike(y) : tangents.includes(t) ? tf.clone(t) : t;
    });
    notKept(out);
    return out;
  }

  /** The output tangents of one node (null where zero or unused by the rule). */
  private tangentsOf(node: TapeNode, info: NodeInfo, tan: ReadonlyMap<number, tf.Tensor>, wanted: (o: tf.Tensor) => boolean): Array<tf.Tensor | null> {
    const inputs = node.allInputs ?? node.inputs;
    const tangents: Record<string, tf.Tensor | null> = {};
    let any = false;
    for (const key in inputs) {
      const t = key in node.inputs ? tan.get((inputs[key] as tf.Tensor).id) ?? null : null;
      tangents[key] = t;
      any ||= t !== null;
    }
    if (!any) return node.outputs.map(() => null);
    if (info.link) return [wanted(node.outputs[0] as tf.Tensor) ? tangents.x ?? null : null];
    const rule = info.rule as TangentRule;
    const value = (key: string) => {
      const t = inputs[key];
      const v = t === undefined ? null : this.valueOf(t);
      if (v === null) throw new Error(`hypergrad: the tangent rule of '${node.kernelName}' reads input '${key}', whose value the tape did not keep; declare it in the rule's reads`);
      return v;
    };
    const thunks = rule.jvp({
      tangents, value,
      output: (i) => { const o = node.outputs[i]; return o === undefined ? null : this.valueOf(o); },
      inputShape: (key) => (inputs[key] as tf.Tensor).shape,
      outputShapes: node.outputs.map((o) => o.shape),
      attrs: node.attrs ?? {},
    });
    return node.outputs.map((o, j) => {
      const thunk = thunks[j];
      if (thunk === null || thunk === undefined || o.dtype !== 'float32' || !wanted(o)) return null;
      return (tf.tidy(thunk) as tf.Tensor | null) ?? null;
    });
  }
}

/** Which inputs of `node` carry a tangent (those on the path). */
function present(node: TapeNode): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const key in node.allInputs ?? node.inputs) out[key] = key in node.inputs;
  return out;
}

/** `present` with only `key` on (one input's term alone). */
function alone(present: Record<string, boolean>, key: string): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const k in present) out[k] = k === key;
  return out;
}

/**
 * Forward mode on hypergrad's tape: the Jacobian-vector products `sum_i (d ys_j / d xs_i) ts_i` of
 * `ys = f()`, one per output, by recording `f` and pushing the tangents `ts` (shaped like `xs`)
 * through the recorded kernels' tangent rules. Returns them with the kernels on the path (in tape
 * order, identity links left out), which the tangent rules' tests check. Throws, naming the kernel,
 * where a kernel on the path has no tangent rule.
 *
 * @example
 * ```ts
 * const x = tf.tensor([0, 1]);
 * jvpOnTape(() => [tf.exp(x)], [x], [tf.ones([2])]).tangents; // [exp(x)]
 * ```
 */
export function jvpOnTape(f: () => tf.Tensor[], xs: readonly tf.Tensor[], ts: readonly tf.Tensor[]): { tangents: tf.Tensor[]; kernels: string[] } {
  const kernels: string[] = [];
  const tangents = vjpOrSweep(f, xs, null, (nodes, ys, tape, start) => {
    const path = new RecordedPath(nodes, tape, start);
    const obstacle = path.obstacle();
    if (obstacle !== null) throw new Error(`hypergrad: forward mode cannot run: ${obstacle}`);
    for (const node of nodes) if (node.passThrough !== true) kernels.push(node.kernelName);
    return path.push(xs, ts, ys);
  });
  return { tangents, kernels };
}

/**
 * The Jacobian-vector products of `ys = f()` along `ts` (shaped like `xs`) by forward mode on the
 * tape, as {@link jvpOnTape}, or null where a kernel on the path has no tangent rule (nothing is
 * left recorded then, and the caller can take another route).
 */
export function forwardJvp(f: () => tf.Tensor[], xs: readonly tf.Tensor[], ts: readonly tf.Tensor[]): tf.Tensor[] | null {
  let obstacle: string | null = null;
  try {
    return vjpOrSweep(f, xs, null, (nodes, ys, tape, start) => {
      const path = new RecordedPath(nodes, tape, start);
      obstacle = path.obstacle();
      return obstacle === null ? path.push(xs, ts, ys) : null;
    });
  } catch (e) {
    if (obstacle !== null) return null;
    throw e;
  }
}
