import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { defineCommand, option } from './defineCommand.js';
import { choice, text } from './optionValues.js';

/** Every `*.jsonl` file under `dir`, sorted by path. */
function recordFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return recordFiles(path);
    return e.isFile() && e.name.endsWith('.jsonl') ? [path] : [];
  }).sort();
}

/** `{config: {lr: 1}, values: {loss: 2}}` -> `{'config.lr': 1, 'values.loss': 2}`; arrays as JSON. */
function flatten(value: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(value)) {
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, key, out);
    else out[key] = Array.isArray(v) ? JSON.stringify(v) : v;
  }
  return out;
}

/**
 * `hypergrad export DIR`: the records of every run under DIR (HPO records, per-method histories,
 * engine logs: every `*.jsonl`) as one table, one row per record, with the columns `file` (the
 * path under DIR) and `line`, then every field flattened (`config.lr`, `values.loss`). A line cut
 * off by a crash is skipped, with a note. For pandas: `pd.read_csv('runs/hpo/records.csv')`.
 */
export const exportCommand = defineCommand({
  name: 'export',
  group: 'tools',
  summary: "export a folder's run records (every *.jsonl) as one CSV table",
  arguments: [{ name: 'dir', description: 'a run folder (or a folder of them)', required: true }],
  options: {
    format: option(choice('FORMAT', ['csv', 'tsv'] as const), 'csv, or tab-separated', { default: 'csv' }),
    out: option(text('FILE'), "where to write; '-' for standard output", { defaultText: 'DIR/records.<format>' }),
  },
  run({ args, options, io, who }) {
    const dir = args.dir as string;
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${who}: DIR must be a folder, got '${dir}'`);
    const files = recordFiles(dir);
    if (files.length === 0) throw new Error(`${who}: no records (*.jsonl) under '${dir}'`);
    const rows: Record<string, unknown>[] = [];
    for (const file of files) {
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (line.trim() === '') return;
        try {
          rows.push({ file: relative(dir, file), line: i + 1, ...flatten(JSON.parse(line) as Record<string, unknown>) });
        } catch {
          io.err.write(`${who}: skipped ${file}:${i + 1}, not a JSON record (a line cut off by a crash?)\n`);
        }
      });
    }
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    const table = stringify(rows, { header: true, columns, delimiter: options.format === 'tsv' ? '\t' : ',' });
    const target = options.out ?? join(dir, `records.${options.format}`);
    if (target === '-') io.out.write(table);
    else {
      writeFileSync(target, table);
      io.out.write(`${rows.length} records from ${files.length} files, ${columns.length} columns: ${target}\n`);
    }
    return 0;
  },
});
