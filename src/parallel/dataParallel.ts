import { Worker } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { type BackendName, initBackend } from '../backend/initBackend.js';
import type { Tree } from '../tree/tree.js';
import { CTRL, ERROR_BYTES, type Layout, OP, type TreeSpec, type Views, bufferBytes, makeLayout, views } from './layout.js';
import type { GradientOracle, ParallelBackend } from '../multilevel/oracle.js';
import type { StepContext } from '../multilevel/problem.js';
import { packRecord, packTree, specOf, unpackRecord, unpackTree } from './pack.js';
import { programTrainingStep } from './programTrainingStep.js';
import type { ReplicaFactory, ReplicaProgram } from './types.js';

/** A gradient all-reduced over the replicas. */
export interface ReplicatedGradient<P extends Tree> {
  /** The mean loss. */
  loss: number;
  /** The mean gradient. */
  grads: P;
}

/** Options of {@link DataParallel.create}. */
export interface DataParallelOptions {
  /** The module every replica imports (a path or URL of compiled JavaScript). */
  module: string | URL;
  /** Its export that builds the {@link ReplicaProgram}; default `program`. */
  exportName?: string;
  /** What the export is called with in every replica (and here, when `local` is not given). */
  args?: unknown;
  /** Replicas (worker threads), at least 1. */
  replicas: number;
  /** The problem's parameters (their shapes and structure; values are sent per call). */
  params: Tree;
  /** Its upper problems' parameters by name, as the problem's loss reads them; default none. */
  uppers?: Record<string, Tree>;
  /** The replicas' backend; default the main thread's current one. */
  backend?: BackendName;
  /**
   * The program in this thread (the single-process path, used for evaluation); default: imported
   * from `module`.
   */
  local?: ReplicaProgram;
}

/** The worker entry next to this file (compiled), or the compiled one when running from sources. */
function workerUrl(): URL {
  const here = new URL('./worker.js', import.meta.url);
  if (!import.meta.url.endsWith('.ts')) return here;
  return new URL('../../dist/src/parallel/worker.js', import.meta.url);
}

/**
 * A data-parallel backend for one problem (in the spirit of BETTY's distributed data parallelism,
 * designed for Node): R replicas in `worker_threads`, each with its own tfjs backend and its own
 * copy of the data, compute on shard r of R equal parts of each global batch; results are
 * all-reduced (mean, in replica order, so runs are deterministic) through a `SharedArrayBuffer`.
 * Calls are synchronous (the caller blocks on `Atomics.wait`), so they can sit inside a
 * hypergradient method. What crosses threads is the parameters, one vector and the results; the
 * interface (`gradient`, `hessianVector`, `mixedVector` by batch key) is what a multi-machine
 * backend would implement.
 *
 * The mean over shards equals the global-batch value because the program's loss is a mean and the
 * shards are equal; results equal the single-process ones up to float32 summation order.
 */
export class DataParallel implements ParallelBackend {
  /** Replicas. */
  readonly replicas: number;
  /** The program in this thread. */
  readonly local: ReplicaProgram;
  /** Names of the upper problems, sorted. */
  readonly upperNames: readonly string[];
  private readonly layout: Layout;
  private readonly v: Views;
  private readonly workers: Worker[];
  private stopped = false;

  private constructor(layout: Layout, v: Views, workers: Worker[], local: ReplicaProgram) {
    this.layout = layout;
    this.v = v;
    this.workers = workers;
    this.local = local;
    this.replicas = layout.replicas;
    this.upperNames = Object.keys(layout.uppers).sort();
  }

  /** Starts the replicas and waits until each has loaded the program. */
  static async create(o: DataParallelOptions): Promise<DataParallel> {
    if (!(Number.isInteger(o.replicas) && o.replicas >= 1)) throw new Error(`DataParallel: replicas must be an integer >= 1, got ${String(o.replicas)}`);
    const exportName = o.exportName ?? 'program';
    const url = o.module instanceof URL ? o.module.href : o.module.startsWith('file:') ? o.module : pathToFileURL(o.module).href;
    const uppers = o.uppers ?? {};
    const upperSpecs: Record<string, TreeSpec> = Object.fromEntries(Object.entries(uppers).map(([k, t]) => [k, specOf(t)]));
    const layout = makeLayout(o.replicas, specOf(o.params), upperSpecs);
    const sab = new SharedArrayBuffer(bufferBytes(layout));
    const v = views(sab, layout);
    const backend = o.backend ?? ((tf.getBackend() as BackendName | undefined) ?? (await initBackend()));
    const workers = Array.from({ length: o.replicas }, (_x, replica) =>
      new Worker(fileURLToPath(workerUrl()), { workerData: { module: url, exportName, args: o.args, replica, backend, sab, layout } }));
    const exited = new Promise<never>((_r, reject) => {
      for (const w of workers) w.once('error', (e) => reject(new Error(`DataParallel: a replica failed to start: ${e.message}`)));
    });
    const ready = (async () => {
      while (Atomics.load(v.ctrl, CTRL.done) < o.replicas) await new Promise((r) => setTimeout(r, 5));
    })();
    await Promise.race([ready, exited]);
    let local = o.local;
    if (local === undefined) local = await ((await import(url)) as Record<string, ReplicaFactory>)[exportName]?.(o.args);
    const dp = new DataParallel(layout, v, workers, local as ReplicaProgram);
    dp.throwIfFailed();
    if (local === undefined) throw new Error(`DataParallel: module ${url} has no function export '${exportName}'`);
    return dp;
  }

  private throwIfFailed(): void {
    if (Atomics.load(this.v.ctrl, CTRL.error) === 0) return;
    const n = Math.min(ERROR_BYTES, Atomics.load(this.v.ctrl, CTRL.errorLength));
    const text = new TextDecoder().decode(this.v.error.slice(0, n));
    Atomics.store(this.v.ctrl, CTRL.error, 0);
    throw new Error(`DataParallel: ${text}`);
  }

  /** Posts `op` with these inputs and blocks until every replica is done; returns the mean of the slots (a shared view). */
  private call(op: number, w: Tree, uppers: Record<string, Tree>, key: number, vector?: Tree): Float32Array {
    if (this.stopped) throw new Error('DataParallel: used after dispose()');
    const missing = this.upperNames.filter((n) => uppers[n] === undefined);
    if (missing.length > 0) throw new Error(`DataParallel: uppers ${missing.join(', ')} missing (the problem's loss reads ${this.upperNames.join(', ')})`);
    packTree(w, this.v.params);
    packRecord(uppers, this.upperNames, this.v.uppers);
    if (vector !== undefined) packTree(vector, this.v.vector);
    this.v.key[0] = key;
    const ctrl = this.v.ctrl;
    Atomics.store(ctrl, CTRL.done, 0);
    Atomics.store(ctrl, CTRL.computed, 0);
    Atomics.store(ctrl, CTRL.op, op);
    Atomics.add(ctrl, CTRL.generation, 1);
    Atomics.notify(ctrl, CTRL.generation);
    for (let done = Atomics.load(ctrl, CTRL.done); done < this.replicas; done = Atomics.load(ctrl, CTRL.done)) Atomics.wait(ctrl, CTRL.done, done);
    this.throwIfFailed();
    // The replicas averaged the slots into `mean`; callers copy what they read before the next call.
    return this.v.mean;
  }

  /** The loss and `grad_w F` on global batch `key` (mean over replicas). */
  gradient<P extends Tree>(w: P, uppers: Record<string, Tree>, key: number): ReplicatedGradient<P> {
    const m = this.call(OP.gradient, w, uppers, key);
    return { loss: m[0] as number, grads: unpackTree<P>(this.layout.params, m, 1) };
  }

  /** `d^2F/dw^2 u` on global batch `key`. */
  hessianVector<P extends Tree>(w: P, uppers: Record<string, Tree>, key: number, u: P): P {
    return unpackTree<P>(this.layout.params, this.call(OP.hessianVector, w, uppers, key, u), 1);
  }

  /** `(d^2F/dtheta dw) x` for every upper, on global batch `key`. */
  mixedVector(w: Tree, uppers: Record<string, Tree>, key: number, x: Tree): Record<string, Tree> {
    return unpackRecord(this.layout.uppers, this.upperNames, this.call(OP.mixedVector, w, uppers, key, x).subarray(1));
  }

  /** The program's loss in this thread on global batch `key` (a problem's training step when it gives none). */
  trainingStep(key: number, ctx: StepContext): tf.Scalar {
    return programTrainingStep(this.local, this.upperNames)(key, ctx);
  }

  /**
   * The gradient oracle of problem `problem`, whose uppers are `upperNames` (its `theta`, in that
   * order): gradients, Hessian-vector and mixed products all-reduced over the replicas. Their
   * results are constants (not differentiable), and loss scaling is not supported.
   */
  oracle(problem: string, upperNames: readonly string[]): GradientOracle<number> {
    const mine = [...this.upperNames].sort().join(', ');
    if ([...upperNames].sort().join(', ') !== mine) {
      throw new Error(`problem '${problem}' reads the uppers [${upperNames.join(', ')}], but its DataParallel was created with uppers [${mine}]`);
    }
    const byName = (theta: readonly Tree[]) => Object.fromEntries(upperNames.map((n, i) => [n, theta[i] as Tree]));
    return {
      differentiable: false,
      gradient: (w, theta, key, scale = 1) => {
        if (scale !== 1) throw new Error(`problem '${problem}' is data-parallel: loss scaling is not supported`);
        const r = this.gradient(w, byName(theta), key);
        return { loss: tf.scalar(r.loss), grads: r.grads };
      },
      hessianVector: (w, theta, key, u) => this.hessianVector(w, byName(theta), key, u),
      mixedVector: (w, theta, key, x) => {
        const r = this.mixedVector(w, byName(theta), key, x);
        return upperNames.map((n) => r[n] as Tree);
      },
    };
  }

  /** Stops the replicas. */
  async dispose(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    Atomics.store(this.v.ctrl, CTRL.op, OP.stop);
    Atomics.add(this.v.ctrl, CTRL.generation, 1);
    Atomics.notify(this.v.ctrl, CTRL.generation);
    await Promise.all(this.workers.map((w) => new Promise((resolve) => { w.once('exit', resolve); })));
  }
}
