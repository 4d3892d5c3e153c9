import { runKernelSpecs } from '../helpers/ruleHarness.js';
import { elementwiseSpecs } from './elementwise.specs.js';

runKernelSpecs('elementwise', elementwiseSpecs);
