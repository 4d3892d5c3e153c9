import type { JournalBackend } from './backend.js';
import { type FileBackendOptions, fileBackend } from './fileBackend.js';
import { JournalStorage } from './journalStorage.js';
import { memoryBackend } from './memoryBackend.js';
import { type PostgresBackendOptions, postgresBackend } from './postgresBackend.js';

/** Options of {@link openStorage}: the writer's name and the backend's options. */
export interface OpenStorageOptions extends FileBackendOptions, PostgresBackendOptions {
  /** This writer's id in the journal (default `host:pid:instance`). */
  worker?: string;
}

/**
 * The backend a storage URL names: `memory:` (this process only), `postgresql://user@host:port/db`
 * (or `postgres://`; `?schema=NAME` picks the schema), `file:PATH` or a plain path to a JSON-lines
 * journal file. Any other `scheme://` is an error.
 */
export function backendFor(url: string, options: OpenStorageOptions = {}): JournalBackend {
  if (typeof url !== 'string' || url === '') throw new Error(`storage: the URL must be a non-empty string (memory:, file:PATH or postgresql://...), got ${JSON.stringify(url)}`);
  if (url === 'memory:' || url === 'memory') return memoryBackend();
  if (/^postgres(ql)?:\/\//.test(url)) return postgresBackend(url, options);
  if (url.startsWith('file:')) return fileBackend(url.slice('file:'.length).replace(/^\/\/(?=\/)/, ''), options);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw new Error(`storage: unknown URL scheme in '${url.replace(/:[^:@/]*@/, ':***@')}'; accepted: memory:, file:PATH, a path, postgresql://user@host:port/db`);
  return fileBackend(url, options);
}

/**
 * Opens a study storage from a URL (see {@link backendFor}) and syncs its replica.
 * @example
 * ```ts
 * const storage = await openStorage('postgresql://hpo@127.0.0.1:5432/hpo');
 * const trials = await storage.trials('mlp');
 * await storage.close();
 * ```
 */
export async function openStorage(url: string, options: OpenStorageOptions = {}): Promise<JournalStorage> {
  const storage = new JournalStorage(backendFor(url, options), options.worker !== undefined ? { worker: options.worker } : {});
  try {
    await storage.sync();
  } catch (e) {
    await storage.close().catch(() => {});
    throw e;
  }
  return storage;
}
