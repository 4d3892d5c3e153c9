import { checkOneOf } from '../util/validate.js';
import { type Grid, type GridAxis, gridConfig, gridOf } from './grid.js';

/** Whether lower or higher values are better. */
export type Direction = 'minimize' | 'maximize';

/**
 * A hyperparameter loss landscape (Huang & Li 2023, arXiv 2311.14014): a set of configurations on a
 * {@link Grid}, each with its value of one objective at one fidelity. Node `i` is the grid point
 * `nodes[i]` (or `i` itself when `nodes` is null: the full grid).
 */
export interface Landscape {
  /** A name, e.g. `lcbench:3945@52/loss`. */
  name: string;
  /** The grid the configurations lie on. */
  grid: Grid;
  /** Grid index of each node, strictly increasing; null when every grid point is a node. */
  nodes: Int32Array | null;
  /** The objective's value at each node. */
  fitness: Float64Array;
  /** Whether lower (`minimize`) or higher (`maximize`) values are better. */
  direction: Direction;
  /** The objective's name. */
  objective: string;
  /** The fidelity the values were measured at, if any. */
  fidelity?: number;
}

/** Options of {@link landscapeOf}. */
export interface LandscapeOfOptions {
  /** The landscape's name. */
  name: string;
  /** The objective's name; default `loss`. */
  objective?: string;
  /** Default `minimize`. */
  direction?: Direction;
  /** The fidelity, if any. */
  fidelity?: number;
  /** Grid index of each value (strictly increasing); default: the full grid, value i at index i. */
  nodes?: Int32Array | readonly number[];
}

/** A landscape from values on a grid; checks that every value is finite and the node list is valid. */
export function landscapeOf(grid: Grid, values: ArrayLike<number>, o: LandscapeOfOptions): Landscape {
  const direction = checkOneOf('landscapeOf', 'direction', o.direction ?? 'minimize', ['minimize', 'maximize'] as const);
  const nodes = o.nodes === undefined ? null : Int32Array.from(o.nodes);
  const n = nodes === null ? grid.size : nodes.length;
  if (values.length !== n) throw new Error(`landscapeOf(${o.name}): needs ${n} values (one per ${nodes === null ? 'grid point' : 'node'}), got ${values.length}`);
  if (nodes !== null) {
    nodes.forEach((g, i) => {
      if (!(g >= 0 && g < grid.size) || (i > 0 && g <= (nodes[i - 1] as number))) {
        throw new Error(`landscapeOf(${o.name}): nodes must be strictly increasing grid indices in [0, ${grid.size}), got ${g} at position ${i}`);
      }
    });
  }
  const fitness = Float64Array.from(values);
  fitness.forEach((v, i) => {
    if (!Number.isFinite(v)) {
      throw new Error(`landscapeOf(${o.name}): the ${o.objective ?? 'loss'} of config ${JSON.stringify(gridConfig(grid, nodes === null ? i : (nodes[i] as number)))} is ${v}; values must be finite`);
    }
  });
  return { name: o.name, grid, nodes, fitness, direction, objective: o.objective ?? 'loss', ...(o.fidelity !== undefined ? { fidelity: o.fidelity } : {}) };
}

/** Number of nodes. */
export function nodeCount(l: Landscape): number {
  return l.fitness.length;
}

/** Grid index of node `i`. */
export function gridIndexOf(l: Landscape, i: number): number {
  return l.nodes === null ? i : (l.nodes[i] as number);
}

/**
 * The values oriented so that lower is better: `f` for minimisation, `-f` for maximisation. Every
 * metric works on these, so a metric reads the same in both directions.
 */
export function orientedFitness(l: Landscape): Float64Array {
  return l.direction === 'minimize' ? l.fitness : l.fitness.map((v) => -v);
}

/** The JSON form of a landscape (what {@link landscapeToJson} writes). */
export interface LandscapeJson {
  /** Format tag. */
  format: 'hypergrad-landscape/1';
  /** See {@link Landscape.name}. */
  name: string;
  /** The grid's axes. */
  axes: GridAxis[];
  /** Grid indices, or null for the full grid. */
  nodes: number[] | null;
  /** The values. */
  fitness: number[];
  /** See {@link Landscape.direction}. */
  direction: Direction;
  /** See {@link Landscape.objective}. */
  objective: string;
  /** See {@link Landscape.fidelity}. */
  fidelity?: number;
}

/** A landscape as plain JSON (values as numbers, the grid as its axes). */
export function landscapeToJson(l: Landscape): LandscapeJson {
  return {
    format: 'hypergrad-landscape/1', name: l.name, axes: l.grid.axes, nodes: l.nodes === null ? null : Array.from(l.nodes),
    fitness: Array.from(l.fitness), direction: l.direction, objective: l.objective, ...(l.fidelity !== undefined ? { fidelity: l.fidelity } : {}),
  };
}

/** Reads back {@link landscapeToJson}'s output; errors say what is missing. */
export function landscapeFromJson(json: unknown, where = 'landscape'): Landscape {
  const j = json as Partial<LandscapeJson> | null;
  if (j === null || typeof j !== 'object' || j.format !== 'hypergrad-landscape/1') {
    throw new Error(`${where}: not a landscape file (needs format 'hypergrad-landscape/1', got ${String(j?.format)})`);
  }
  if (!Array.isArray(j.axes) || !Array.isArray(j.fitness) || typeof j.name !== 'string') throw new Error(`${where}: needs name, axes and fitness`);
  const grid = gridOf(j.axes);
  return landscapeOf(grid, j.fitness, {
    name: j.name, objective: j.objective ?? 'loss', direction: j.direction ?? 'minimize',
    ...(j.fidelity !== undefined ? { fidelity: j.fidelity } : {}), ...(j.nodes !== null && j.nodes !== undefined ? { nodes: j.nodes } : {}),
  });
}
