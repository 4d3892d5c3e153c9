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
  /** Where to draw what; default `auto` (see {@link ProgressMode}). */
  mode?: ProgressMode;
}

/**
 * How progress shows: `auto` a bar on a terminal and plain lines elsewhere; `tty` a bar on a
 * terminal and nothing elsewhere (for commands whose logs are their stdout); `plain` plain lines
 * always; `off` nothing.
 */
export type ProgressMode = 'auto' | 'tty' | 'plain' | 'off';

/** The modes, for option checks. */
export const PROGRESS_MODES: readonly ProgressMode[] = ['auto', 'tty', 'plain', 'off'];

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
 * A live line, in tqdm's shape so it fits a terminal: `label [#####...] 12/50 [3.1s<10s, 3.9 step/s]  valid 0.5275`;
 * the final line: `label [########] 50/50  valid 0.5275  12.3s` (ending at the elapsed time, so logs parse).
 */
function formatLine({ label, value, total, detail, seconds, live }: LineState, barWidth = BAR_WIDTH): string {
  const count = total === undefined ? `${value}` : `[${bar(value / total, barWidth)}] ${value}/${total}`;
  const extra = detail === '' ? '' : `  ${detail}`;
  if (live === null) return `${label} ${count}${extra}  ${seconds.toFixed(1)}s`;
  const known = value > 0 && Number.isFinite(live.rate);
  const left = total === undefined ? '' : `<${known && live.etaSeconds !== null ? duration(live.etaSeconds) : '?'}`;
  return `${label} ${count} [${seconds.toFixed(1)}s${left}, ${known ? live.rate.toPrecision(3) : '?'} ${live.unit}/s]${extra}`;
}

function bar(fraction: number, width: number): string {
  const filled = Math.round(width * Math.min(1, Math.max(0, fraction)));
  return `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
}

/** The line at most `columns - 1` wide: the bar shrinks first (to 8), then the end is cut. */
function fitLine(state: LineState, columns: number): string {
  const full = formatLine(state);
  const over = full.length - (columns - 1);
  if (over <= 0 || state.total === undefined) return full.slice(0, Math.max(20, columns - 1));
  return formatLine(state, Math.max(8, BAR_WIDTH - over)).slice(0, Math.max(20, columns - 1));
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
 * (at most 10 times a second) with the elapsed time, the time left (estimated by cli-progress from
 * the last 20 updates) and the rate: `cg [#####.......] 12/50 [3.1s<10s, 3.9 step/s]  valid 0.5275`.
 * On anything else (a file, a pipe, CI logs) it writes plain lines: one in that shape every
 * `plainEvery` seconds, and a final line `label [####] n/n  detail  12.3s` at `stop()`. `mode`
 * changes that (see {@link ProgressMode}).
 * @example
 * ```ts
 * const progress = progressReporter({ label: 'cg outer steps', total: 50, unit: 'step' });
 * for (let s = 1; s <= 50; s++) { step(); progress.update(s, `valid ${loss.toFixed(4)}`); }
 * progress.stop();
 * ```
 */
export function progressReporter({ label, total, unit = 'it', stream = process.stderr, plainEvery = 10, mode = 'auto' }: ProgressOptions): ProgressReporter {
  const tty = (stream as { isTTY?: boolean }).isTTY === true;
  if (mode === 'off' || (mode === 'tty' && !tty)) return { update() {}, stop() {} };
  const t0 = Date.now();
  let value = 0;
  let detail = '';
  let stopped = false;
  const seconds = () => (Date.now() - t0) / 1000;
  const rate = () => value / Math.max(seconds(), 1e-9);
  if (tty && mode !== 'plain') {
    const live = new DetachedBar({
      // Nothing in the terminal's state changes (cursor, line wrapping), so a run that ends
      // without stop() (an error, early stopping, Ctrl-C) leaves it as it was; lines fit the
      // terminal's width instead (a shorter bar, then cut), so that they redraw in place.
      stream, fps: 10, etaBuffer: 20, hideCursor: false, linewrap: true, barsize: BAR_WIDTH,
      format: (_options, params) => fitLine({
        label, value: params.value, total, detail, seconds: seconds(),
        live: { rate: rate(), unit, etaSeconds: total === undefined || !Number.isFinite(Number(params.eta)) ? null : Number(params.eta) },
      }, params.maxWidth),
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
