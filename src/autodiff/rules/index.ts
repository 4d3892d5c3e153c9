import type { Rule } from '../registry.js';
import { activationRules } from './activations.js';
import { arithmeticRules } from './arithmetic.js';
import { convRules } from './conv.js';
import { gatherRules } from './gather.js';
import { batchMatMulRule } from './matMul.js';
import { piecewiseConstantRules } from './piecewiseConstant.js';
import { poolRules } from './pool.js';
import { reductionRules } from './reductions.js';
import { segmentRules } from './segment.js';
import { selectRule } from './select.js';
import { shapeRules } from './shape.js';
import { unaryRules } from './unary.js';

/** Every rule of hypergrad's table, one per kernel. */
export const ALL_RULES: readonly Rule[] = [
  ...arithmeticRules, ...unaryRules, ...activationRules, ...reductionRules, batchMatMulRule, ...shapeRules,
  ...gatherRules, ...segmentRules, selectRule, ...convRules, ...poolRules, ...piecewiseConstantRules,
];
