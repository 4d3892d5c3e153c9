import { PROBLEMS, PROBLEM_TABLE } from '../../problems/index.js';
import { registerRules } from '../autodiff/registerRules.js';
import { supportedKernels } from '../autodiff/registry.js';
import { defineCommand } from './defineCommand.js';
import { CLI_METHODS } from './methodOptions.js';

/** `hypergrad list`: the ready-made problems (one line each) and the hypergradient methods. */
export const listCommand = defineCommand({
  name: 'list',
  summary: 'list the ready-made problems and hypergradient methods',
  options: {},
  run({ io }) {
    io.out.write(`problems: ${PROBLEMS.join(', ')}\nmethods:  ${CLI_METHODS.join(', ')}\n\n`);
    for (const p of PROBLEM_TABLE) io.out.write(`  ${p.name.padEnd(16)} ${p.description}\n`);
    return 0;
  },
});

/** `hypergrad kernels`: the tfjs kernels with second-order-verified rules (those `registerRules` installs). */
export const kernelsCommand = defineCommand({
  name: 'kernels',
  summary: 'list the tfjs kernels with second-order-verified gradient rules',
  options: {},
  run({ io }) {
    registerRules();
    io.out.write(`${supportedKernels().join('\n')}\n`);
    return 0;
  },
});
