import { type ProgressMode, type ProgressReporter, progressReporter } from '../progress/progressReporter.js';

/** A progress line whose total arrives with the first update (a study learns its size as it starts). */
export interface LateProgress {
  /** `done` of `total` so far. */
  update(done: number, total: number): void;
  /** Ends the line, if one was started. */
  stop(): void;
}

/**
 * A {@link progressReporter} started at the first `update(done, total)`, for callbacks that report
 * `(done, total)` pairs (landscape grids, studies, warm-start comparisons).
 */
export function lateProgress(label: string, stream: NodeJS.WritableStream, mode: ProgressMode, unit = 'it'): LateProgress {
  let bar: ProgressReporter | null = null;
  return {
    update(done, total) {
      bar ??= progressReporter({ label, total, unit, stream, mode });
      bar.update(done);
    },
    stop: () => bar?.stop(),
  };
}
