/**
 * A progress bar for a stream (the CLI's stderr): `[#####.....] 120/500  valid 0.7712  3.1s`,
 * redrawn in place at most every 100 ms and once at the end (then a newline). On a stream that is
 * not a terminal it writes only the final line, so logs stay readable.
 */
export function progressBar(err: NodeJS.WritableStream, label: string): (step: number, total: number, validationLoss: number | undefined) => void {
  const t0 = Date.now();
  let last = 0;
  const tty = (err as { isTTY?: boolean }).isTTY === true;
  return (step, total, validationLoss) => {
    const now = Date.now();
    const done = step >= total;
    if (!done && (!tty || now - last < 100)) return;
    last = now;
    const width = 24;
    const filled = Math.round((width * step) / total);
    const loss = validationLoss === undefined ? '' : `  valid ${validationLoss.toFixed(4)}`;
    err.write(`${tty ? '\r' : ''}${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${step}/${total}${loss}  ${((now - t0) / 1000).toFixed(1)}s${done ? '\n' : ''}`);
  };
}
