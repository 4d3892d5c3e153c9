import { storedGradient } from '../precision/mixedPrecision.js';
import type * as tf from '@tensorflow/tfjs-core';
import type { Tree } from '../tree/tree.js';
import { objectiveOf } from './evaluate.js';
import type { Graph } from './graph.js';
import { HYPERGRADIENTS, REPLICA_SAFE_METHODS, buildMethod, innerLoopNeeds } from './hypergradients/index.js';
import type { HypergradientMethod, HypergradientOptions } from './hypergradients/types.js';
import type { RecordedStep } from './innerLoop.js';
import { type StepDefinition, innerStep } from './innerStep.js';
import { type UnrolledMemoryPlan, planUnrolledMemory } from './memoryPlan.js';
import { type GradientOracle, type ProblemObjective, localOracle } from './oracle.js';
import type { Problem, StepContext, StepResult } from './problem.js';

/**
 * A problem wired into a program: its neighbours as nodes (values, not names), its objective,
 * gradient oracle, hypergradient method and pure inner step. Built once per engine.
 */
export interface ProblemNode {
  /** The problem's name. */
  readonly name: string;
  /** The problem (its state). */
  readonly problem: Problem;
  /** The problems whose parameters its loss reads (`u2l`), in the graph's order. */
  readonly uppers: readonly ProblemNode[];
  /** The problems whose optima its loss reads (`l2u`). */
  readonly lowers: readonly ProblemNode[];
  /** The problems that read its optimum and step when it is ready (frozen ones left out). */
  readonly parents: readonly ProblemNode[];
  /** Uppers and lowers by name (what `ctx.get` may read). */
  readonly readable: ReadonlyMap<string, ProblemNode>;
  /** Its training step. */
  readonly trainingStep: (batch: unknown, ctx: StepContext) => StepResult;
  /** `F(w, theta; batch)`, from values. */
  readonly objective: ProblemObjective;
  /** Where its derivatives are computed. */
  readonly oracle: GradientOracle;
  /** Its hypergradient method, built from its options. */
  readonly method: HypergradientMethod;
  /** Its pure inner step at loss scale `scale`; with `metrics`, each gradient reads the step's metrics into it. */
  stepAt(scale: number, metrics?: Record<string, number | tf.Tensor>): StepDefinition;
  /** One recorded update replayed: `(w, s, theta) -> (w', s')` (see `InnerLoopView.step`). */
  readonly replayStep: (w: Tree, s: Tree, theta: readonly Tree[], recorded: RecordedStep<unknown>) => [Tree, Tree];
}

/** A program: its nodes by name and its leaves (the problems that step every iteration). */
export interface Program {
  /** Nodes by name, in the order the problems were given. */
  readonly nodes: ReadonlyMap<string, ProblemNode>;
  /** Problems with no lower problems. */
  readonly leaves: readonly ProblemNode[];
  /** The memory plans of the problems differentiated by plain unrolled (see {@link planUnrolledMemory}). */
  readonly memory: readonly UnrolledMemoryPlan[];
}

type MutableNode = { -readonly [K in keyof ProblemNode]: ProblemNode[K] };

/**
 * Wires `problems` by `graph`: nodes with their neighbours, oracles (local autodiff, or the
 * problem's parallel backend) and methods, and each problem's role (what its inner loop records,
 * whether it is deferred). Problems in `frozen` never step and are not parents: their lower
 * problems train without waiting for them. A plain unrolled hypergradient whose tape is estimated
 * above `memoryLimit` bytes runs with fp32 checkpoints instead. Checks what a data-parallel
 * problem may do.
 */
export function buildProgram(problems: ReadonlyMap<string, Problem>, graph: Graph, frozen: ReadonlySet<string>, memoryLimit: number): Program {
  const nodes = new Map<string, MutableNode>();
  const methods = new Map<string, HypergradientOptions>();
  const memory: UnrolledMemoryPlan[] = [];
  for (const name of graph.names) {
    const problem = problems.get(name) as Problem;
    const hasParents = graph.parents(name).some((p) => !frozen.has(p));
    const planned = hasParents ? planUnrolledMemory(problem, memoryLimit) : { options: problem.config.hypergradient, plan: null };
    methods.set(name, planned.options);
    if (planned.plan !== null) memory.push(planned.plan);
    const node = { name, problem, uppers: [], lowers: [], parents: [], readable: new Map(), trainingStep: problem.trainingStep } as unknown as MutableNode;
    node.objective = (w, theta, batch) => objectiveOf(node, w, theta, batch);
    const parallel = problem.options.parallel;
    node.oracle = parallel !== undefined ? parallel.oracle(name, graph.uppers(name)) : localOracle(node.objective);
    node.method = buildMethod(planned.options);
    const rule = {
      optimizer: problem.options.optimizer,
      ...(problem.options.schedule ? { schedule: problem.options.schedule } : {}),
      ...(problem.options.gradCallback ? { gradCallback: problem.options.gradCallback as (g: Tree) => Tree } : {}),
      ...(problem.options.paramCallback ? { paramCallback: problem.options.paramCallback as (p: Tree) => Tree } : {}),
    };
    const make = (scale: number, metrics?: Record<string, number | tf.Tensor>): StepDefinition => ({
      gradient: storedGradient((s: number, w: Tree, theta: readonly Tree[], b: unknown) => node.oracle.gradient(w, theta, b, s, metrics), problem.precision, scale),
      ...rule,
    });
    const plain = make(1);
    node.stepAt = (scale, metrics) => (scale === 1 && metrics === undefined ? plain : make(scale, metrics));
    node.replayStep = (w, s, theta, recorded) => {
      const out = innerStep(node.stepAt(recorded.scale), w, s, recorded.batches, theta, recorded.step, { freeEarly: true });
      out.loss.dispose();
      return [out.params, out.state];
    };
    nodes.set(name, node);
  }
  const at = (n: string) => nodes.get(n) as MutableNode;
  for (const node of nodes.values()) {
    node.uppers = graph.uppers(node.name).map(at);
    node.lowers = graph.lowers(node.name).map(at);
    node.parents = graph.parents(node.name).filter((p) => !frozen.has(p)).map(at);
    node.readable = new Map([...node.uppers, ...node.lowers].map((n) => [n.name, n]));
  }
  for (const node of nodes.values()) {
    const { problem } = node;
    const o = methods.get(node.name) as HypergradientOptions;
    const needs = innerLoopNeeds(o);
    const hasParents = node.parents.length > 0;
    const record = (needs.record && hasParents) || problem.config.rollBack;
    problem.assignRole({ record, snapshots: record ? (needs.snapshots ?? null) : null, deferred: needs.defer && hasParents });
    if (problem.options.parallel !== undefined) checkParallel(node, o.method);
  }
  return { nodes, leaves: [...nodes.values()].filter((n) => n.lowers.length === 0), memory };
}

/** Throws unless a data-parallel problem is a leaf, in fp32, without loss scaling, with a replica-safe method. */
function checkParallel(node: ProblemNode, method: keyof typeof HYPERGRADIENTS): void {
  const { config } = node.problem;
  const why = node.lowers.length > 0 ? `it reads lower problems (${node.lowers.map((l) => l.name).join(', ')})`
    : config.precision !== 'fp32' ? `its precision is ${config.precision}`
      : config.lossScale !== null ? 'it has loss scaling'
        : !HYPERGRADIENTS[method].replicaSafe ? `its hypergradient method is '${method}'` : null;
  if (why !== null) {
    const safe = REPLICA_SAFE_METHODS;
    throw new Error(`problem '${node.name}' is data-parallel, but ${why}; a data-parallel problem must be a leaf, in fp32, with ${safe.slice(0, -1).join(', ')} or ${safe[safe.length - 1]}`);
  }
}
