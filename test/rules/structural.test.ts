import { runKernelSpecs } from '../helpers/ruleHarness.js';
import { structuralSpecs } from './structural.specs.js';

runKernelSpecs('structural', structuralSpecs);
