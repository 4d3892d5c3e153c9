/** Pieces every ready-made problem uses: tracked training, hypergradients at a state, saved states. */
import * as tf from '@tensorflow/tfjs-core';
import { type Engine, type HypergradientOptions, type MethodName, type Tree, innerLoopNeeds, treeLeaves } from '../src/index.js';
import type { HistoryEntry, ProblemReport, ProblemRunOptions } from './types.js';

/** Tensors by name, as plain arrays (a JSON-safe state). */
export type SavedRecord = Record<string, {
  /** The tensor's values, row-major. */
  values: number[];
  /** Its shape. */
  shape: number[];
}>;

/** A record of tensors as plain arrays (asynchronous reads: runs on webgpu). */
export async function saveRecord(record: Record<string, tf.Tensor>): Promise<SavedRecord> {
  const entries = await Promise.all(Object.entries(record).map(async ([k, v]) => [k, { values: Array.from(await v.data()), shape: v.shape }] as const));
  return Object.fromEntries(entries);
}

/** A tensor's values, read asynchronously (the read every backend allows, webgpu in Node included), then freed. */
export async function readValues(t: tf.Tensor): Promise<Float32Array> {
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
}

/** A scalar's value, read asynchronously (runs on webgpu); disposes `t`. */
export async function readScalar(t: tf.Tensor): Promise<number> {
  return (await readValues(t))[0] as number;
}

/** Back to tensors (new ones, owned by the caller). */
export function loadRecord<T extends Record<string, tf.Tensor>>(saved: SavedRecord): T {
  return Object.fromEntries(Object.entries(saved).map(([k, v]) => [k, tf.tensor(v.values, v.shape)])) as T;
}

/** The learning rate of problem `name`: `rates[name]` when given (`--lr name=X`), else `fallback`. */
export const learningRate = (rates: ProblemRunOptions['learningRates'], name: string, fallback: number): number => rates?.[name] ?? fallback;

/** The run's progress a checkpoint carries (`EngineCheckpoint.user`). */
interface Progress {
  /** Outer steps done. */
  step: number;
  /** The history so far. */
  history: HistoryEntry[];
  /** The peak bytes so far. */
  peakBytes: number;
  /** Wall seconds so far. */
  seconds: number;
  /** The problem's own state outside the engine (e.g. a task generator). */
  extra?: unknown;
}

/** A problem's state outside its engine that a checkpoint must carry (e.g. a task generator's). */
export interface ExtraState {
  /** Its JSON. */
  save(): unknown;
  /** Restores it (after the engine was restored). */
  load(saved: unknown): void;
}

/**
 * Runs `outerSteps` outer steps of a program whose `engine.run()` makes exactly one (its
 * `config.iterations` equal to the lower problem's `unrollSteps`), recording the validation loss
 * every `every` steps (and telling `onOuterStep` after each step), the peak `tf.memory().numBytes`, and the seconds per outer step.
 * With `run.checkpoint` it saves a checkpoint every `checkpoint.every` outer steps and after the
 * last, or continues from `checkpoint.from` (the engine restored, the history kept): the same
 * history as a run never stopped (wall times aside). `run.onHistory` gets each entry as recorded.
 */
export async function trackOuterSteps(engine: Engine, outerSteps: number, validationLoss: () => number | Promise<number>, every = 1,
  onOuterStep?: ProblemRunOptions['onOuterStep'], run: Pick<ProblemRunOptions, 'checkpoint' | 'onHistory'> & { extra?: ExtraState } = {}):
  Promise<Pick<ProblemReport<unknown>, 'history' | 'peakBytes' | 'secondsPerOuterStep'>> {
  const { checkpoint, onHistory, extra } = run;
  const from = checkpoint?.from?.user as Progress | undefined;
  if (checkpoint?.from !== undefined) {
    if (from === undefined || typeof from.step !== 'number') throw new Error('resume: the checkpoint carries no run progress (was it saved by a ready-made problem?)');
    await engine.restore(checkpoint.from);
    if (from.extra !== undefined) extra?.load(from.extra);
  }
  const history: HistoryEntry[] = from ? [...from.history] : [];
  let peakBytes = Math.max(from?.peakBytes ?? 0, tf.memory().numBytes);
  const t0 = performance.now() - 1000 * (from?.seconds ?? 0);
  const first = (from?.step ?? 0) + 1;
  for (let s = first; s <= outerSteps; s++) {
    await engine.run();
    peakBytes = Math.max(peakBytes, tf.memory().numBytes);
    if (s % every === 0) {
      const entry = { step: s, seconds: (performance.now() - t0) / 1000, validationLoss: await validationLoss() };
      history.push(entry);
      onHistory?.(entry);
    }
    onOuterStep?.(s, outerSteps, history[history.length - 1]?.validationLoss);
    if (checkpoint !== undefined && (s % checkpoint.every === 0 || s === outerSteps)) {
      const progress: Progress = { step: s, history, peakBytes, seconds: (performance.now() - t0) / 1000, ...(extra ? { extra: extra.save() } : {}) };
      await checkpoint.save(engine.checkpoint(progress));
    }
  }
  return { history, peakBytes, secondsPerOuterStep: (performance.now() - t0) / 1000 / outerSteps };
}

/**
 * The inner steps to take from a state before its hypergradient: the inner loop for the methods
 * that replay a recorded one (unrolled, es), else none.
 */
export const stepsBefore = (method: HypergradientOptions, innerSteps: number): number => (replaysInnerLoop(method) ? innerSteps : 0);

/** Whether `method` differentiates (or re-runs) the recorded inner loop (unrolled, es), from the method table. */
export const replaysInnerLoop = (method: HypergradientOptions): boolean => method.method !== 'custom' && innerLoopNeeds(method).record;

/** The methods `compare` runs by default where every method applies but ES (many hyperparameters). */
export const COMPARED_METHODS: readonly MethodName[] = ['unrolled', 'neumann', 'cg', 'finiteDifference', 'sama', 'firstOrder'];

/** {@link COMPARED_METHODS} with ES, for problems with few hyperparameters. */
export const COMPARED_WITH_ES: readonly MethodName[] = ['unrolled', 'neumann', 'cg', 'finiteDifference', 'sama', 'es', 'firstOrder'];

/**
 * The hypergradient of `upper` (flattened, record keys sorted) after `steps` steps of `lower`;
 * disposes the engine.
 */
export async function hypergradientAfter(engine: Engine, lower: string, upper: string, steps: number): Promise<number[]> {
  if (steps > 0) await engine.stepOnly(lower, steps);
  const g = engine.hypergradient<Tree>(upper);
  const out = (await Promise.all(treeLeaves(g).map(async (t) => Array.from(await t.data())))).flat();
  tf.dispose(treeLeaves(g));
  engine.dispose();
  return out;
}
