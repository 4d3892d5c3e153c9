import { describe, expect, it } from 'vitest';
import { progressBar } from './progress.js';

function stream(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, s: { isTTY, write: (c: string) => { chunks.push(c); return true; } } as unknown as NodeJS.WritableStream };
}

describe('progressBar', () => {
  it('on a terminal redraws in place (throttled) and ends the line when done', () => {
    const { chunks, s } = stream(true);
    const bar = progressBar(s, 'cg');
    bar(1, 4, 0.5);
    bar(2, 4, 0.4); // within 100 ms of the first draw: skipped
    bar(4, 4, 0.25);
    expect(chunks).toHaveLength(2);
    expect(chunks[0]).toMatch(/^\rcg \[#{6}\.{18}\] 1\/4  valid 0\.5000  \d+\.\ds$/);
    expect(chunks[1]).toMatch(/^\rcg \[#{24}\] 4\/4  valid 0\.2500  \d+\.\ds\n$/);
  });

  it('elsewhere writes only the final line', () => {
    const { chunks, s } = stream(false);
    const bar = progressBar(s, 'x');
    for (let i = 1; i <= 5; i++) bar(i, 5, undefined);
    expect(chunks).toEqual([expect.stringMatching(/^x \[#{24}\] 5\/5  \d+\.\ds\n$/)]);
  });
});
