/**
 * A numerical failure of a GP computation: a kernel matrix not positive definite even with the
 * largest jitter, or a fit whose loss became non-finite. Callers that can restart a fit (DyHPO
 * restarts its surrogate) catch this class only; anything else is a bug to surface.
 */
export class GpNumericalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpNumericalError';
  }
}
