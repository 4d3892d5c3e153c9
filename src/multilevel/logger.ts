import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type ProgressReporter, progressReporter } from '../progress/progressReporter.js';

/** Logging options of the engine. */
export interface LoggingOptions {
  /** A progress bar and the latest losses on stderr; default false. */
  console?: boolean;
  /** A JSON-lines file, appended one line per record as it happens (readable after a crash). */
  file?: string;
  /** Log every N-th step of each problem; default 1. */
  every?: number;
}

/** One logged record. */
export type LogRecord = Record<string, number | string | boolean | null>;

/** Writes engine records to the console and a JSON-lines file. */
export class Logger {
  private bar: ProgressReporter | null = null;
  constructor(private readonly options: LoggingOptions, private readonly total: number) {
    if (options.file !== undefined) mkdirSync(dirname(options.file), { recursive: true });
  }

  /** Appends one record to the file (synchronously: nothing is lost if the process dies). */
  record(r: LogRecord): void {
    if (this.options.file !== undefined) appendFileSync(this.options.file, `${JSON.stringify(r)}\n`);
  }

  /** Updates the progress line (hypergrad's one progress reporter), and ends it at the last iteration. */
  progress(iteration: number, losses: Record<string, number>): void {
    if (!this.options.console) return;
    this.bar ??= progressReporter({ label: 'engine', total: this.total, unit: 'iteration' });
    const text = Object.entries(losses).map(([k, v]) => `${k} ${v.toPrecision(4)}`).join('  ');
    this.bar.update(iteration, text);
    if (iteration >= this.total) this.bar.stop();
  }
}
