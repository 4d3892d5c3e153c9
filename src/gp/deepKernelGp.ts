import * as tf from '@tensorflow/tfjs-core';
import { valueAndGrad } from '../autodiff/grad.js';
import { adam } from '../optim/optimizers.js';
import { applyUpdates, disposeState } from '../optim/transforms.js';
import { type Tree, tidyTree, treeDispose } from '../tree/tree.js';
import { seededRandom } from '../util/random.js';
import { checkInteger, checkNumber, checkPositive, checkSeed } from '../util/validate.js';
import { thetaLength } from './hyperparameters.js';
import { GpNumericalError } from './numericalError.js';
import { type KernelSpec, checkKernelSpec } from './kernels.js';
import { gpNegativeLogLikelihood } from './marginalLikelihoodOp.js';
import { type GpPrediction, gpPosterior } from './posterior.js';

/**
 * A deep kernel's feature extractor: a tfjs network `g_w` mapping a batch of inputs (of any type:
 * rows of numbers, learning curves, checkpoint graphs) to features `[n, dim]`, on which a
 * stationary kernel acts: `k(x, x') = k_base(g_w(x), g_w(x'))` (Wilson et al. 2016).
 */
export interface FeatureExtractor<I> {
  /** The feature dimension. */
  readonly dim: number;
  /** Fresh parameters, drawn from `rand`. */
  init(rand: () => number): Tree;
  /** The features of a batch: float32 `[n, dim]`, written with ops hypergrad can differentiate. */
  apply(params: Tree, inputs: I): tf.Tensor2D;
  /** The inputs of some rows, in that order (needed for fits on random subsets). */
  subset?(inputs: I, rows: readonly number[]): I;
}

/** Options of {@link DeepKernelGp}. */
export interface DeepKernelGpOptions<I> {
  /** The feature extractor. */
  extractor: FeatureExtractor<I>;
  /** The base kernel on the features; default RBF (as DyHPO). */
  kernel?: KernelSpec;
  /** One length scale per feature (ARD) instead of one shared; default false. */
  ard?: boolean;
  /** Adam's learning rate for the joint fit; default 0.01. */
  learningRate?: number;
  /** Lower bound of the noise variance (targets are standardized); default 1e-4. */
  noiseFloor?: number;
  /** Seed of the network's initialisation; default 0. */
  seed?: number;
}

/** Options of {@link DeepKernelGp.fit}. */
export interface FitOptions {
  /**
   * Fit each step on a random subset of this many observations when there are more (the
   * extractor must have `subset`): the marginal likelihood of a random subset, a biased but
   * common stochastic estimate of the full one (Chen et al. 2020), which caps the cost of a step
   * whatever the number of observations. Default: all observations every step.
   */
  batchSize?: number;
}

/** What {@link DeepKernelGp.fit} reports. */
export interface FitReport {
  /** The per-observation NLL `NLL / n` after each step (standardized targets). */
  losses: number[];
}

/** The fitted parameters: the network's and the GP's (a tree, so one `valueAndGrad` takes both). */
type State = { net: Tree; theta: tf.Tensor1D };

/**
 * An exact GP with a deep kernel whose feature extractor and kernel hyperparameters are fitted
 * jointly on the negative log marginal likelihood by Adam, through hypergrad's own autodiff
 * (`valueAndGrad` over `{net, theta}`; see {@link gpNegativeLogLikelihood} for how the gradient
 * crosses from the float64 GP algebra into the float32 network). Targets are standardized
 * (mean 0, variance 1) before the fit and predictions are mapped back.
 *
 * `fit` continues from the current parameters (warm start, as DyHPO refits after each
 * observation); `reset` draws fresh ones. Owns tensors: call `dispose` when done.
 * @example
 * ```ts
 * const gp = new DeepKernelGp({ extractor: mlpExtractor([2, 16, 4]) });
 * gp.fit(rows, y, 100);
 * const { mean, variance } = gp.predict(testRows);
 * gp.dispose();
 * ```
 */
export class DeepKernelGp<I> {
  private readonly extractor: FeatureExtractor<I>;
  private readonly kernel: KernelSpec;
  private readonly nScales: number;
  private readonly lr: number;
  private readonly noiseFloor: number;
  private readonly rand: () => number;
  private state: State;
  private optState: Tree[];
  private step = 0;
  private fitted: { inputs: I; y: Float64Array; shift: number; scale: number } | null = null;

  constructor(options: DeepKernelGpOptions<I>) {
    const { extractor, kernel = { type: 'rbf' }, ard = false, learningRate = 0.01, noiseFloor = 1e-4, seed = 0 } = options;
    if (typeof extractor?.apply !== 'function' || typeof extractor.init !== 'function') {
      throw new Error('DeepKernelGp: extractor must be {dim, init(rand), apply(params, inputs)}');
    }
    checkInteger('DeepKernelGp', 'extractor.dim', extractor.dim, { min: 1 });
    this.extractor = extractor;
    this.kernel = checkKernelSpec('DeepKernelGp', kernel);
    this.nScales = ard ? extractor.dim : 1;
    this.lr = checkPositive('DeepKernelGp', 'learningRate', learningRate);
    this.noiseFloor = checkPositive('DeepKernelGp', 'noiseFloor', noiseFloor);
    this.rand = seededRandom(checkSeed('DeepKernelGp', 'seed', seed));
    this.state = this.freshState();
    this.optState = adam({ lr: this.lr }).init(this.state) as Tree[];
  }

  /** Fresh network parameters and hyperparameters (length scales 1, signal variance 1, noise 0.1, mean 0). */
  private freshState(): State {
    const theta = new Float32Array(thetaLength(this.nScales));
    theta[this.nScales] = 0;
    theta[this.nScales + 1] = Math.log(0.1);
    return { net: this.extractor.init(this.rand), theta: tf.tensor1d(theta) };
  }

  /** Draws fresh parameters and forgets the optimizer's state (DyHPO's restart). */
  reset(): void {
    treeDispose(this.state);
    disposeState(this.optState);
    this.state = this.freshState();
    this.optState = adam({ lr: this.lr }).init(this.state) as Tree[];
    this.step = 0;
    this.fitted = null;
  }

  /** The current hyperparameter vector `theta` (float64 copy; layout in `hyperparameters.ts`). */
  theta(): Float64Array {
    return Float64Array.from(this.state.theta.dataSync());
  }

  /** The current network parameters (owned by the GP; do not dispose). */
  networkParameters(): Tree {
    return this.state.net;
  }

  /**
   * Runs `steps` Adam steps on `NLL(y | g_w(inputs), theta) / n` (or that of random subsets, see
   * {@link FitOptions}), from the current parameters.
   * Throws a {@link GpNumericalError} (naming the step) if the loss becomes non-finite.
   */
  fit(inputs: I, y: ArrayLike<number>, steps: number, options: FitOptions = {}): FitReport {
    checkInteger('DeepKernelGp.fit', 'steps', steps, { min: 0 });
    const batch = options.batchSize === undefined ? Infinity : checkInteger('DeepKernelGp.fit', 'batchSize', options.batchSize, { min: 2 });
    const n = y.length;
    if (n < 1) throw new Error('DeepKernelGp.fit: needs at least one observation');
    const ys = Float64Array.from(y);
    ys.forEach((v, i) => checkNumber('DeepKernelGp.fit', `y[${i}]`, v));
    const shift = ys.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(ys.reduce((a, b) => a + (b - shift) ** 2, 0) / n);
    const scale = sd > 1e-12 ? sd : 1;
    const yStd = ys.map((v) => (v - shift) / scale);
    const opt = adam({ lr: this.lr });
    const subset = this.extractor.subset;
    if (n > batch && subset === undefined) throw new Error('DeepKernelGp.fit: batchSize needs an extractor with subset(inputs, rows)');
    const loss = (p: State, x: I, t: Float64Array) => tf.div(gpNegativeLogLikelihood(this.extractor.apply(p.net, x), p.theta, t, this.kernel, this.noiseFloor), t.length);
    const losses: number[] = [];
    for (let s = 0; s < steps; s++) {
      let x = inputs;
      let t = yStd;
      if (n > batch && subset !== undefined) {
        const rows = sampleRows(n, batch, this.rand);
        x = subset(inputs, rows);
        t = Float64Array.from(rows, (r) => yStd[r] as number);
      }
      const [next, nextOpt, value] = tidyTree(() => {
        const { value: v, grads } = valueAndGrad(loss)(this.state, x, t);
        const [u, st] = opt.update(grads, this.optState, this.state, this.step);
        return [applyUpdates(this.state, u), st, v];
      }) as [State, Tree[], tf.Scalar];
      const v = value.dataSync()[0] as number;
      value.dispose();
      if (!Number.isFinite(v)) {
        treeDispose(next);
        disposeState(nextOpt);
        throw new GpNumericalError(`DeepKernelGp.fit: the loss became ${v} at step ${s}; lower the learning rate (${this.lr}) or reset()`);
      }
      treeDispose(this.state);
      disposeState(this.optState);
      this.state = next;
      this.optState = nextOpt;
      this.step++;
      losses.push(v);
    }
    this.fitted = { inputs, y: yStd, shift, scale };
    return { losses };
  }

  /** The posterior mean and latent variance at `inputs`, in the targets' units (after {@link fit}). */
  predict(inputs: I): GpPrediction {
    if (this.fitted === null) throw new Error('DeepKernelGp.predict: call fit(inputs, y, steps) first');
    const { inputs: trainInputs, y, shift, scale } = this.fitted;
    const d = this.extractor.dim;
    const [z, zs] = tf.tidy(() => [this.extractor.apply(this.state.net, trainInputs), this.extractor.apply(this.state.net, inputs)]);
    const x = Float64Array.from((z as tf.Tensor).dataSync());
    const xs = Float64Array.from((zs as tf.Tensor).dataSync());
    tf.dispose([z as tf.Tensor, zs as tf.Tensor]);
    const post = gpPosterior(this.kernel, x, d, y, this.theta(), this.noiseFloor);
    const { mean, variance } = post.predict(xs);
    return { mean: mean.map((m) => shift + scale * m), variance: variance.map((v) => v * scale * scale) };
  }

  /** Frees the GP's tensors. */
  dispose(): void {
    treeDispose(this.state);
    disposeState(this.optState);
  }
}

/** `k` distinct rows of `n`, in increasing order, drawn from `rand` (partial Fisher-Yates). */
function sampleRows(n: number, k: number, rand: () => number): number[] {
  const all = Array.from({ length: n }, (_v, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rand() * (n - i));
    [all[i], all[j]] = [all[j] as number, all[i] as number];
  }
  return all.slice(0, k).sort((a, b) => a - b);
}
