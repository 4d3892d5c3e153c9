import { registerRule } from './registry.js';
import { ALL_RULES } from './rules/index.js';

/**
 * Registers hypergrad's gradient rules with tfjs (done once when `hypergrad` is imported). Call it
 * again after anything that registers other gradients over them, such as importing
 * `@tensorflow/tfjs`, whose stock rules are not twice differentiable.
 */
export function registerRules(): void {
  const seen = new Set<string>();
  for (const rule of ALL_RULES) {
    if (seen.has(rule.kernelName)) throw new Error(`hypergrad: two rules for kernel '${rule.kernelName}'`);
    seen.add(rule.kernelName);
    registerRule(rule);
  }
}
