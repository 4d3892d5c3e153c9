import { type FreezeThawOptimizer, type FreezeThawOptions, freezeThawBo } from './freezeThawBo.js';

/** Options of {@link dyhpo}: those of the freeze-thaw loop ({@link FreezeThawOptions}). */
export type DyhpoOptions = FreezeThawOptions;

/**
 * DyHPO (Wistuba, Kadra & Grabocka 2022, "Supervising the Multi-Fidelity Race of Hyperparameter
 * Configurations"): gray-box HPO that advances one configuration by one epoch at a time. Its
 * surrogate is a GP with a deep kernel over (configuration, budget, partial learning curve): the
 * configuration (unit cube) and budget through dense layers, the curve through a 1-D
 * convolution and max pooling; the network and the kernel's hyperparameters are fitted jointly
 * on the marginal likelihood after every observation. The next (configuration, budget) is the
 * maximiser of multi-fidelity expected improvement
 *
 * `EI(x, b) = E[max(y*_b - f(x, b), 0)]`, `b` = one epoch more than `x` has, `y*_b` the best
 * value observed at budget `b` (the best overall before any),
 *
 * after a few random starts. Pair it with the simulator's continual fidelity
 * (`continualMaxFidelity`) so that a continued trial is charged one epoch. Written from the
 * paper; sizes are smaller than the paper's for CPU speed.
 * @example
 * ```ts
 * const opt = dyhpo({ searchSpace: bench.searchSpace, maxResource: bench.fidelity.max, seed: 0 });
 * await simulate({ objective: bench.objective, optimizer: opt, nWorkers: 1, nEvals: 100, continualMaxFidelity: bench.fidelity.max });
 * opt.dispose();
 * ```
 */
export function dyhpo(options: DyhpoOptions): FreezeThawOptimizer {
  return freezeThawBo('dyhpo', options);
}
