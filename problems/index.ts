/**
 * `hypergrad/problems`: ready-made multilevel problems on real data, each a {@link ProblemSpec}
 * that `hypergrad run` and `hypergrad compare` run, and the pieces to write your own (the spec
 * type, the training harness, MNIST splits).
 *
 * {@link PROBLEM_TABLE} is the one table of built-in problems: the CLI, the benchmarks and the
 * tests read it. Add a problem by writing its spec (see `problems/README.md`) and adding it here;
 * a problem of your own runs from the CLI without being added (`hypergrad run ./myProblem.js`).
 * @example
 * ```ts
 * import { initBackend } from 'hypergrad';
 * import { l2HpoProblem } from 'hypergrad/problems';
 * await initBackend();
 * const report = await l2HpoProblem.run({ method: { method: 'cg', iterations: 10 }, outerSteps: 5 });
 * console.log(report.validationLoss);
 * ```
 * @packageDocumentation
 * @module hypergrad/problems
 */
import { hyperCleaningProblem } from './hyperCleaning.js';
import { l2HpoProblem } from './l2Hpo.js';
import { lrWdTuningProblem } from './lrWdTuning.js';
import { metaWeightNetProblem } from './metaWeightNet.js';
import { sinusoidProblem } from './sinusoid.js';
import { threeLevelProblem } from './threeLevel.js';
import type { ProblemSpec } from './types.js';

/** The ready-made problems, in the order `hypergrad list` shows them. */
export const PROBLEM_TABLE: readonly ProblemSpec[] = [
  hyperCleaningProblem as ProblemSpec, l2HpoProblem as ProblemSpec, lrWdTuningProblem as ProblemSpec,
  metaWeightNetProblem as ProblemSpec, sinusoidProblem as ProblemSpec, threeLevelProblem as ProblemSpec,
];

/** Their names (`hyper-cleaning`, `l2-hpo`, ...). */
export const PROBLEMS: readonly string[] = PROBLEM_TABLE.map((p) => p.name);

/**
 * The built-in problem called `name`.
 * @throws naming the value and the accepted names when there is none.
 */
export function problemByName(name: string | undefined): ProblemSpec {
  const spec = PROBLEM_TABLE.find((x) => x.name === name);
  if (spec === undefined) throw new Error(`unknown problem '${name ?? ''}'; problems: ${PROBLEMS.join(', ')}`);
  return spec;
}

export type { HistoryEntry, ProblemReport, ProblemRunOptions, ProblemSpec, RunCheckpointing } from './types.js';
export { type ExtraState, type SavedRecord, saveRecord, loadRecord, trackOuterSteps, stepsBefore, hypergradientAfter } from './harness.js';
export { hyperCleaningProblem, hyperCleaning, hyperCleaningHypergradient, type HyperCleaningOptions, type HyperCleaningResult, type HyperCleaningState } from './hyperCleaning.js';
export { l2HpoProblem, l2Hpo, l2HpoHypergradient, type L2State } from './l2Hpo.js';
export { lrWdTuningProblem, lrWdTuning, lrWdHypergradient, type LrWdState } from './lrWdTuning.js';
export { metaWeightNetProblem, metaWeightNet, metaWeightNetHypergradient, type MetaWeightNetOptions, type MetaWeightNetState } from './metaWeightNet.js';
export { sinusoidProblem, sinusoid, sinusoidHypergradient, type SinusoidState } from './sinusoid.js';
export { threeLevelProblem, threeLevel, threeLevelHypergradient, type ThreeLevelState } from './threeLevel.js';
export { mnistSplits, type Digits } from '../src/data/mnist.js';
