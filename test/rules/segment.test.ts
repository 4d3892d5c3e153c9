import { runKernelSpecs } from '../helpers/ruleHarness.js';
import { segmentSpecs } from './segment.specs.js';

runKernelSpecs('segment reductions', segmentSpecs);
