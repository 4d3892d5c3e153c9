import { afterEach, describe, expect, it, vi } from 'vitest';
import { progressReporter } from './progressReporter.js';

function stream(isTTY: boolean) {
  const chunks: string[] = [];
  const s = { isTTY, columns: 120, write: (c: string) => { chunks.push(c); return true; }, cursorTo: () => true, clearLine: () => true, moveCursor: () => true };
  return { chunks, s: s as unknown as NodeJS.WritableStream };
}
// What a terminal shows once escape sequences are dropped.
const visible = (chunks: string[]) => chunks.join('').replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, '');

afterEach(() => vi.useRealTimers());

describe('progressReporter', () => {
  it('off a terminal: plain lines with rate and time left every plainEvery seconds, and one final line', () => {
    vi.useFakeTimers();
    const { chunks, s } = stream(false);
    const bar = progressReporter({ label: 'cg outer steps', total: 4, unit: 'step', stream: s, plainEvery: 10 });
    vi.advanceTimersByTime(5_000);
    bar.update(1, 'valid 0.5000'); // 5 s in: no line yet
    vi.advanceTimersByTime(6_000);
    bar.update(2, 'valid 0.4000'); // 11 s: a line, 2 steps in 11 s, 2 left
    vi.advanceTimersByTime(11_000);
    bar.update(4, 'valid 0.2500'); // done: left to stop()
    bar.stop();
    bar.stop();
    expect(chunks).toEqual([
      'cg outer steps [############............] 2/4 [11.0s<11s, 0.182 step/s]  valid 0.4000\n',
      'cg outer steps [########################] 4/4  valid 0.2500  22.0s\n',
    ]);
  });

  it('without a total: the count and the rate, no bar', () => {
    vi.useFakeTimers();
    const { chunks, s } = stream(false);
    const bar = progressReporter({ label: 'tpe evaluations', unit: 'eval', stream: s, plainEvery: 1 });
    vi.advanceTimersByTime(2_000);
    bar.update(50);
    bar.stop();
    expect(chunks).toEqual(['tpe evaluations 50 [2.0s, 25.0 eval/s]\n', 'tpe evaluations 50  2.0s\n']);
  });

  it('on a terminal: a cli-progress bar redrawn in place with rate and ETA, ended by a newline', () => {
    const { chunks, s } = stream(true);
    const bar = progressReporter({ label: 'cg', total: 4, unit: 'step', stream: s });
    for (let i = 1; i <= 4; i++) bar.update(i, `valid ${(1 / i).toFixed(4)}`);
    bar.stop();
    const shown = visible(chunks);
    expect(shown).toMatch(/^cg \[\.{24}\] 0\/4 \[0\.0s<\?, \? step\/s\]/);
    expect(shown).toMatch(/cg \[#{24}\] 4\/4 \[\d+\.\ds<\S+, \S+ step\/s\]  valid 0\.2500\n$/);
    expect(chunks.some((c) => c.includes('\x1b[?25l'))).toBe(false); // the cursor is never hidden
    expect(chunks.filter((c) => c.includes('[#')).length).toBeGreaterThan(0);
  });

  it("modes: 'tty' is silent off a terminal, 'plain' writes lines on one, 'off' writes nothing", () => {
    for (const [mode, isTTY, lines] of [['tty', false, 0], ['tty', true, -1], ['plain', true, 1], ['off', true, 0]] as const) {
      const { chunks, s } = stream(isTTY);
      const bar = progressReporter({ label: 'x', total: 2, stream: s, mode });
      bar.update(2);
      bar.stop();
      if (lines >= 0) expect(chunks, mode).toHaveLength(lines);
      else expect(visible(chunks)).toMatch(/x \[#{24}\] 2\/2 /);
    }
  });
});
