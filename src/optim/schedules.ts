import type { Schedule } from './types.js';

function positive(who: string, name: string, x: number): void {
  if (!(Number.isFinite(x) && x > 0)) throw new Error(`${who}: ${name} must be a positive number, got ${x}`);
}

/** `lr(t) = value`. */
export function constantSchedule(value: number): Schedule {
  return () => value;
}

/** Step decay: `lr(t) = init * gamma^floor(t / stepSize)`. */
export function stepSchedule(init: number, stepSize: number, gamma = 0.1): Schedule {
  positive('stepSchedule', 'stepSize', stepSize);
  return (t) => init * gamma ** Math.floor(t / stepSize);
}

/**
 * Cosine decay (Loshchilov & Hutter 2017, without restarts):
 * `lr(t) = init * ((1 - alpha) (1 + cos(pi min(t, T) / T)) / 2 + alpha)`.
 */
export function cosineSchedule(init: number, decaySteps: number, alpha = 0): Schedule {
  positive('cosineSchedule', 'decaySteps', decaySteps);
  return (t) => init * ((1 - alpha) * 0.5 * (1 + Math.cos((Math.PI * Math.min(t, decaySteps)) / decaySteps)) + alpha);
}

/** Linear warm-up from 0 over `warmupSteps` updates, then `after(t - warmupSteps)`. */
export function linearWarmup(warmupSteps: number, after: Schedule | number): Schedule {
  positive('linearWarmup', 'warmupSteps', warmupSteps);
  const next = typeof after === 'number' ? constantSchedule(after) : after;
  return (t) => (t < warmupSteps ? (next(0) * (t + 1)) / warmupSteps : next(t - warmupSteps));
}
