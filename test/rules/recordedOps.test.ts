import { runKernelSpecs } from '../helpers/ruleHarness.js';
import { recordedOpSpecs } from './recordedOps.specs.js';

runKernelSpecs('recorded-op', recordedOpSpecs);
