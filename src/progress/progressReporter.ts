import cliProgress from 'cli-progress';

/** Options of {@link progressReporter}. */
export interface ProgressOptions {
  /** What is counted, shown first on the line, e.g. `cg               outer steps`. */
  label: string;
  /** The count at completion; omit when unknown (then the line shows the count and the rate, no bar, no ETA). */
  total?: number;
  /** Unit of the rate, e.g. `step` gives `12.5 step/s`; default `it`. */
  unit?: string;
  /** Where to write; default `process.stderr`. */
  stream?: NodeJS.WritableStream;
  /** On a stream that is not a terminal: seconds between plain progress lines; default 10. */
  plainEvery?: number;
}

/** A live progress line: {@link progressReporter} makes one. */
export interface ProgressReporter {
  /** The count so far, and a detail to show after it (e.g. `valid 0.5275`). */
  update(value: number, detail?: string): void;
  /** Ends the line (idempotent): a final line with the elapsed time, then a newline. */
  stop(detail?: string): void;
}

/** What one progress line shows. */
interface LineState {
  label: string;
  value: number;
  total: number | undefined;
  detail: string;
  seconds: number;
  /** Rate and time left, or null for the final line. */
  live: { rate: number; etaSeconds: number | null; unit: string } | null;
}

const BAR_WIDTH = 24;

/** Seconds as `42s`, `3m05s` or `2h07m`. */
function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const r = Math.round(s);
  if (r < 60) return `${r}s`;
  if (r < 3600) return `${Math.floor(r / 60)}m${String(r % 60).padStart(2, '0')}s`;
  return `${Math.floor(r / 3600)}h${String(Math.floor((r % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * One line: `label [#####...] 12/50  valid 0.5275  3.1s`, then on live lines `  3.9 step/s  ETA 10s`.
 * The final line (no `live`) ends at the elapsed time, so logs can be parsed.
 */
function formatLine({ label, value, total, detail, seconds, live }: LineState): string {
  const count = total === undefined ? `${value}` : `[${bar(value / total)}] ${value}/${total}`;
  const extra = detail === '' ? '' : `  ${detail}`;
  const rate = live === null ? '' : `  ${live.rate.toPrecision(3)} ${live.unit}/s${live.etaSeconds === null ? '' : `  ETA ${duration(live.etaSeconds)}`}`;
  return `${label} ${count}${extra}  ${seconds.toFixed(1)}s${rate}`;
}

function bar(fraction: number): string {
  const filled = Math.round(BAR_WIDTH * Math.min(1, Math.max(0, fraction)));
  return `${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}`;
}

/**
 * cli-progress's bar with its redraw timer unref'd: a run that throws before `stop()` must not be
 * kept alive by a progress line.
 */
class DetachedBar extends cliProgress.SingleBar {
  override render(): void {
    super.render();
    (this as unknown as { timer?: NodeJS.Timeout | null }).timer?.unref();
  }
}

/**
 * The one progress reporter of hypergrad: the Engine's console logging, the CLI's `run`/`compare`
 * (outer steps) and `hpo` (evaluations) all draw through it.
 *
 * On a terminal it is a [cli-progress](https://github.com/npkgz/cli-progress) bar redrawn in place
 * (at most 10 times a second) with the rate and the time left, estimated from the last 20 updates.
 * On anything else (a file, a pipe, CI logs) it writes plain lines: one every `plainEvery` seconds
 * with the rate and time left, and a final line `label [####] n/n  detail  12.3s` at `stop()`.
 * @example
 * ```ts
 * const progress = progressReporter({ label: 'cg outer steps', total: 50, unit: 'step' });
 * for (let s = 1; s <= 50; s++) { step(); progress.update(s, `valid ${loss.toFixed(4)}`); }
 * progress.stop();
 * ```
 */
export function progressReporter({ label, total, unit = 'it', stream = process.stderr, plainEvery = 10 }: ProgressOptions): ProgressReporter {
  const t0 = Date.now();
  let value = 0;
  let detail = '';
  let stopped = false;
  const seconds = () => (Date.now() - t0) / 1000;
  const rate = () => value / Math.max(seconds(), 1e-9);
  if ((stream as { isTTY?: boolean }).isTTY === true) {
    const live = new DetachedBar({
      stream, fps: 10, etaBuffer: 20, hideCursor: true, barsize: BAR_WIDTH, linewrap: false,
      format: (_options, params) => formatLine({
        label, value: params.value, total, detail, seconds: seconds(),
        live: { rate: rate(), unit, etaSeconds: total === undefined || !Number.isFinite(Number(params.eta)) ? null : Number(params.eta) },
      }),
    });
    live.start(total ?? Number.MAX_SAFE_INTEGER, 0);
    return {
      update(v, d) {
        if (stopped) return;
        value = v;
        if (d !== undefined) detail = d;
        live.update(v);
      },
      stop(d) {
        if (stopped) return;
        stopped = true;
        if (d !== undefined) detail = d;
        live.stop();
      },
    };
  }
  let lastLine = t0;
  return {
    update(v, d) {
      if (stopped) return;
      value = v;
      if (d !== undefined) detail = d;
      const now = Date.now();
      if (now - lastLine < plainEvery * 1000 || (total !== undefined && value >= total)) return; // the last one is stop()'s
      lastLine = now;
      const etaSeconds = total === undefined ? null : (total - value) / Math.max(rate(), 1e-12);
      stream.write(`${formatLine({ label, value, total, detail, seconds: seconds(), live: { rate: rate(), unit, etaSeconds } })}\n`);
    },
    stop(d) {
      if (stopped) return;
      stopped = true;
      if (d !== undefined) detail = d;
      stream.write(`${formatLine({ label, value, total, detail, seconds: seconds(), live: null })}\n`);
    },
  };
}
