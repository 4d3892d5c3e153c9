import type { Param, SearchSpace } from '../hpo/types.js';
import type { Benchmark } from '../hpo/types.js';
import type { SimulationRecord } from '../simulator/types.js';
import type { EvalResult } from '../hpo/types.js';
import { checkFunction, checkInteger, checkNumber, checkSeed } from '../util/validate.js';
import { type Grid, type GridOptions, gridConfig, landscapeGrid } from './grid.js';
import { type Direction, type Landscape, landscapeOf } from './landscape.js';

/** Options of {@link evaluateGrid}. */
export interface EvaluateGridOptions {
  /** The fidelity (e.g. epochs); default the benchmark's full budget. */
  fidelity?: number;
  /** The seed every evaluation gets (common random numbers); default 0. */
  seed?: number;
  /** Configurations per batch: all of a batch's calls are made in one tick, so a batching benchmark (LCBench) runs them in one model call; default 4096. */
  batch?: number;
  /** Called after each batch with the configurations done and the total. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Evaluates a benchmark at every point of a grid, batch by batch; returns each reported value
 * (`runtime` included) per grid index. Errors name the configuration that failed.
 */
export async function evaluateGrid(benchmark: Benchmark, grid: Grid, o: EvaluateGridOptions = {}): Promise<Record<string, Float64Array>> {
  const fidelity = checkNumber('evaluateGrid', 'fidelity', o.fidelity ?? benchmark.fidelity.max, { min: benchmark.fidelity.min, max: benchmark.fidelity.max });
  const seed = checkSeed('evaluateGrid', 'seed', o.seed ?? 0);
  const batch = checkInteger('evaluateGrid', 'batch', o.batch ?? 4096, { min: 1 });
  if (o.onProgress !== undefined) checkFunction('evaluateGrid', 'onProgress', o.onProgress);
  const out: Record<string, Float64Array> = {};
  for (let start = 0; start < grid.size; start += batch) {
    const end = Math.min(grid.size, start + batch);
    const configs = Array.from({ length: end - start }, (_v, k) => gridConfig(grid, start + k));
    let results: EvalResult[];
    try {
      results = await Promise.all(configs.map((config) => benchmark.objective(config, { fidelity, seed })));
    } catch (e) {
      throw new Error(`evaluateGrid(${benchmark.name}): an evaluation of configurations ${start}..${end - 1} at fidelity ${fidelity} failed: ${(e as Error).message}`);
    }
    results.forEach((r, k) => {
      for (const [key, v] of Object.entries(r)) {
        if (typeof v !== 'number') continue;
        out[key] ??= new Float64Array(grid.size).fill(Number.NaN);
        (out[key] as Float64Array)[start + k] = v;
      }
    });
    o.onProgress?.(end, grid.size);
  }
  return out;
}

/** Options of {@link buildLandscape}. */
export interface BuildLandscapeOptions extends EvaluateGridOptions, GridOptions {
  /** The objective; default the benchmark's first (`loss`). */
  objective?: string;
  /** Whether to minimise or maximise it; default `minimize`. */
  direction?: Direction;
  /** The landscape's name; default `<benchmark>@<fidelity>/<objective>`. */
  name?: string;
}

/**
 * A landscape from a benchmark: the grid of its search space (`levels` per numeric parameter,
 * linear or log as the space says; every categorical value), evaluated at one fidelity, batched.
 * @example
 * ```ts
 * const l = await buildLandscape(lcbench('3945'), { levels: 4, fidelity: 52 }); // 16,384 configurations, one model run per 4096
 * ```
 */
export async function buildLandscape(benchmark: Benchmark, o: BuildLandscapeOptions): Promise<Landscape> {
  const grid = landscapeGrid(benchmark.searchSpace, o);
  const objective = o.objective ?? benchmark.objectives[0] ?? 'loss';
  if (!benchmark.objectives.includes(objective)) throw new Error(`buildLandscape: objective must be one of ${benchmark.objectives.join(', ')} (what ${benchmark.name} reports), got '${objective}'`);
  const fidelity = o.fidelity ?? benchmark.fidelity.max;
  const values = await evaluateGrid(benchmark, grid, { ...o, fidelity });
  return landscapeOf(grid, values[objective] as Float64Array, {
    name: o.name ?? `${benchmark.name}@${fidelity}/${objective}`, objective, direction: o.direction ?? 'minimize', fidelity,
  });
}

/** The level of `value` nearest on its axis (log distance on a log-scaled parameter). */
function nearestLevel(p: Param, values: readonly (number | string | boolean)[], value: unknown, where: string): number {
  if (p.type === 'categorical') {
    const k = values.indexOf(value as string | number | boolean);
    if (k < 0) throw new Error(`${where} is ${JSON.stringify(value)}, not one of the choices ${JSON.stringify(values)}`);
    return k;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${where} must be a finite number, got ${String(value)}`);
  const t = (v: number) => (p.log ? Math.log(v) : v);
  let best = 0;
  values.forEach((v, k) => {
    if (Math.abs(t(v as number) - t(value)) < Math.abs(t(values[best] as number) - t(value))) best = k;
  });
  return best;
}

/** Options of {@link landscapeFromRecords}. */
export interface FromRecordsOptions extends GridOptions {
  /** The search space the records come from. */
  searchSpace: SearchSpace;
  /** Keep records at this fidelity; default the highest fidelity among them. */
  fidelity?: number;
  /** The objective; default `loss`. */
  objective?: string;
  /** Default `minimize`. */
  direction?: Direction;
  /** The landscape's name; default `records@<fidelity>/<objective>`. */
  name?: string;
}

/**
 * A landscape over the configurations a simulator run evaluated: each record at the fidelity is
 * snapped to the nearest grid level per parameter (in log space for log-scaled ones), a grid point
 * hit several times keeps its best value, and the nodes are the grid points hit. Neighbours are
 * grid neighbours that were both evaluated, so a sparse run gives a sparse graph.
 */
export function landscapeFromRecords(records: readonly SimulationRecord[], o: FromRecordsOptions): Landscape {
  const grid = landscapeGrid(o.searchSpace, o);
  const objective = o.objective ?? 'loss';
  const direction = o.direction ?? 'minimize';
  const fids = records.map((r) => r.fidelity).filter((f): f is number => f !== undefined);
  const fidelity = o.fidelity ?? (fids.length > 0 ? Math.max(...fids) : undefined);
  const best = new Map<number, number>();
  records.forEach((r, i) => {
    if (fidelity !== undefined && r.fidelity !== fidelity) return;
    const v = r.values[objective];
    if (typeof v !== 'number') throw new Error(`landscapeFromRecords: record ${i} has no '${objective}'; it has ${Object.keys(r.values).join(', ')}`);
    let g = 0;
    grid.axes.forEach((ax, k) => {
      g += nearestLevel(o.searchSpace[ax.name] as Param, ax.values, r.config[ax.name], `landscapeFromRecords: record ${i}'s config.${ax.name}`) * (grid.strides[k] as number);
    });
    const prev = best.get(g);
    if (prev === undefined || (direction === 'minimize' ? v < prev : v > prev)) best.set(g, v);
  });
  if (best.size === 0) throw new Error(`landscapeFromRecords: no record at fidelity ${fidelity}; fidelities present: ${[...new Set(fids)].join(', ') || 'none'}`);
  const nodes = [...best.keys()].sort((a, b) => a - b);
  return landscapeOf(grid, nodes.map((g) => best.get(g) as number), {
    name: o.name ?? `records@${fidelity ?? '-'}/${objective}`, objective, direction, nodes, ...(fidelity !== undefined ? { fidelity } : {}),
  });
}
