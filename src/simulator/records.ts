import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import { shown } from '../util/validate.js';
import type { RunIdentity, SimulationRecord } from './types.js';

/**
 * Results files: one {@link SimulationRecord} per line (JSON lines), appended as results arrive.
 * A kill at any moment leaves a readable prefix: each record is one `write` of a whole line, so
 * only the last line can be cut off, and readers skip it.
 * @module
 */

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** Throws unless `x` is a record; `where` names it in the error (e.g. `results.jsonl line 3`). */
export function checkRecord(x: unknown, where: string): SimulationRecord {
  const bad = (field: string, what: string, value: unknown): never => {
    throw new Error(`${where}: ${field} must be ${what}, got ${shown(value)}; this is not a simulation record`);
  };
  if (!isObject(x)) return bad('the line', 'a JSON object', x);
  if (!(isNumber(x.cumtime) && x.cumtime >= 0)) bad('cumtime', 'a number >= 0 (simulated seconds)', x.cumtime);
  if (!(Number.isInteger(x.workerIndex) && (x.workerIndex as number) >= 0)) bad('workerIndex', 'an integer >= 0', x.workerIndex);
  if (!isObject(x.config)) bad('config', 'an object', x.config);
  for (const [k, v] of Object.entries(x.config as Record<string, unknown>)) {
    if (!(isNumber(v) || typeof v === 'string' || typeof v === 'boolean')) bad(`config.${k}`, 'a number, string or boolean', v);
  }
  if (!(Number.isInteger(x.seed) && (x.seed as number) >= 0)) bad('seed', 'an integer >= 0', x.seed);
  if (!(isNumber(x.runtime) && x.runtime >= 0)) bad('runtime', 'a number >= 0 (seconds)', x.runtime);
  if (!isObject(x.values)) bad('values', 'an object of numbers', x.values);
  for (const [k, v] of Object.entries(x.values as Record<string, unknown>)) if (!isNumber(v)) bad(`values.${k}`, 'a number', v);
  if (x.fidelity !== undefined && !isNumber(x.fidelity)) bad('fidelity', 'a number', x.fidelity);
  if (x.trial !== undefined && !(Number.isInteger(x.trial) && (x.trial as number) >= 0)) bad('trial', 'an integer >= 0', x.trial);
  if (x.askTime !== undefined && !(isNumber(x.askTime) && x.askTime >= 0)) bad('askTime', 'a number >= 0', x.askTime);
  if (x.fullRuntime !== undefined && !(isNumber(x.fullRuntime) && x.fullRuntime >= 0)) bad('fullRuntime', 'a number >= 0', x.fullRuntime);
  if (x.run !== undefined) {
    const r = x.run;
    if (!isObject(r)) return bad('run', 'an object {id, seed, ...}', r);
    if (typeof r.id !== 'string' || r.id === '') bad('run.id', 'a non-empty string', r.id);
    if (!(Number.isInteger(r.seed) && (r.seed as number) >= 0)) bad('run.seed', 'an integer >= 0', r.seed);
    for (const k of ['optimizer', 'benchmark', 'command'] as const) if (r[k] !== undefined && typeof r[k] !== 'string') bad(`run.${k}`, 'a string', r[k]);
  }
  return x as unknown as SimulationRecord;
}

/**
 * Checks that records come from one run, in arrival order: simulated times never go backwards,
 * no trial number repeats, and every record carries the same run identity (or none does). Two runs
 * appended to one file fail here, naming the line where they meet.
 */
export function checkOneRun(records: readonly SimulationRecord[], where: (i: number) => string = (i) => `record ${i}`): void {
  const trials = new Set<number>();
  const identity = (r: SimulationRecord | undefined) => (r?.run === undefined ? null : JSON.stringify([r.run.id, r.run.seed, r.run.optimizer ?? null, r.run.benchmark ?? null]));
  const first = identity(records[0]);
  records.forEach((r, i) => {
    const prev = records[i - 1];
    if (prev !== undefined && r.cumtime < prev.cumtime) {
      throw new Error(`${where(i)}: simulated time goes backwards (${r.cumtime} after ${prev.cumtime}); records of two runs are mixed, or out of order`);
    }
    if (identity(r) !== first) {
      throw new Error(`${where(i)}: belongs to run ${shown(r.run ?? null)}, the first record to run ${shown(records[0]?.run ?? null)}; records of two runs are mixed`);
    }
    if (r.trial !== undefined) {
      if (trials.has(r.trial)) throw new Error(`${where(i)}: trial ${r.trial} appears twice; records of two runs are mixed`);
      trials.add(r.trial);
    }
  });
}

/** The records of a results file's text; a last line cut off (no newline, not JSON) is skipped. */
export function parseRecords(text: string, file: string): { records: SimulationRecord[]; validBytes: number } {
  const records: SimulationRecord[] = [];
  const lines = text.split('\n');
  let offset = 0;
  let validBytes = 0;
  lines.forEach((line, i) => {
    const last = i === lines.length - 1; // text after the last newline: empty, or a cut-off line
    const bytes = Buffer.byteLength(line) + (last ? 0 : 1);
    offset += bytes;
    if (line.trim() === '') {
      if (!last) validBytes = offset;
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (e) {
      if (last) return; // cut off by a crash: skipped, and truncated away by a continued file
      throw new Error(`readRecords: ${file} line ${i + 1} is not JSON: ${(e as Error).message}`);
    }
    records.push(checkRecord(json, `readRecords: ${file} line ${i + 1}`));
    validBytes = offset;
  });
  checkOneRun(records, (i) => `readRecords: ${file} record ${i + 1}`);
  return { records, validBytes };
}

/**
 * Reads the records written to a results file (by `simulate({resultsFile})`, {@link createRecordsFile}
 * or the multi-worker simulators), checking each: a line that is not JSON, or JSON that is not a
 * record (a missing `cumtime`, a loss given as the string `'0.5'`), is refused with its line number,
 * as are records of two runs mixed in one file. A last line cut off by a crash is skipped.
 */
export function readRecords(file: string): SimulationRecord[] {
  return parseRecords(readFileSync(file, 'utf8'), file).records;
}

/** Options of {@link createRecordsFile} and {@link continueRecordsFile}. */
export interface RecordsFileOptions {
  /** Replace an existing file (default false: an existing non-empty file is refused, so two runs never mix). */
  overwrite?: boolean;
  /** fsync after each record, so a power loss keeps it too (default false: a killed process already does). */
  durable?: boolean;
}

/** An open results file: each `append` writes one whole line straight to the file (no buffering). */
export interface RecordsFile {
  /** The file's path. */
  path: string;
  /** Appends one record (one `write` of the whole line). */
  append(record: SimulationRecord): void;
  /** Closes the file. */
  close(): void;
}

function opened(path: string, fd: number, durable: boolean): RecordsFile {
  let open = true;
  return {
    path,
    append: (record) => {
      if (!open) throw new Error(`records file ${path}: append after close`);
      writeSync(fd, `${JSON.stringify(record)}\n`);
      if (durable) fsyncSync(fd);
    },
    close: () => {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

/** Creates a results file (and its folder) for a new run; refuses a non-empty existing one unless `overwrite`. */
export function createRecordsFile(path: string, { overwrite = false, durable = false }: RecordsFileOptions = {}): RecordsFile {
  if (typeof path !== 'string' || path.trim() === '') throw new Error(`records file: the path must be a non-empty string, got ${shown(path)}`);
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, overwrite ? 'w' : 'a');
  if (!overwrite && fstatSync(fd).size > 0) {
    closeSync(fd);
    throw new Error(`records file ${path} already holds records; resume the run from it, choose another file, or overwrite it`);
  }
  return opened(path, fd, durable);
}

/** What {@link continueRecordsFile} returns. */
export interface ContinuedRecords {
  /** The complete records already in the file (checked, from one run). */
  records: SimulationRecord[];
  /** The file, open for appending after them. */
  file: RecordsFile;
}

/**
 * Opens a results file to continue a cut-off run: returns its records (checked, from one run) and
 * the file, truncated after its last complete record (a line cut off by a crash is dropped) and
 * open for appending. A missing file continues as an empty one.
 */
export function continueRecordsFile(path: string, { durable = false }: Omit<RecordsFileOptions, 'overwrite'> = {}): ContinuedRecords {
  if (!existsSync(path)) return { records: [], file: createRecordsFile(path, { durable }) };
  const { records, validBytes } = parseRecords(readFileSync(path, 'utf8'), path);
  const fd = openSync(path, 'r+');
  ftruncateSync(fd, validBytes);
  closeSync(fd);
  return { records, file: opened(path, openSync(path, 'a'), durable) };
}

/** A fresh run identity (a random UUID as id) for `seed`, with the optimizer's and benchmark's names. */
export function newRunIdentity(seed: number, names: Omit<RunIdentity, 'id' | 'seed'> = {}): RunIdentity {
  return { id: randomUUID(), seed, ...names };
}
