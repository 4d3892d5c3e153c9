import type { MlpWeights } from '../gp/encoders/weightGraph.js';
import type { TransferRun } from '../hpo/freezeThawBo.js';
import { configKey } from '../hpo/searchSpace.js';
import type { Benchmark, Config, EvalResult } from '../hpo/types.js';
import { checkOneOf } from '../util/validate.js';
import { FineTuneRun, type FineTuneConfig, checkEpoch, configRecord, fineTuneConfig } from './fineTune.js';
import type { TaskTable, ZooTable } from './zooBuild.js';
import { targetDigits } from './zooData.js';
import { nearestEntry } from './nearestEntry.js';
import { readZooTable } from './zooStore.js';
import { MAX_EPOCHS, TARGET_TASKS, ZOO_SEARCH_SPACE } from './zooSpec.js';

/**
 * The model-zoo fine-tuning benchmark: choose a pretrained network of the zoo and its
 * fine-tuning hyperparameters; the fidelity is the fine-tuning epoch. Besides the objective it
 * gives what checkpoint-informed optimizers read: each trial's checkpoint weights and learning curve.
 */
export interface ZooBenchmark extends Benchmark {
  /** `tabulated` (replayed from data/zoo) or `live` (trains for real). */
  mode: 'tabulated' | 'live';
  /** The target task. */
  task: string;
  /** The weights of `config`'s run after `epoch` epochs (0: the pretrained network it starts from). */
  checkpoint(config: Config, epoch: number): MlpWeights;
  /** `config`'s validation errors after epochs 1..epoch. */
  learningCurve(config: Config, epoch: number): number[];
  /** Tabulated mode: the tabulated configurations (the finite pool model-based optimizers choose from). */
  candidates?: Config[];
  /** Tabulated mode: the validation error after the last epoch of the entry `config` maps to. */
  finalLoss?(config: Config): number;
  /** Tabulated mode: the best validation error in the table, at any epoch (regret is measured from it). */
  bestLoss?: number;
  /** The tabulated runs of the other target tasks, for surrogate transfer ({@link zooTransferRuns}). */
  transferRuns(): TransferRun[];
  /**
   * The default budget of an HPO run on it, in simulated seconds: 50 epochs of mean tabulated
   * length (with 4 workers, about 200 epochs of fine-tuning, 20 full runs).
   */
  defaultBudget: number;
  /** Live mode: frees the runs' tensors (the benchmark forgets them). */
  dispose?(): void;
}

/** Options of {@link zooBenchmark}. */
export interface ZooBenchmarkOptions {
  /** `tabulated` (default) or `live`. */
  mode?: 'tabulated' | 'live';
  /** The target task; default the first, `mirror`. */
  task?: string;
  /** A table already read (default: read data/zoo once). */
  table?: ZooTable;
}

let cached: ZooTable | null = null;

/** The table in data/zoo, read once. */
export function defaultZooTable(): ZooTable {
  cached ??= readZooTable();
  return cached;
}

const OBJECTIVES = ['loss', 'validCrossEntropy', 'testError'];

function values(c: { validError: number; validCrossEntropy: number; testError: number }, runtime: number, entry?: number): EvalResult {
  return { loss: c.validError, validCrossEntropy: c.validCrossEntropy, testError: c.testError, ...(entry !== undefined ? { entry } : {}), runtime };
}

/**
 * The zoo benchmark on a target task (`zoo` in `hypergrad hpo`). Its objective `loss` is the
 * validation error after `fidelity` epochs of fine-tuning (plus `validCrossEntropy` and
 * `testError`); `runtime` is the cumulative training time to that epoch, so that the simulator's
 * continual fidelity charges a resumed trial only the epochs it adds (freeze-thaw).
 *
 * - `tabulated`: replays data/zoo with the recorded per-epoch runtimes (like LCBench). The table
 *   holds a finite set of configurations; any other configuration of the search space is mapped
 *   to its nearest tabulated entry of the same zoo model ({@link nearestEntry}), which is what is
 *   evaluated; every result names it (`entry`, its index in `candidates`). Deterministic; the
 *   seed is unused.
 * - `live`: fine-tunes for real (needs an initialised tfjs backend). One run per configuration:
 *   its first evaluation's seed fixes the mini-batch order; later evaluations continue it from
 *   its last checkpoint or read its curve. `runtime` is the measured training time.
 *
 * @example
 * ```ts
 * const zoo = zooBenchmark();
 * const r = await zoo.objective(zoo.candidates![0]!, { fidelity: 3, seed: 0 }); // {loss, ..., runtime}
 * const w = zoo.checkpoint(zoo.candidates![0]!, 3); // its weights after 3 epochs
 * ```
 */
export function zooBenchmark(options: ZooBenchmarkOptions = {}): ZooBenchmark {
  const mode = checkOneOf('zoo', 'mode', options.mode ?? 'tabulated', ['tabulated', 'live'] as const);
  const task = checkOneOf('zoo', 'task', options.task ?? (TARGET_TASKS[0] as (typeof TARGET_TASKS)[number]).name, TARGET_TASKS.map((t) => t.name));
  const table = options.table ?? defaultZooTable();
  const all = Object.values(table.tasks).flatMap((t) => t.curves.flatMap((c) => c.map((e) => e.seconds)));
  const base: Base = {
    searchSpace: ZOO_SEARCH_SPACE, fidelity: { name: 'epoch', min: 1, max: MAX_EPOCHS }, objectives: OBJECTIVES, task,
    transferRuns: () => zooTransferRuns(table, task), defaultBudget: (50 * all.reduce((a, b) => a + b, 0)) / Math.max(1, all.length),
  };
  return mode === 'tabulated' ? tabulated(table, task, base) : live(table, task, base);
}

type Base = Pick<ZooBenchmark, 'searchSpace' | 'fidelity' | 'objectives' | 'task' | 'transferRuns' | 'defaultBudget'>;

function tabulated(table: ZooTable, task: string, base: Base): ZooBenchmark {
  const t: TaskTable | undefined = table.tasks[task];
  if (t === undefined) throw new Error(`zoo: the table has no runs of target task '${task}'; it has ${Object.keys(table.tasks).join(', ')}`);
  if (table.maxEpochs !== MAX_EPOCHS) throw new Error(`zoo: the table has ${table.maxEpochs} epochs per run, this hypergrad expects ${MAX_EPOCHS}; rebuild it`);
  const candidates = t.configs.map(configRecord);
  const exact = new Map(candidates.map((c, i) => [configKey(c), i]));
  const entry = (config: Config) => exact.get(configKey(config)) ?? nearestEntry(t.configs, fineTuneConfig(config));
  const cumulative = t.curves.map((c) => c.reduce<number[]>((acc, e) => [...acc, (acc[acc.length - 1] ?? 0) + e.seconds], []));
  const bestLoss = Math.min(...t.curves.flatMap((c) => c.map((e) => e.validError)));
  return {
    ...base, name: task === TARGET_TASKS[0]?.name ? 'zoo' : `zoo:${task}`, mode: 'tabulated', candidates, bestLoss,
    objective: (config, { fidelity }) => {
      const i = entry(config);
      const e = checkEpoch(fidelity ?? MAX_EPOCHS);
      return values((t.curves[i] as TaskTable['curves'][number])[e - 1] as TaskTable['curves'][number][number], (cumulative[i] as number[])[e - 1] as number, i);
    },
    checkpoint: (config, epoch) => {
      const i = entry(config);
      if (epoch === 0) return table.pretrained[(t.configs[i] as FineTuneConfig).model] as MlpWeights;
      return (t.checkpoints[i] as MlpWeights[])[checkEpoch(epoch) - 1] as MlpWeights;
    },
    learningCurve: (config, epoch) => (t.curves[entry(config)] as TaskTable['curves'][number]).slice(0, checkEpoch(epoch)).map((c) => c.validError),
    finalLoss: (config) => ((t.curves[entry(config)] as TaskTable['curves'][number])[MAX_EPOCHS - 1] as { validError: number }).validError,
  };
}

function live(table: ZooTable, task: string, base: Base): ZooBenchmark {
  const target = TARGET_TASKS.find((x) => x.name === task) as (typeof TARGET_TASKS)[number];
  let data: ReturnType<typeof targetDigits> | null = null;
  const runs = new Map<string, { run: FineTuneRun; checkpoints: MlpWeights[] }>();
  const runOf = (config: Config, seed: number) => {
    const key = configKey(config);
    let r = runs.get(key);
    if (r === undefined) {
      const c = fineTuneConfig(config);
      data ??= targetDigits(target);
      r = { run: new FineTuneRun(table.pretrained[c.model] as MlpWeights, c, data, seed), checkpoints: [] };
      runs.set(key, r);
    }
    return r;
  };
  const reached = (config: Config, epoch: number) => {
    const r = runs.get(configKey(config));
    if (r === undefined || r.checkpoints.length < epoch) {
      throw new Error(`zoo (live): ${JSON.stringify(config)} has been trained ${r?.checkpoints.length ?? 0} epochs, not ${epoch}; evaluate it at that fidelity first`);
    }
    return r;
  };
  return {
    ...base, name: task === TARGET_TASKS[0]?.name ? 'zoo-live' : `zoo-live:${task}`, mode: 'live',
    objective: (config, { fidelity, seed }) => {
      const e = checkEpoch(fidelity ?? MAX_EPOCHS);
      const r = runOf(config, seed);
      while (r.run.epoch < e) {
        r.run.advance(r.run.epoch + 1);
        r.checkpoints.push(r.run.checkpoint());
      }
      const curve = r.run.curve;
      return values(curve[e - 1] as (typeof curve)[number], curve.slice(0, e).reduce((s, c) => s + c.seconds, 0));
    },
    checkpoint: (config, epoch) => {
      if (epoch === 0) return table.pretrained[fineTuneConfig(config).model] as MlpWeights;
      return reached(config, checkEpoch(epoch)).checkpoints[epoch - 1] as MlpWeights;
    },
    learningCurve: (config, epoch) => reached(config, checkEpoch(epoch)).run.curve.slice(0, epoch).map((c) => c.validError),
    dispose: () => {
      for (const r of runs.values()) r.run.dispose();
      runs.clear();
    },
  };
}

/**
 * The tabulated runs of the zoo's other target tasks, as transfer data for DyHPO's or FMS's
 * surrogate (`transfer: {runs}`): each run's configuration, full curve and checkpoints
 * (the pretrained network, then the weights after epochs 1..9).
 */
export function zooTransferRuns(table: ZooTable, exceptTask: string): TransferRun[] {
  return Object.entries(table.tasks).filter(([name]) => name !== exceptTask).flatMap(([, t]) => t.configs.map((c, i) => ({
    config: configRecord(c),
    curve: (t.curves[i] as TaskTable['curves'][number]).map((e) => e.validError),
    checkpoints: [table.pretrained[c.model] as MlpWeights, ...(t.checkpoints[i] as MlpWeights[]).slice(0, -1)],
  })));
}

/** True for a {@link ZooBenchmark} (a benchmark that reports checkpoints and curves). */
export function isZooBenchmark(b: Benchmark): b is ZooBenchmark {
  return typeof (b as Partial<ZooBenchmark>).checkpoint === 'function' && typeof (b as Partial<ZooBenchmark>).learningCurve === 'function';
}

/** The zoo benchmark a `--benchmark` name selects: `zoo[:task]` (tabulated) or `zoo-live[:task]`. */
export function zooBenchmarkByName(name: string): ZooBenchmark {
  const m = /^(zoo|zoo-live)(?::(.+))?$/.exec(name);
  if (m === null) throw new Error(`zoo: a benchmark name is zoo[:task] or zoo-live[:task], got '${name}'`);
  return zooBenchmark({ mode: m[1] === 'zoo' ? 'tabulated' : 'live', ...(m[2] !== undefined ? { task: m[2] } : {}) });
}
