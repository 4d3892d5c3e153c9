import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { registerRules, supportedKernels } from '../../src/index.js';
import { elementwiseSpecs } from './elementwise.specs.js';
import { indexingSpecs } from './indexing.specs.js';
import { piecewiseSpecs } from './piecewise.specs.js';
import { recordedOpSpecs } from './recordedOps.specs.js';
import { segmentSpecs } from './segment.specs.js';
import { structuralSpecs } from './structural.specs.js';

// Importing hypergrad installs nothing: the rules are in tfjs's registry once registerRules (which
// initBackend calls) has run.
registerRules();

const ALL_SPECS = [...elementwiseSpecs, ...structuralSpecs, ...indexingSpecs, ...piecewiseSpecs, ...segmentSpecs];

/** The kernels the issue names as the minimum the table must cover. */
const REQUIRED = [
  'Add', 'Sub', 'Multiply', 'RealDiv', 'Neg', 'Square', 'Sqrt', 'Rsqrt', 'Pow', 'Exp', 'Log', 'Log1p', 'Softplus',
  'Sigmoid', 'Tanh', 'Relu', 'Elu', 'LeakyRelu', 'Abs', 'Maximum', 'Minimum', 'Max', 'Min', 'Sum', 'Mean',
  'BatchMatMul', 'Transpose', 'Reshape', 'Cast', 'Slice', 'Concat', 'Tile', 'GatherV2', 'OneHot', 'Conv2D',
  'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'MaxPool', 'AvgPool', 'Select', 'ClipByValue', 'Softmax', 'Sin', 'Cos',
];

describe('rule table coverage', () => {
  it('every kernel with a rule has a second-order property check, and every check names a kernel with a rule', () => {
    const checked = ALL_SPECS.map((s) => s.kernel).sort();
    expect(new Set(checked).size, 'a kernel is checked twice').toBe(checked.length);
    expect(checked).toEqual(supportedKernels());
  });

  it("every recorded op of the rules (a customVjp with hand-written derivatives) has a second-order property check", () => {
    const dir = new URL('../../src/autodiff/rules/', import.meta.url);
    const named = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .flatMap((f) => [...readFileSync(new URL(f, dir), 'utf8').matchAll(/(?:customVjp|recordedProduct)\('(\w+)'/g)].map((m) => `hypergrad.${m[1]}`));
    expect(named.length).toBeGreaterThan(0);
    expect(recordedOpSpecs.map((s) => s.kernel).sort()).toEqual([...new Set(named)].sort());
  });

  it('covers every kernel the library promises', () => {
    const missing = REQUIRED.filter((k) => !supportedKernels().includes(k));
    expect(missing).toEqual([]);
  });
});
