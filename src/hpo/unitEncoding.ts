import type { Config, Param, SearchSpace } from './types.js';

/** The width of {@link encodeUnit}'s vector: one per numeric parameter, one per categorical choice. */
export function unitWidth(space: SearchSpace): number {
  return Object.values(space).reduce((s, p) => s + (p.type === 'categorical' ? p.choices.length : 1), 0);
}

function unit(p: Exclude<Param, { type: 'categorical' }>, v: number): number {
  const [lo, hi, x] = p.log ? [Math.log(p.low), Math.log(p.high), Math.log(v)] : [p.low, p.high, v];
  return hi > lo ? (x - lo) / (hi - lo) : 0.5;
}

/**
 * A configuration as a point of the unit cube, for a surrogate's inputs: each float or integer
 * parameter scaled to [0, 1] (on its log scale if it has one), each categorical one one-hot.
 * Parameters in sorted name order. Throws on a value outside the space, naming it.
 */
export function encodeUnit(space: SearchSpace, config: Config): Float32Array {
  const out = new Float32Array(unitWidth(space));
  let at = 0;
  for (const name of Object.keys(space).sort()) {
    const p = space[name] as Param;
    const v = config[name];
    if (p.type === 'categorical') {
      const k = p.choices.indexOf(v as never);
      if (k < 0) throw new Error(`encodeUnit: config.${name} must be one of ${p.choices.join(', ')}, got ${String(v)}`);
      out[at + k] = 1;
      at += p.choices.length;
    } else {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`encodeUnit: config.${name} must be a finite number, got ${String(v)}`);
      out[at++] = unit(p, v);
    }
  }
  return out;
}
