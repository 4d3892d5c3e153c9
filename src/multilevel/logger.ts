import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

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
  private lastDraw = 0;
  constructor(private readonly options: LoggingOptions, private readonly total: number) {
    if (options.file !== undefined) mkdirSync(dirname(options.file), { recursive: true });
  }

  /** Appends one record to the file (synchronously: nothing is lost if the process dies). */
  record(r: LogRecord): void {
    if (this.options.file !== undefined) appendFileSync(this.options.file, `${JSON.stringify(r)}\n`);
  }

  /** Redraws the progress bar (at most every 100 ms, and at the end). */
  progress(iteration: number, losses: Record<string, number>): void {
    if (!this.options.console) return;
    const now = Date.now();
    if (iteration < this.total && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = 24;
    const done = Math.round((width * iteration) / this.total);
    const bar = `${'#'.repeat(done)}${'.'.repeat(width - done)}`;
    const text = Object.entries(losses).map(([k, v]) => `${k} ${v.toPrecision(4)}`).join('  ');
    process.stderr.write(`\r[${bar}] ${iteration}/${this.total}  ${text}${iteration >= this.total ? '\n' : ''}`);
  }
}
