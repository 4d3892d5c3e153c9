import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Benchmark, Config, EvalResult } from '../../hpo/types.js';
import { checkInteger, checkNumber } from '../../util/validate.js';

/**
 * The LCBench surrogate (Zimmer et al. 2021, as published by YAHPO Gym, Pfisterer et al. 2022;
 * Apache-2.0, see data/lcbench-surrogate/): an ONNX model mapping (task, epoch, 7 hyperparameters)
 * to training time and validation/test metrics, run with onnxruntime-web.
 */

/** The 34 OpenML task ids the surrogate covers. */
export const LCBENCH_TASKS = [
  '3945', '7593', '34539', '126025', '126026', '126029', '146212', '167104', '167149', '167152', '167161', '167168',
  '167181', '167184', '167185', '167190', '167200', '167201', '168329', '168330', '168331', '168335', '168868', '168908',
  '168910', '189354', '189862', '189865', '189866', '189873', '189905', '189906', '189908', '189909',
] as const;

/** The order of the model's continuous inputs after `epoch`. */
const HP_ORDER = ['batch_size', 'learning_rate', 'momentum', 'weight_decay', 'num_layers', 'max_units', 'max_dropout'] as const;

const SEARCH_SPACE: Benchmark['searchSpace'] = {
  batch_size: { type: 'int', low: 16, high: 512, log: true },
  learning_rate: { type: 'float', low: 1e-4, high: 1e-1, log: true },
  momentum: { type: 'float', low: 0.1, high: 0.99 },
  weight_decay: { type: 'float', low: 1e-5, high: 0.1 },
  num_layers: { type: 'int', low: 1, high: 5 },
  max_units: { type: 'int', low: 64, high: 1024, log: true },
  max_dropout: { type: 'float', low: 0, high: 1 },
};

/** Finds data/lcbench-surrogate above this file (from src/ or from dist/src/). */
function dataDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'data', 'lcbench-surrogate');
    if (existsSync(join(candidate, 'model.onnx'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('lcbench: data/lcbench-surrogate/model.onnx not found in the package');
}

type Session = { run: (feeds: Record<string, unknown>) => Promise<{ output: { data: Float32Array } }> };
type Ort = { InferenceSession: { create: (m: Uint8Array) => Promise<Session> }; Tensor: new (t: string, d: unknown, s: number[]) => unknown; env: { wasm: { numThreads: number } } };

let sessionPromise: Promise<{ ort: Ort; session: Session; encoding: Record<string, number> }> | null = null;

function load() {
  sessionPromise ??= (async () => {
    const ort = (await import('onnxruntime-web')) as unknown as Ort;
    ort.env.wasm.numThreads = 1;
    const dir = dataDir();
    const session = await ort.InferenceSession.create(readFileSync(join(dir, 'model.onnx')));
    const encoding = (JSON.parse(readFileSync(join(dir, 'encoding.json'), 'utf8')) as { OpenML_task_id: Record<string, number> }).OpenML_task_id;
    return { ort, session, encoding };
  })();
  return sessionPromise;
}

function checkConfig(config: Config, task: string): number[] {
  return HP_ORDER.map((k) => {
    const r = SEARCH_SPACE[k] as { low: number; high: number };
    return checkNumber(`lcbench:${task}`, `config.${k}`, config[k], { min: r.low, max: r.high });
  });
}

/**
 * Evaluates rows in one batched model call. Returns, per row, `loss` (validation error,
 * 1 - accuracy), `valAccuracy` (%), `valCrossEntropy`, `valBalancedAccuracy`, `testCrossEntropy`,
 * `testBalancedAccuracy` and `runtime` (training seconds up to that epoch).
 */
export async function lcbenchBatch(task: string, rows: { config: Config; epoch: number }[]): Promise<EvalResult[]> {
  const { ort, session, encoding } = await load();
  const code = encoding[task];
  if (code === undefined) throw new Error(`lcbench: unknown task '${task}'; tasks: ${LCBENCH_TASKS.join(', ')}`);
  const n = rows.length;
  const cont = new Float32Array(n * 8);
  rows.forEach(({ config, epoch }, i) => {
    checkInteger(`lcbench:${task}`, 'fidelity (epoch)', epoch, { min: 1, max: 52 });
    cont.set([epoch, ...checkConfig(config, task)], i * 8);
  });
  const out = await session.run({
    x_cat: new ort.Tensor('int32', new Int32Array(n).fill(code), [n, 1]),
    x_cont: new ort.Tensor('float32', cont, [n, 8]),
  });
  const d = out.output.data;
  return rows.map((_r, i) => {
    const o = d.subarray(i * 6, i * 6 + 6);
    return {
      loss: 1 - (o[1] as number) / 100, valAccuracy: o[1] as number, valCrossEntropy: o[2] as number,
      valBalancedAccuracy: o[3] as number, testCrossEntropy: o[4] as number, testBalancedAccuracy: o[5] as number,
      runtime: Math.max(0, o[0] as number),
    };
  });
}

/**
 * The LCBench benchmark on one OpenML task: fidelity = epoch (1..52), objective `loss` =
 * validation error. Calls made in the same tick (e.g. by parallel async workers) are batched into
 * one model run. The surrogate is deterministic; the seed is unused.
 * @example
 * ```ts
 * const bench = lcbench('3945');
 * await bench.objective({ batch_size: 91, learning_rate: 0.00316, momentum: 0.5, weight_decay: 0.01,
 *   num_layers: 2, max_units: 256, max_dropout: 0.5 }, { fidelity: 52, seed: 0 }); // runtime ~178 s
 * ```
 */
export function lcbench(task: string): Benchmark {
  if (!(LCBENCH_TASKS as readonly string[]).includes(task)) throw new Error(`lcbench: unknown task '${task}'; tasks: ${LCBENCH_TASKS.join(', ')}`);
  let queue: { config: Config; epoch: number; resolve: (r: EvalResult) => void; reject: (e: unknown) => void }[] = [];
  const flush = () => {
    const batch = queue;
    queue = [];
    lcbenchBatch(task, batch.map(({ config, epoch }) => ({ config, epoch })))
      .then((rs) => batch.forEach((b, i) => b.resolve(rs[i] as EvalResult)))
      .catch((e) => batch.forEach((b) => b.reject(e)));
  };
  return {
    name: `lcbench:${task}`, searchSpace: SEARCH_SPACE, fidelity: { name: 'epoch', min: 1, max: 52 },
    objectives: ['loss', 'valAccuracy', 'valCrossEntropy', 'valBalancedAccuracy', 'testCrossEntropy', 'testBalancedAccuracy'],
    objective: (config, { fidelity }) =>
      new Promise<EvalResult>((resolve, reject) => {
        if (queue.length === 0) queueMicrotask(flush);
        queue.push({ config, epoch: fidelity ?? 52, resolve, reject });
      }),
  };
}
