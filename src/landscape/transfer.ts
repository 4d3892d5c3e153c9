import type { Benchmark } from '../hpo/types.js';
import type { Config } from '../hpo/types.js';
import { checkInteger, checkNumber, checkSeed } from '../util/validate.js';
import { seededRandom, shuffleInPlace } from '../util/random.js';
import { topNodes } from './compareLandscapes.js';
import { type Grid, gridConfig } from './grid.js';
import { type Landscape, gridIndexOf, orientedFitness } from './landscape.js';
import { spearman } from './rankCorrelation.js';

/** A cheap probe of a target task: a few grid configurations and their values at a low fidelity. */
export interface Probe {
  /** Grid indices probed. */
  indices: number[];
  /** Their values, oriented so that lower is better. */
  loss: number[];
  /** The configurations. */
  configs: Config[];
  /** The fidelity they ran at. */
  fidelity: number;
  /** Each evaluation's reported runtime (simulated seconds). */
  runtimes: number[];
}

/** Options of {@link probeTarget}. */
export interface ProbeOptions {
  /** Configurations probed (a seeded sample of the grid); default 32. */
  size?: number;
  /** Fidelity of the probe; default the benchmark's lowest. */
  fidelity?: number;
  /** The objective; default the benchmark's first. */
  objective?: string;
  /** Default `minimize`. */
  direction?: 'minimize' | 'maximize';
  /** Seed of the sample; default 0. */
  seed?: number;
}

/** A seeded sample of `size` distinct grid indices. */
export function probeIndices(grid: Grid, size: number, seed: number): number[] {
  checkInteger('probeIndices', 'size', size, { min: 2, max: grid.size });
  const rand = seededRandom(checkSeed('probeIndices', 'seed', seed));
  if (grid.size <= 4 * size) return shuffleInPlace(Array.from({ length: grid.size }, (_v, i) => i), rand).slice(0, size).sort((a, b) => a - b);
  const chosen = new Set<number>();
  while (chosen.size < size) chosen.add(Math.floor(rand() * grid.size));
  return [...chosen].sort((a, b) => a - b);
}

/** Evaluates a probe of the target on `grid` (one batch: one model run on LCBench). */
export async function probeTarget(target: Benchmark, grid: Grid, o: ProbeOptions = {}): Promise<Probe> {
  const fidelity = checkNumber('probeTarget', 'fidelity', o.fidelity ?? target.fidelity.min, { min: target.fidelity.min, max: target.fidelity.max });
  const objective = o.objective ?? target.objectives[0] ?? 'loss';
  const indices = probeIndices(grid, o.size ?? 32, o.seed ?? 0);
  const configs = indices.map((i) => gridConfig(grid, i));
  const results = await Promise.all(configs.map((c) => target.objective(c, { fidelity, seed: o.seed ?? 0 })));
  const sign = o.direction === 'maximize' ? -1 : 1;
  return { indices, configs, fidelity, loss: results.map((r) => sign * (r[objective] as number)), runtimes: results.map((r) => r.runtime) };
}

/** A source landscape's similarity to the target's probe. */
export interface SourceSimilarity {
  /** The source landscape's name. */
  name: string;
  /** Spearman's rho between the probe's values and the source's at the same configurations. */
  spearman: number;
}

/** Options of {@link transferConfigs}. */
export interface TransferOptions {
  /** How many of the most similar sources to draw from; default 3. */
  sources?: number;
  /** Best configurations taken from each; default 4. */
  perSource?: number;
}

/** What {@link transferConfigs} returns. */
export interface Transfer {
  /** The configurations to start the new search with, best first, round-robin over sources. */
  configs: Config[];
  /** Every source's similarity, most similar first. */
  similarities: SourceSimilarity[];
}

/**
 * Warm-start configurations for a new task (the transfer Huang & Li 2023 argue for: landscapes of
 * different tasks rank configurations alike): rank the source landscapes (full grids, the target's
 * grid) by Spearman's rho between the target's cheap low-fidelity probe and the source's values at
 * the probed configurations, take the `perSource` best configurations of each of the `sources`
 * most similar, and interleave them (best of the most similar first), without repeats.
 */
export function transferConfigs(probe: Probe, sources: readonly Landscape[], o: TransferOptions = {}): Transfer {
  const k = checkInteger('transferConfigs', 'sources', o.sources ?? 3, { min: 1 });
  const per = checkInteger('transferConfigs', 'perSource', o.perSource ?? 4, { min: 1 });
  if (sources.length === 0) throw new Error('transferConfigs: needs at least one source landscape');
  const similarities = sources.map((s) => {
    if (s.nodes !== null) throw new Error(`transferConfigs: source '${s.name}' is a partial grid; sources must be full grids`);
    const loss = orientedFitness(s);
    const at = probe.indices.map((i) => {
      if (!(i >= 0 && i < loss.length)) throw new Error(`transferConfigs: probe index ${i} is outside source '${s.name}' (${loss.length} configurations); probe on the sources' grid`);
      return loss[i] as number;
    });
    return { name: s.name, spearman: spearman(probe.loss, at), source: s };
  }).sort((a, b) => (Number.isNaN(b.spearman) ? -2 : b.spearman) - (Number.isNaN(a.spearman) ? -2 : a.spearman));
  const picks = similarities.slice(0, k).map(({ source }) => topNodes(orientedFitness(source), per / source.fitness.length).slice(0, per).map((i) => gridIndexOf(source, i)));
  const seen = new Set<number>();
  const configs: Config[] = [];
  const grid = (similarities[0] as (typeof similarities)[number]).source.grid;
  for (let r = 0; r < per; r++) {
    for (const list of picks) {
      const g = list[r];
      if (g !== undefined && !seen.has(g)) {
        seen.add(g);
        configs.push(gridConfig(grid, g));
      }
    }
  }
  return { configs, similarities: similarities.map(({ name, spearman: rho }) => ({ name, spearman: rho })) };
}
