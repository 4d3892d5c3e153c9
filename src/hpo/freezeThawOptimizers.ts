import type { MlpWeights } from '../gp/encoders/weightGraph.js';
import type { Benchmark, Config } from './types.js';
import { dyhpo } from './dyhpo.js';
import { fms } from './fms.js';
import type { FreezeThawOptimizer, FreezeThawOptions, TransferRun } from './freezeThawBo.js';

/** The freeze-thaw optimizers by name: DyHPO, FMS, FMS with surrogate transfer, and FMS's two ablations. */
export const FREEZE_THAW_OPTIMIZERS = ['dyhpo', 'fms', 'fms-transfer', 'fms-stats', 'fms-flat'] as const;

/** Whether `name` is one of {@link FREEZE_THAW_OPTIMIZERS} (their surrogates are tfjs networks: the backend must be initialised). */
export function isFreezeThaw(name: string): boolean {
  return (FREEZE_THAW_OPTIMIZERS as readonly string[]).includes(name);
}

/**
 * Throws, naming the optimizer and the benchmark, when `name` reads checkpoint weights (FMS and
 * its variants) and `bench` reports none: checked before a run starts (and writes anything).
 */
export function checkCheckpointsFor(name: string, bench: Benchmark): void {
  if (isFreezeThaw(name) && name !== 'dyhpo' && (bench as Partial<CheckpointBenchmark>).checkpoint === undefined) {
    throw new Error(`optimizer '${name}' reads checkpoint weights; use it with a benchmark that reports them (zoo), not '${bench.name}'`);
  }
}

/** What a benchmark may offer checkpoint-informed optimizers (the zoo offers all of it). */
export interface CheckpointBenchmark {
  /** A run's weights after `epoch` epochs (0: the network it starts from). */
  checkpoint?(config: Config, epoch: number): MlpWeights;
  /** A finite pool of configurations (a tabulated benchmark's). */
  candidates?: Config[];
  /** Runs of related tasks, for the transfer option. */
  transferRuns?(): TransferRun[];
}

/**
 * The surrogate's training schedule when these optimizers compete in `hypergrad hpo`: the same
 * for all of them (only the inputs differ), sized for two CPU cores: 50 Adam steps from fresh
 * parameters, 5 warm-started steps after each observation, subsets of 64 observations per step.
 */
export const COMPARISON_SCHEDULE: Pick<FreezeThawOptions, 'fitSteps' | 'refitSteps' | 'fitBatch'> = { fitSteps: 50, refitSteps: 5, fitBatch: 64 };

/**
 * Builds a named freeze-thaw optimizer for a benchmark (the same name, benchmark, seed and
 * overrides always build the same one); `overrides` change the schedule (e.g. more `fitSteps`
 * for a forecast fitted from scratch). `fms-transfer` first fits 100 steps on subsets of 64
 * observations of the benchmark's related runs.
 */
export function makeFreezeThaw(name: string, bench: Benchmark & CheckpointBenchmark, seed: number, overrides: Partial<Pick<FreezeThawOptions, 'fitSteps' | 'refitSteps' | 'fitBatch'>> = {}): FreezeThawOptimizer {
  const base: FreezeThawOptions = {
    searchSpace: bench.searchSpace, maxResource: bench.fidelity.max, objective: bench.objectives[0] ?? 'loss', seed, ...COMPARISON_SCHEDULE, ...overrides,
    ...(bench.candidates !== undefined ? { candidates: bench.candidates } : {}),
  };
  if (name === 'dyhpo') return dyhpo(base);
  if (!isFreezeThaw(name)) throw new Error(`makeFreezeThaw: unknown optimizer '${name}'; accepted: ${FREEZE_THAW_OPTIMIZERS.join(', ')}`);
  checkCheckpointsFor(name, bench);
  const checkpoint = bench.checkpoint as NonNullable<CheckpointBenchmark['checkpoint']>;
  const checkpoints = (c: Config, e: number) => checkpoint(c, e);
  if (name === 'fms-stats') return fms({ ...base, checkpoints, weights: { type: 'statistics' } });
  if (name === 'fms-flat') return fms({ ...base, checkpoints, weights: { type: 'flat' } });
  if (name === 'fms-transfer') {
    if (bench.transferRuns === undefined) throw new Error(`optimizer 'fms-transfer' pre-trains on runs of related tasks; '${bench.name}' has none`);
    return fms({ ...base, checkpoints, transfer: { runs: bench.transferRuns(), steps: 100, batch: 64 } });
  }
  return fms({ ...base, checkpoints });
}
