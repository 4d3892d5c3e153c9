import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every TypeScript file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

describe('one chart renderer', () => {
  const files = ['src', 'problems', 'bench', 'examples'].flatMap((d) => sources(join(root, d))).map((f) => ({ name: relative(root, f), text: readFileSync(f, 'utf8') }));

  it('only src/plot/renderSpec.ts loads vega and resvg; nothing else draws (no vega-lite compile, no View)', () => {
    // A value import (static or dynamic) of a drawing library; type imports (ColorScheme, TopLevelSpec) are fine.
    const draws = /^import (?!type )[^;]*from '(vega|vega-lite|@resvg\/resvg-js)'|import\('(vega|vega-lite|@resvg\/resvg-js)'\)/m;
    const renderers = files.filter((f) => draws.test(f.text)).map((f) => f.name);
    expect(renderers).toEqual(['src/plot/renderSpec.ts']);
  });

  it('no SVG is written by hand: no SVG element literals in the code', () => {
    const handWritten = files.filter((f) => /['"`]<(svg[\s>]|(rect|polyline|polygon|path|line|circle|text|g)\s+[a-z-]+=)/.test(f.text)).map((f) => f.name);
    expect(handWritten).toEqual([]);
  });
});
