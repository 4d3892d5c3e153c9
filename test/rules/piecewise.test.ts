import { runKernelSpecs } from '../helpers/ruleHarness.js';
import { piecewiseSpecs } from './piecewise.specs.js';

runKernelSpecs('piecewise-constant', piecewiseSpecs);
