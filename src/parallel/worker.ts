/**
 * A data-parallel replica (a `worker_threads` worker): loads the backend and the user's program
 * module, then serves operations posted through the shared buffer (see `layout.ts`), blocking on
 * `Atomics.wait` between them. Each result goes into this replica's output slot; after a barrier,
 * each replica averages its chunk of the slots into the shared mean (a parallel all-reduce).
 */
import { workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { type BackendName, initBackend } from '../backend/initBackend.js';
import type { Tree } from '../tree/tree.js';
import { CTRL, type Layout, OP, reduceChunk, views } from './layout.js';
import { packRecord, packTree, unpackRecord, unpackTree } from './pack.js';
import { replicaOps } from './replicaOps.js';
import type { ReplicaFactory } from './types.js';

interface Init {
  module: string;
  exportName: string;
  args: unknown;
  replica: number;
  backend: BackendName;
  sab: SharedArrayBuffer;
  layout: Layout;
}

const { module, exportName, args, replica, backend, sab, layout } = workerData as Init;
const v = views(sab, layout);
const names = Object.keys(layout.uppers).sort();
const slot = v.slots[replica] as Float32Array;

function fail(e: unknown): void {
  const text = new TextEncoder().encode(`replica ${replica}: ${(e as Error)?.stack ?? String(e)}`).slice(0, v.error.length);
  v.error.set(text);
  Atomics.store(v.ctrl, CTRL.errorLength, text.length);
  Atomics.store(v.ctrl, CTRL.error, 1);
}

function finish(): void {
  Atomics.add(v.ctrl, CTRL.done, 1);
  Atomics.notify(v.ctrl, CTRL.done);
}

let program;
try {
  await initBackend(backend, { threads: 1, blasThreads: 1 }); // one thread per replica: the replicas are the parallelism (HYPERGRAD_WASM_THREADS is for the main thread)
  const factory = (await import(module))[exportName] as ReplicaFactory;
  if (typeof factory !== 'function') throw new Error(`module ${module} has no function export '${exportName}'`);
  program = await factory(args);
} catch (e) {
  fail(e);
}
finish(); // ready (or failed)

let seen = Atomics.load(v.ctrl, CTRL.generation);
for (;;) {
  Atomics.wait(v.ctrl, CTRL.generation, seen);
  seen = Atomics.load(v.ctrl, CTRL.generation);
  const op = Atomics.load(v.ctrl, CTRL.op);
  if (op === OP.stop) break;
  try {
    if (program === undefined) throw new Error('the program failed to load');
    const p = program;
    tf.tidy(() => {
      const w = unpackTree<Tree>(layout.params, v.params);
      const uppers = unpackRecord(layout.uppers, names, v.uppers);
      const batch = p.batch(v.key[0] as number, { index: replica, count: layout.replicas });
      try {
        if (op === OP.gradient) {
          const { loss, grads } = replicaOps.gradient(p, w, uppers, batch);
          slot[0] = loss.dataSync()[0] as number;
          packTree(grads, slot, 1);
        } else if (op === OP.hessianVector) {
          packTree(replicaOps.hessianVector(p, w, uppers, batch, unpackTree(layout.params, v.vector)), slot, 1);
        } else if (op === OP.mixedVector) {
          packRecord(replicaOps.mixedVector(p, w, uppers, batch, unpackTree(layout.params, v.vector)), names, slot.subarray(1));
        } else {
          throw new Error(`unknown operation ${op}`);
        }
      } finally {
        p.disposeBatch?.(batch);
      }
    });
  } catch (e) {
    fail(e);
  }
  // Barrier: once every replica has filled its slot, each averages its chunk of the slots.
  Atomics.add(v.ctrl, CTRL.computed, 1);
  Atomics.notify(v.ctrl, CTRL.computed);
  for (let c = Atomics.load(v.ctrl, CTRL.computed); c < layout.replicas; c = Atomics.load(v.ctrl, CTRL.computed)) Atomics.wait(v.ctrl, CTRL.computed, c);
  reduceChunk(v, replica);
  finish();
}
