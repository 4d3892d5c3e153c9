import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type ProgressReporter, progressReporter } from '../progress/progressReporter.js';
import type { EngineEvents } from './events.js';

/**
 * Logging options of the engine (`EngineConfig.logging`): a `Logger` subscribed to the engine's
 * events for the length of `run()`.
 */
export interface LoggingOptions {
  /** A progress bar and the latest losses on stderr; default false. */
  console?: boolean;
  /** A JSON-lines file, appended one line per record as it happens (readable after a crash). */
  file?: string;
  /** Log every N-th update of each problem; default 1. */
  every?: number;
}

/**
 * One line of the JSON-lines log. Three shapes, one JSON object per line, appended and flushed as
 * they happen (a run killed at any moment leaves every line before it readable):
 * - an update: `{"iteration": 3, "problem": "inner", "step": 12, "loss": 0.52, ...metrics}`, the
 *   problem's update count after the update, its loss (mean over micro-batches) and the numbers
 *   its training step returned besides the loss;
 * - a skipped update: `{"iteration": 3, "problem": "inner", "step": 12, "skipped": true, "lossScale": 16384}`;
 * - a validation: `{"iteration": 5, "validation": true, ...metrics}`.
 */
export type LogRecord = Record<string, number | string | boolean | null>;

/** Writes engine events to a JSON-lines file and a progress bar on stderr. */
export class Logger {
  private bar: ProgressReporter | null = null;
  private readonly every: number;

  constructor(private readonly options: LoggingOptions) {
    if (options.file !== undefined) mkdirSync(dirname(options.file), { recursive: true });
    this.every = options.every ?? 1;
  }

  /** Subscribes to `events`; returns the function that unsubscribes. */
  attach(events: EngineEvents): () => void {
    const off: (() => void)[] = [];
    if (this.options.file !== undefined) {
      off.push(
        events.on('step', (e) => {
          if (e.step % this.every === 0) this.record({ iteration: e.iteration, problem: e.problem, step: e.step, loss: e.loss, ...e.metrics });
        }),
        events.on('skip', (e) => this.record({ iteration: e.iteration, problem: e.problem, step: e.step, skipped: true, lossScale: e.lossScale })),
        events.on('validation', (e) => this.record({ iteration: e.iteration, validation: true, ...e.metrics })),
      );
    }
    if (this.options.console) off.push(events.on('iteration', (e) => this.progress(e.iteration, e.total, e.losses)));
    return () => off.forEach((f) => f());
  }

  /** Appends one record to the file (synchronously: nothing is lost if the process dies). */
  record(r: LogRecord): void {
    if (this.options.file !== undefined) appendFileSync(this.options.file, `${JSON.stringify(r)}\n`);
  }

  /** Updates the progress line (hypergrad's one progress reporter), and ends it at the last iteration. */
  progress(iteration: number, total: number, losses: Readonly<Record<string, number>>): void {
    if (!this.options.console) return;
    this.bar ??= progressReporter({ label: 'engine', total, unit: 'iteration' });
    const text = Object.entries(losses).map(([k, v]) => `${k} ${v.toPrecision(4)}`).join('  ');
    this.bar.update(iteration, text);
    if (iteration >= total) this.bar.stop();
  }
}
