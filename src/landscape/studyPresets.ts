import { initBackend } from '../backend/initBackend.js';
import { LCBENCH_TASKS, lcbench } from '../simulator/benchmarks/lcbench.js';
import { mnistMlp } from '../simulator/benchmarks/mnistMlp.js';
import { mfBranin, mfHartmann } from '../simulator/benchmarks/synthetic.js';
import type { StudyBenchmark } from './landscapeStudy.js';

/** The benchmark families {@link studyPreset} knows. */
export const STUDY_PRESETS = ['lcbench', 'mfbranin', 'mfhartmann3', 'mfhartmann6', 'mnist-mlp'] as const;
/** One of {@link STUDY_PRESETS}. */
export type StudyPresetName = (typeof STUDY_PRESETS)[number];

/** Options of {@link studyPreset}. */
export interface StudyPresetOptions {
  /** Levels per numeric hyperparameter; default per preset (LCBench 4 = 16,384 configurations). */
  levels?: number;
  /** Only these tasks (LCBench); default all 34. */
  tasks?: readonly string[];
  /** The fidelities, increasing; default per preset. */
  fidelities?: readonly number[];
}

/**
 * The study of a benchmark family, as `hypergrad landscape study` runs it:
 * - `lcbench`: the 34 tasks of the LCBench surrogate, 7 hyperparameters at 4 levels (16,384
 *   configurations), epochs 6, 13, 26, 52; validation error analysed; validation vs test compared
 *   on balanced accuracy and on cross-entropy;
 * - `mfbranin` (64 levels, 4,096), `mfhartmann3` (16 levels, 4,096), `mfhartmann6` (5 levels,
 *   15,625): without observation noise, at z = 11, 25, 50, 100;
 * - `mnist-mlp`: real training of an MLP on MNIST, 4 hyperparameters at 3 levels (81), 1 and 4 epochs.
 */
export function studyPreset(name: string, o: StudyPresetOptions = {}): StudyBenchmark {
  const synthetic = (group: string, levels: number, make: () => StudyBenchmark['make']): StudyBenchmark => ({
    group, tasks: ['-'], make: make(), levels: o.levels ?? levels, fidelities: o.fidelities ?? [11, 25, 50, 100], objective: { name: 'loss' },
  });
  switch (name) {
    case 'lcbench': {
      const tasks = o.tasks ?? LCBENCH_TASKS;
      const unknown = tasks.filter((t) => !(LCBENCH_TASKS as readonly string[]).includes(t));
      if (unknown.length > 0) throw new Error(`studyPreset(lcbench): unknown task(s) ${unknown.join(', ')}; tasks: ${LCBENCH_TASKS.join(', ')}`);
      return {
        group: 'lcbench', tasks, make: (task) => lcbench(task), levels: o.levels ?? 4, fidelities: o.fidelities ?? [6, 13, 26, 52], objective: { name: 'loss' },
        splits: [
          { label: 'validation vs test (balanced accuracy)', a: { name: 'valBalancedAccuracy', direction: 'maximize' }, b: { name: 'testBalancedAccuracy', direction: 'maximize' } },
          { label: 'validation vs test (cross-entropy)', a: { name: 'valCrossEntropy' }, b: { name: 'testCrossEntropy' } },
        ],
      };
    }
    case 'mfbranin': return synthetic('mfbranin', 64, () => () => mfBranin({ noise: false }));
    case 'mfhartmann3': return synthetic('mfhartmann3', 16, () => () => mfHartmann(3, { noise: false }));
    case 'mfhartmann6': return synthetic('mfhartmann6', 5, () => () => mfHartmann(6, { noise: false }));
    case 'mnist-mlp': {
      let bench: ReturnType<typeof mnistMlp> | null = null;
      return {
        group: 'mnist-mlp', tasks: ['-'], levels: o.levels ?? 3, fidelities: o.fidelities ?? [1, 4], objective: { name: 'loss' },
        make: async () => {
          await initBackend();
          bench ??= mnistMlp();
          return bench;
        },
      };
    }
    default: throw new Error(`studyPreset: benchmark must be one of ${STUDY_PRESETS.join(', ')}, got '${name}'`);
  }
}
