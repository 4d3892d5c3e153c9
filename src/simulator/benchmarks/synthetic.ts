import { normalSamples, seededRandom } from '../../util/random.js';
import type { Benchmark, Config } from '../../hpo/types.js';
import { argumentError, checkNumber } from '../../util/validate.js';

/** Fidelity range of the synthetic benchmarks (mfhpo-benchmark-api's): z in [11, 100], scaled to z/100. */
const FIDELITY = { name: 'z0', min: 11, max: 100 };

function unitBox(dim: number): Benchmark['searchSpace'] {
  return Object.fromEntries(Array.from({ length: dim }, (_v, d) => [`x${d}`, { type: 'float' as const, low: 0, high: 1 }]));
}

function read(config: Config, dim: number, who: string): number[] {
  return Array.from({ length: dim }, (_v, d) => checkNumber(who, `config.x${d}`, config[`x${d}`], { min: 0, max: 1 }));
}

function fidelityOf(fidelity: number | undefined, who: string): number {
  const z = fidelity ?? FIDELITY.max;
  if (!(z >= FIDELITY.min && z <= FIDELITY.max)) throw argumentError(who, 'fidelity', `in [${FIDELITY.min}, ${FIDELITY.max}]`, z);
  return z / FIDELITY.max;
}

/** Options of the synthetic benchmarks. */
export interface SyntheticOptions {
  /** Seconds of runtime at the full fidelity; default 3600 (mfhpo-benchmark-api's). */
  runtimeFactor?: number;
  /** Add the observation noise; default true. */
  noise?: boolean;
}

const noise = (seed: number, std: number) => std * (normalSamples(seededRandom(seed), 1)[0] as number);

/**
 * Multi-fidelity Branin (Kandasamy et al. 2017, p. 18), on x in [0, 1]^2 mapped to [-5, 10] x [0, 15]:
 * `(x2 - b x1^2 + c x1 - 6)^2 + 10 (1 - t) cos x1 + 10 + noise`, with `b`, `c`, `t` shifted away
 * from Branin's by `(1 - z)` (deltas 1e-2, 0.1, 5e-3), noise std sqrt(0.05); runtime
 * `(0.05 + 0.95 z^1.5) * runtimeFactor` seconds.
 */
export function mfBranin({ runtimeFactor = 3600, noise: noisy = true }: SyntheticOptions = {}): Benchmark {
  const who = 'mfBranin';
  return {
    name: 'mfbranin', searchSpace: unitBox(2), fidelity: FIDELITY, objectives: ['loss'],
    objective: (config, { fidelity, seed }) => {
      const [u, v] = read(config, 2, who) as [number, number];
      const z = fidelityOf(fidelity, who);
      const x1 = 15 * u - 5;
      const x2 = 15 * v;
      const b = 5.1 / (4 * Math.PI ** 2) - 1e-2 * (1 - z);
      const c = 5 / Math.PI - 0.1 * (1 - z);
      const t = 1 / (8 * Math.PI) + 5e-3 * (1 - z);
      const loss = (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10 + (noisy ? noise(seed, Math.sqrt(0.05)) : 0);
      return { loss, runtime: (0.05 + 0.95 * z ** 1.5) * runtimeFactor };
    },
  };
}

const ALPHA = [1.0, 1.2, 3.0, 3.2];
const A3 = [[3, 10, 30], [0.1, 10, 35], [3, 10, 30], [0.1, 10, 35]];
const P3 = [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]].map((r) => r.map((p) => p * 1e-4));
const A6 = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]];
const P6 = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991], [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381]].map((r) => r.map((p) => p * 1e-4));

/**
 * Multi-fidelity Hartmann 3D or 6D (Kandasamy et al. 2017):
 * `-sum_i (alpha_i - 0.1 (1 - z)) exp(-sum_j A_ij (x_j - P_ij)^2) + noise` (noise variance 0.01 in
 * 3D, 0.05 in 6D); runtime `(0.1 + 0.9 m) * runtimeFactor`, m = mean(z, z^2, z^3) in 3D and
 * mean(z, z, z^2, z^3) in 6D.
 */
export function mfHartmann(dim: 3 | 6, { runtimeFactor = 3600, noise: noisy = true }: SyntheticOptions = {}): Benchmark {
  if (dim !== 3 && dim !== 6) throw new Error(`mfHartmann: dim must be 3 or 6, got ${String(dim)}`);
  const who = `mfHartmann${dim}`;
  const [A, P] = dim === 3 ? [A3, P3] : [A6, P6];
  const std = Math.sqrt(dim === 3 ? 0.01 : 0.05);
  return {
    name: `mfhartmann${dim}`, searchSpace: unitBox(dim), fidelity: FIDELITY, objectives: ['loss'],
    objective: (config, { fidelity, seed }) => {
      const x = read(config, dim, who);
      const z = fidelityOf(fidelity, who);
      let loss = 0;
      ALPHA.forEach((a, i) => {
        const e = x.reduce((s, xj, j) => s + (A[i]?.[j] as number) * (xj - (P[i]?.[j] as number)) ** 2, 0);
        loss -= (a - 0.1 * (1 - z)) * Math.exp(-e);
      });
      const m = dim === 3 ? (z + z ** 2 + z ** 3) / 3 : (z + z + z ** 2 + z ** 3) / 4;
      return { loss: loss + (noisy ? noise(seed, std) : 0), runtime: (0.1 + 0.9 * m) * runtimeFactor };
    },
  };
}
