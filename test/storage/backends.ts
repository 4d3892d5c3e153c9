import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type JournalBackend, JournalStorage, fileBackend, memoryBackend, postgresBackend } from '../../src/storage/index.js';

/** The PostgreSQL URL CI provides (`.ci/run` starts a server and exports it), or undefined. */
export const PG_URL = process.env.HYPERGRAD_TEST_POSTGRES;
/** Why the PostgreSQL tests are skipped, printed once by each file that skips them. */
export const PG_SKIP_REASON = 'PostgreSQL tests skipped: HYPERGRAD_TEST_POSTGRES is not set (.ci/run starts a server and sets it)';

let n = 0;
/** A fresh schema name for one test (so tests never see each other's journals). */
export function freshSchema(): string {
  return `hgt_${process.pid}_${Date.now().toString(36)}_${n++}`;
}

/** `PG_URL` with `?schema=` set. */
export function pgUrlWithSchema(schema: string): string {
  const u = new URL(PG_URL as string);
  u.searchParams.set('schema', schema);
  return u.toString();
}

/** Drops a test schema. */
export async function dropSchema(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await c.end();
  }
}

/** One backend kind under test: `open()` gives another writer on the same journal. */
export interface BackendCase {
  /** Kind. */
  name: 'memory' | 'file' | 'postgres';
  /** The URL workers in other processes open (none for memory). */
  url: string | null;
  /** A new backend on the same journal (the same object for memory). */
  backend(): JournalBackend;
  /** A new writer on the same journal. */
  open(worker?: string): JournalStorage;
  /** Closes every writer opened and removes the journal. */
  cleanup(): Promise<void>;
}

/** A fresh journal of kind `name`. */
export function backendCase(name: BackendCase['name']): BackendCase {
  const opened: JournalStorage[] = [];
  const track = (s: JournalStorage) => (opened.push(s), s);
  if (name === 'memory') {
    const shared = memoryBackend();
    return {
      name, url: null, backend: () => shared,
      open: (worker) => track(new JournalStorage(shared, worker !== undefined ? { worker } : {})),
      cleanup: async () => {},
    };
  }
  if (name === 'file') {
    const dir = mkdtempSync(join(tmpdir(), 'hg-storage-'));
    const path = join(dir, 'journal.jsonl');
    return {
      name, url: path, backend: () => fileBackend(path, { fsync: false }),
      open: (worker) => track(new JournalStorage(fileBackend(path, { fsync: false }), worker !== undefined ? { worker } : {})),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const schema = freshSchema();
  const url = pgUrlWithSchema(schema);
  return {
    name, url, backend: () => postgresBackend(url, { poolSize: 2 }),
    open: (worker) => track(new JournalStorage(postgresBackend(url, { poolSize: 2 }), worker !== undefined ? { worker } : {})),
    cleanup: async () => {
      await Promise.all(opened.map((s) => s.close()));
      await dropSchema(schema);
    },
  };
}

/** The backend kinds available here: memory and file always, PostgreSQL where CI provides it. */
export const BACKENDS: BackendCase['name'][] = PG_URL === undefined ? ['memory', 'file'] : ['memory', 'file', 'postgres'];
