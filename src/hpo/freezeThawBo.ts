import { DeepKernelGp } from '../gp/deepKernelGp.js';
import { GpNumericalError } from '../gp/numericalError.js';
import type { MlpWeights } from '../gp/encoders/weightGraph.js';
import { type WeightEncoder, type WeightEncoderOptions, weightEncoder } from '../gp/encoders/weightEncoder.js';
import type { KernelSpec } from '../gp/kernels.js';
import type { AskTellOptimizer, Config, EvalResult, SearchSpace, Trial } from './types.js';
import { normalCdf } from '../util/normal.js';
import { seededRandom } from '../util/random.js';
import { checkFunction, checkInteger, checkNumber, checkPositive, checkSeed } from '../util/validate.js';
import { type FreezeThawExtractorOptions, type FreezeThawInputs, freezeThawExtractor } from './dyhpoFeatures.js';
import { configKey, sampleConfig, validateSearchSpace } from './searchSpace.js';
import { encodeUnit, unitWidth } from './unitEncoding.js';

/** A run of another task, for the surrogate transfer option: its configuration, curve and checkpoints. */
export interface TransferRun {
  /** The configuration. */
  config: Config;
  /** The objective after epochs 1..k. */
  curve: readonly number[];
  /** FMS: the weights after epochs 0..k-1 (0: the starting network). */
  checkpoints?: readonly MlpWeights[];
}

/** Options shared by {@link dyhpo} and {@link fms}. */
export interface FreezeThawOptions {
  /** The search space. */
  searchSpace: SearchSpace;
  /** The maximal fidelity (epochs); trials advance one epoch at a time from 1. */
  maxResource: number;
  /** The objective to minimise; default `loss`. */
  objective?: string;
  /** Seed of the random starts, the pools and the surrogate's initialisation; default 0. */
  seed?: number;
  /** A finite pool to choose from (a tabulated benchmark's configurations); default: sample `poolSize` new ones per ask. */
  candidates?: readonly Config[];
  /** New random configurations scored per ask when there are no `candidates`; default 100. */
  poolSize?: number;
  /** Configurations started at random before the surrogate takes over; default 3. */
  initialRandom?: number;
  /** Adam steps of a fit from fresh (or transferred) parameters; default 100. */
  fitSteps?: number;
  /** Adam steps of the warm-started refit after each new observation; default 10. */
  refitSteps?: number;
  /** Fit on random subsets of this many observations per step once there are more; default all. */
  fitBatch?: number;
  /** Adam's learning rate; default 0.01. */
  learningRate?: number;
  /** The base kernel; default RBF. */
  kernel?: KernelSpec;
  /** The feature extractor's sizes. */
  extractor?: Omit<FreezeThawExtractorOptions, 'weights'>;
  /**
   * Surrogate transfer: runs of other tasks the deep kernel is first fitted on (for
   * `steps`, default 200, on subsets of `batch`, default 128, observations), then refined on
   * this task's observations (Mehta et al. 2024's transfer experiment).
   */
  transfer?: {
    /** The runs. */
    runs: readonly TransferRun[];
    /** Adam steps; default 200. */
    steps?: number;
    /** Observations per step; default 128. */
    batch?: number;
  };
}

/** What FMS adds: where checkpoints come from, and how they are encoded. */
export interface CheckpointOptions {
  /** The weights of `config`'s run after `epoch` epochs (0: the network it starts from). */
  checkpoints: (config: Config, epoch: number) => MlpWeights;
  /** The encoder: the graph metanetwork (default) or an ablation. */
  weights?: WeightEncoderOptions;
}

/** What {@link FreezeThawOptimizer.stats} counts. */
export interface FreezeThawStats {
  /** Surrogate fits. */
  fits: number;
  /** Restarts after a numerical failure. */
  resets: number;
  /** Asks answered at random because the surrogate failed twice. */
  randomFallbacks: number;
  /** Observations of other tasks the transfer fits used. */
  transferObservations: number;
}

/** A freeze-thaw optimizer's extras beyond ask/tell. */
export interface FreezeThawOptimizer extends AskTellOptimizer {
  /** The next (configuration, epoch) to evaluate (synchronous). */
  ask(): Trial;
  /** A result, in arrival order (synchronous). */
  tell(trial: Trial, result: EvalResult): void;
  /** The surrogate's forecast of the objective at the maximal fidelity, for each configuration, given all it was told. */
  forecast(configs: readonly Config[]): Float64Array;
  /**
   * How often the surrogate was (re)fitted, restarted after a failure, or replaced by a random
   * pick, and how many observations of other tasks its transfer fits used.
   */
  stats(): FreezeThawStats;
  /** Frees the surrogate's tensors. */
  dispose(): void;
}

interface Run {
  config: Config;
  unit: Float32Array;
  curve: number[];
  pending: boolean;
}

/** `E[max(best - f, 0)]` for `f ~ N(mean, variance)`: expected improvement (minimisation). */
export function expectedImprovement(mean: number, variance: number, best: number): number {
  const sd = Math.sqrt(Math.max(variance, 1e-18));
  const z = (best - mean) / sd;
  return (best - mean) * normalCdf(z) + (sd * Math.exp(-0.5 * z * z)) / Math.sqrt(2 * Math.PI);
}

/**
 * The freeze-thaw Bayesian optimization loop of DyHPO (Wistuba et al. 2022), shared by
 * {@link dyhpo} and {@link fms}: a deep-kernel GP over (configuration, budget, partial learning
 * curve[, checkpoint]) is refitted after each observation; `ask` scores every candidate at its
 * next budget (one epoch more than it has; 1 for a new one) by multi-fidelity expected
 * improvement against the best value observed at that budget (the best overall before any) and
 * returns the best, so that a trial is continued (freeze-thaw, through the simulator's continual
 * fidelity) or started. The first `initialRandom` configurations are random.
 */
export function freezeThawBo(name: string, options: FreezeThawOptions, checkpointOptions?: CheckpointOptions): FreezeThawOptimizer {
  const { searchSpace, maxResource, objective = 'loss', seed = 0, poolSize = 100, initialRandom = 3, fitSteps = 100, refitSteps = 10, learningRate = 0.01 } = options;
  validateSearchSpace(searchSpace);
  checkInteger(name, 'maxResource', maxResource, { min: 2 });
  checkSeed(name, 'seed', seed);
  checkInteger(name, 'poolSize', poolSize, { min: 1 });
  checkInteger(name, 'initialRandom', initialRandom, { min: 1 });
  checkInteger(name, 'fitSteps', fitSteps, { min: 1 });
  checkInteger(name, 'refitSteps', refitSteps, { min: 0 });
  checkPositive(name, 'learningRate', learningRate);
  if (options.fitBatch !== undefined) checkInteger(name, 'fitBatch', options.fitBatch, { min: 2 });
  const getCheckpoint = checkpointOptions === undefined ? undefined : checkFunction<CheckpointOptions['checkpoints']>(name, 'checkpoints', checkpointOptions.checkpoints, 'a function (config, epoch) => weights');
  const encoder: WeightEncoder<unknown> | undefined = checkpointOptions === undefined ? undefined : weightEncoder(checkpointOptions.weights ?? { type: 'graph' });
  const rand = seededRandom(seed);
  const runs = new Map<string, Run>();
  const candidates = options.candidates?.map((c) => ({ config: c, key: configKey(c) }));
  const width = unitWidth(searchSpace);
  const curveLength = maxResource - 1;
  const prepared = new WeakMap<MlpWeights, unknown>();
  const prepare = (w: MlpWeights) => {
    let p = prepared.get(w);
    if (p === undefined) {
      p = (encoder as WeightEncoder<unknown>).prepare(w);
      prepared.set(w, p);
    }
    return p;
  };
  const stats = { fits: 0, resets: 0, randomFallbacks: 0, transferObservations: 0 };
  let gp: DeepKernelGp<FreezeThawInputs> | null = null;
  let fresh = true;
  let dirty = true;
  let lastFailure = '';

  /** The run of `config`, made (and, with `keep`, recorded) if new. */
  const runOf = (config: Config, keep = true): Run => {
    const key = configKey(config);
    let r = runs.get(key);
    if (r === undefined) {
      r = { config, unit: encodeUnit(searchSpace, config), curve: [], pending: false };
      if (keep) runs.set(key, r);
    }
    return r;
  };

  /** Surrogate inputs for (run, budget) rows; the curve is the values before the budget. */
  const inputsOf = (rows: { unit: Float32Array; config: Config; budget: number; curve: readonly number[]; checkpoint?: () => MlpWeights }[]): FreezeThawInputs => {
    const configs = new Float32Array(rows.length * (width + 1));
    const curves = new Float32Array(rows.length * curveLength);
    rows.forEach((r, i) => {
      configs.set(r.unit, i * (width + 1));
      configs[i * (width + 1) + width] = r.budget / maxResource;
      for (let e = 0; e < Math.min(r.budget - 1, r.curve.length, curveLength); e++) curves[i * curveLength + e] = r.curve[e] as number;
    });
    return {
      configs: { values: configs, width: width + 1 }, curves: { values: curves, width: curveLength },
      ...(encoder ? { checkpoints: rows.map((r) => prepare((r.checkpoint as () => MlpWeights)())) } : {}),
    };
  };
  const checkpointAt = (config: Config, epoch: number) => () => (getCheckpoint as CheckpointOptions['checkpoints'])(config, epoch);

  /** Every observation of `runs`: (config, epoch e, curve before e, the weights after e - 1) -> curve[e - 1]. */
  const observations = (list: Iterable<{ config: Config; unit: Float32Array; curve: readonly number[]; checkpoints?: readonly MlpWeights[] }>) => {
    const rows: Parameters<typeof inputsOf>[0] = [];
    const y: number[] = [];
    for (const r of list) {
      r.curve.forEach((v, e) => {
        rows.push({ unit: r.unit, config: r.config, budget: e + 1, curve: r.curve, checkpoint: r.checkpoints ? () => r.checkpoints?.[e] as MlpWeights : checkpointAt(r.config, e) });
        y.push(v);
      });
    }
    return { inputs: inputsOf(rows), y };
  };

  const newGp = () => {
    const g = new DeepKernelGp<FreezeThawInputs>({
      extractor: freezeThawExtractor(width + 1, curveLength, { ...options.extractor, ...(encoder ? { weights: encoder } : {}) }),
      learningRate, seed, ...(options.kernel ? { kernel: options.kernel } : {}),
    });
    const t = options.transfer;
    if (t !== undefined && t.runs.length > 0) {
      const obs = observations(t.runs.map((r) => ({ ...r, unit: encodeUnit(searchSpace, r.config) })));
      g.fit(obs.inputs, obs.y, checkInteger(name, 'transfer.steps', t.steps ?? 200, { min: 1 }), { batchSize: checkInteger(name, 'transfer.batch', t.batch ?? 128, { min: 2 }) });
      stats.transferObservations += obs.y.length;
    }
    return g;
  };

  /** Refits the surrogate on every observation (restarting it once if the fit fails); false if it still fails. */
  const fit = (): boolean => {
    if (!dirty && gp !== null) return true;
    const obs = observations(runs.values());
    const batch = options.fitBatch === undefined ? {} : { batchSize: options.fitBatch };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        gp ??= newGp();
        gp.fit(obs.inputs, obs.y, fresh ? fitSteps : refitSteps, batch);
        fresh = false;
        dirty = false;
        stats.fits++;
        return true;
      } catch (e) {
        // A diverged fit or a kernel matrix that is singular past the jitter: start the surrogate
        // afresh (DyHPO does too). Anything else is a bug, and surfaces.
        if (!(e instanceof GpNumericalError)) throw e;
        lastFailure = e.message;
        gp?.dispose();
        gp = null;
        fresh = true;
        stats.resets++;
      }
    }
    return false;
  };

  const started = () => [...runs.values()].filter((r) => r.curve.length > 0 || r.pending).length;
  const pool = (): Run[] => {
    const open = (r: Run) => !r.pending && r.curve.length < maxResource;
    if (candidates !== undefined) return candidates.map((c) => runOf(c.config, false)).filter(open);
    const running = [...runs.values()].filter((r) => open(r) && r.curve.length > 0);
    return [...running, ...Array.from({ length: poolSize }, () => runOf(sampleConfig(searchSpace, rand), false))];
  };
  const trialOf = (r: Run): Trial => {
    runs.set(configKey(r.config), r);
    r.pending = true;
    return { config: r.config, fidelity: r.curve.length + 1 };
  };

  return {
    ask: () => {
      const open = pool();
      if (open.length === 0) {
        // Every candidate is finished or in flight: re-evaluate a random finished one at the full budget.
        const done = [...runs.values()].filter((r) => r.curve.length >= maxResource);
        const r = done[Math.floor(rand() * done.length)] ?? runOf(sampleConfig(searchSpace, rand));
        return { config: r.config, fidelity: maxResource };
      }
      const unstarted = open.filter((r) => r.curve.length === 0);
      const observed = [...runs.values()].some((r) => r.curve.length > 0);
      if ((started() < initialRandom || !observed) && unstarted.length > 0) return trialOf(unstarted[Math.floor(rand() * unstarted.length)] as Run);
      if (!fit()) {
        if (stats.randomFallbacks++ === 0) process.emitWarning(`${name}: the surrogate failed to fit twice (${lastFailure}); this ask and any other such are random (counted in stats())`);
        return trialOf(open[Math.floor(rand() * open.length)] as Run);
      }
      const rows = open.map((r) => ({ unit: r.unit, config: r.config, budget: r.curve.length + 1, curve: r.curve, ...(encoder ? { checkpoint: checkpointAt(r.config, r.curve.length) } : {}) }));
      const { mean, variance } = (gp as DeepKernelGp<FreezeThawInputs>).predict(inputsOf(rows));
      const all = [...runs.values()];
      const bestOverall = Math.min(...all.flatMap((r) => r.curve));
      const bestAt = (b: number) => {
        const at = all.filter((r) => r.curve.length >= b).map((r) => r.curve[b - 1] as number);
        return at.length > 0 ? Math.min(...at) : bestOverall;
      };
      let pick = 0;
      let bestEi = -Infinity;
      open.forEach((r, i) => {
        const ei = expectedImprovement(mean[i] as number, variance[i] as number, bestAt(r.curve.length + 1));
        if (ei > bestEi) {
          bestEi = ei;
          pick = i;
        }
      });
      return trialOf(open[pick] as Run);
    },
    tell: (trial: Trial, result: EvalResult) => {
      const r = runOf(trial.config);
      r.pending = false;
      const epoch = checkInteger(name, 'trial.fidelity', trial.fidelity, { min: 1, max: maxResource });
      const v = checkNumber(name, `the learning curve value at epoch ${epoch} of ${JSON.stringify(trial.config)}`, result[objective]);
      if (epoch <= r.curve.length) return; // a re-evaluation of a finished epoch
      if (epoch !== r.curve.length + 1) {
        throw new Error(`${name}: told epoch ${epoch} of ${JSON.stringify(trial.config)}, whose curve has ${r.curve.length} values; ${name} advances one epoch at a time`);
      }
      r.curve.push(v);
      dirty = true;
    },
    forecast: (configs) => {
      if (!fit()) throw new Error(`${name}: the surrogate could not be fitted (${stats.resets} restarts; last: ${lastFailure}); no forecast`);
      const rows = configs.map((c) => {
        const r = runOf(c, false);
        return { unit: r.unit, config: r.config, budget: maxResource, curve: r.curve, ...(encoder ? { checkpoint: checkpointAt(r.config, Math.min(r.curve.length, maxResource - 1)) } : {}) };
      });
      return (gp as DeepKernelGp<FreezeThawInputs>).predict(inputsOf(rows)).mean;
    },
    stats: () => ({ ...stats }),
    dispose: () => {
      gp?.dispose();
      gp = null;
    },
  };
}
