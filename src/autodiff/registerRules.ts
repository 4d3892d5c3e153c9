import { shareSavedTensors } from './engineInternals.js';
import { installShapeOnlySaves, registerRule } from './registry.js';
import { ALL_RULES } from './rules/index.js';

/**
 * Registers hypergrad's gradient rules with tfjs (`initBackend` calls it; importing
 * `hypergrad` does not). Call it
 * again after anything that registers other gradients over them, such as importing
 * `@tensorflow/tfjs`, whose stock rules are not twice differentiable. Also makes single tapes share
 * the buffers of saved tensors instead of copying them (see `shareSavedTensors`), and kernels whose
 * rules need only their inputs' shapes save nothing under hypergrad's tape (`Rule.shapesOnly`).
 */
export function registerRules(): void {
  shareSavedTensors();
  installShapeOnlySaves();
  const seen = new Set<string>();
  for (const rule of ALL_RULES) {
    if (seen.has(rule.kernelName)) throw new Error(`hypergrad: two rules for kernel '${rule.kernelName}'`);
    seen.add(rule.kernelName);
    registerRule(rule);
  }
}
