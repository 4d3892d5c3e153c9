import * as tf from '@tensorflow/tfjs-core';
import type { Engine, Problem } from '../../src/index.js';

/** A test program: its engine, problems by name, and a disposer. */
export interface Program {
  engine: Engine;
  dispose: () => void;
  [problem: string]: unknown;
}

/**
 * Sets each named problem's parameters, returns `top`'s hypergradient as numbers, and disposes the
 * program.
 */
export function hypergradientAt(program: Program, values: Record<string, number[]>, top: string): number[] {
  for (const [name, v] of Object.entries(values)) (program[name] as Problem).setParams(tf.tensor1d(v));
  const g = program.engine.hypergradient<tf.Tensor>(top);
  const out = Array.from(g.dataSync());
  g.dispose();
  program.dispose();
  return out;
}
