import { runKernelSpecs } from '../helpers/ruleHarness.js';
import { indexingSpecs } from './indexing.specs.js';

runKernelSpecs('indexing, convolution and pooling', indexingSpecs);
