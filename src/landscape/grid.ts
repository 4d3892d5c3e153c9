import type { Param, SearchSpace } from '../hpo/types.js';
import { validateSearchSpace } from '../hpo/searchSpace.js';
import type { Config } from '../hpo/types.js';
import { checkInteger } from '../util/validate.js';

/** One hyperparameter of a {@link Grid}: its name, kind and the values its levels take. */
export interface GridAxis {
  /** The hyperparameter's name. */
  name: string;
  /**
   * `ordinal` (a float or int parameter: neighbours are one level apart, distance counts levels)
   * or `categorical` (every value is a neighbour of every other, distance is 0 or 1).
   */
  kind: 'ordinal' | 'categorical';
  /** The values of the levels, in order (ordinal: increasing). */
  values: (number | string | boolean)[];
}

/**
 * A grid over a search space: a configuration is one level per axis, numbered in mixed radix
 * (the last axis varies fastest): `index = sum_k level_k * stride_k`, `stride_k = prod_{j>k} |axis_j|`.
 */
export interface Grid {
  /** The axes, in the search space's key order sorted by name. */
  axes: GridAxis[];
  /** Mixed-radix strides, one per axis. */
  strides: number[];
  /** Number of configurations, `prod_k |axis_k|`. */
  size: number;
}

/** Options of {@link landscapeGrid}. */
export interface GridOptions {
  /** Levels per float or int parameter (one number for all, or per name); at least 2. Categoricals take every value. */
  levels: number | Record<string, number>;
}

/** Largest grid accepted (2^31 - 1: node numbers stay 32-bit). */
export const MAX_GRID_SIZE = 2 ** 31 - 1;

/**
 * The `levels` values of a float or int parameter: evenly spaced in `[low, high]`, in log space
 * when the parameter is log-scaled (`exp(log low + i/(L-1) (log high - log low))`), ends exact,
 * rounded to 12 significant digits.
 * Integers are rounded and repeated values dropped, so an int axis may have fewer levels than asked.
 */
export function axisLevels(p: Exclude<Param, { type: 'categorical' }>, levels: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < levels; i++) {
    const u = levels === 1 ? 0.5 : i / (levels - 1);
    let v = p.log ? Math.exp(Math.log(p.low) + u * (Math.log(p.high) - Math.log(p.low))) : p.low + u * (p.high - p.low);
    if (i === 0 && levels > 1) v = p.low;
    if (i === levels - 1 && levels > 1) v = p.high;
    // Twelve significant digits: 1e-3 rather than 0.0010000000000000002 from exp(log(.)).
    v = Math.min(p.high, Math.max(p.low, p.type === 'int' ? Math.round(v) : Number(v.toPrecision(12))));
    if (out.length === 0 || out[out.length - 1] !== v) out.push(v);
  }
  return out;
}

/**
 * The grid of a search space: `levels` values per float or int parameter (linear or log as the
 * space says, see {@link axisLevels}) and every value of a categorical one.
 * @example
 * ```ts
 * const grid = landscapeGrid(lcbench('3945').searchSpace, { levels: 4 }); // grid.size === 16384
 * ```
 */
export function landscapeGrid(space: SearchSpace, { levels }: GridOptions): Grid {
  validateSearchSpace(space);
  const axes: GridAxis[] = Object.keys(space).sort().map((name) => {
    const p = space[name] as Param;
    if (p.type === 'categorical') return { name, kind: 'categorical', values: [...p.choices] };
    const l = typeof levels === 'number' ? levels : levels[name];
    checkInteger('landscapeGrid', `levels${typeof levels === 'number' ? '' : `.${name}`}`, l, { min: 2, max: 1000 });
    return { name, kind: 'ordinal', values: axisLevels(p, l as number) };
  });
  if (typeof levels === 'object' && levels !== null) {
    const unknown = Object.keys(levels).filter((k) => !(k in space));
    if (unknown.length > 0) throw new Error(`landscapeGrid: levels names ${unknown.join(', ')}, not in the search space (${Object.keys(space).join(', ')})`);
  }
  return gridOf(axes);
}

/** A grid from explicit axes (e.g. read back from a file); checks the size. */
export function gridOf(axes: GridAxis[]): Grid {
  const strides = new Array<number>(axes.length);
  let size = 1;
  for (let k = axes.length - 1; k >= 0; k--) {
    strides[k] = size;
    const n = (axes[k] as GridAxis).values.length;
    if (n === 0) throw new Error(`landscape grid: axis '${(axes[k] as GridAxis).name}' has no values`);
    size *= n;
  }
  if (size > MAX_GRID_SIZE) throw new Error(`landscape grid: ${size} configurations is more than ${MAX_GRID_SIZE}; use fewer levels`);
  return { axes, strides, size };
}

/** The level of every axis at grid index `index`. */
export function gridCoords(grid: Grid, index: number): number[] {
  return grid.axes.map((a, k) => Math.floor(index / (grid.strides[k] as number)) % a.values.length);
}

/** The grid index of per-axis levels `coords`. */
export function gridIndex(grid: Grid, coords: readonly number[]): number {
  return coords.reduce((s, c, k) => s + c * (grid.strides[k] as number), 0);
}

/** The configuration at grid index `index`. */
export function gridConfig(grid: Grid, index: number): Config {
  const config: Config = {};
  grid.axes.forEach((a, k) => {
    config[a.name] = a.values[Math.floor(index / (grid.strides[k] as number)) % a.values.length] as number | string | boolean;
  });
  return config;
}

/**
 * Distance on the grid between indices `a` and `b`: Manhattan over the levels of ordinal axes plus
 * Hamming over categorical ones, `d(a, b) = sum_ordinal |l_k(a) - l_k(b)| + sum_categorical [c_k(a) != c_k(b)]`.
 * It equals the number of neighbour steps on the full grid between them.
 */
export function gridDistance(grid: Grid, a: number, b: number): number {
  let d = 0;
  grid.axes.forEach((ax, k) => {
    const s = grid.strides[k] as number;
    const n = ax.values.length;
    const la = Math.floor(a / s) % n;
    const lb = Math.floor(b / s) % n;
    d += ax.kind === 'ordinal' ? Math.abs(la - lb) : la === lb ? 0 : 1;
  });
  return d;
}
