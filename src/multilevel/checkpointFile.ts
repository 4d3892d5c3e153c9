import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import type { EngineCheckpoint } from './checkpoint.js';
import type { CheckpointSchedule } from './engine.js';

/**
 * Writes `text` to `path` atomically: into a temporary file beside it, flushed to disk, then
 * renamed over `path`, so a kill at any moment leaves either the old file or the new one, never
 * half of one.
 */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Saves an engine checkpoint as JSON at `path` (atomically: see {@link writeFileAtomic}). */
export function saveCheckpointFile(path: string, checkpoint: EngineCheckpoint): void {
  writeFileAtomic(path, JSON.stringify(checkpoint));
}

/** Reads an engine checkpoint saved by {@link saveCheckpointFile}; errors name the file. */
export function loadCheckpointFile(path: string): EngineCheckpoint {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`checkpoint ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let c: EngineCheckpoint;
  try {
    c = JSON.parse(text) as EngineCheckpoint;
  } catch (e) {
    throw new Error(`checkpoint ${path}: not JSON (${(e as Error).message})`);
  }
  if (c?.format !== 'hypergrad-engine-checkpoint') throw new Error(`checkpoint ${path}: not a hypergrad engine checkpoint`);
  return c;
}

/**
 * A checkpoint schedule for `EngineConfig.checkpoint`: every `every` iterations, the engine's
 * state saved to `path` (replacing the previous one atomically).
 * @example
 * ```ts
 * const engine = new Engine({ problems, dependencies, config: { iterations: 1000, checkpoint: checkpointFile('run/checkpoint.json', 100) } });
 * // after a crash, with the problems built as before:
 * await engine.restore(loadCheckpointFile('run/checkpoint.json'));
 * ```
 */
export function checkpointFile(path: string, every: number): CheckpointSchedule {
  return { every, save: (c) => saveCheckpointFile(path, c) };
}
