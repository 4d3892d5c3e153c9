/** SQLSTATE classes and Node error codes that mean "the connection went away; try again". */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTCONN', 'EAI_AGAIN',
  '57P01', // admin_shutdown (server stopping)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (server starting)
  '08000', '08001', '08003', '08004', '08006', // connection exceptions
  '40001', '40P01', // serialization failure, deadlock (the transaction can be rerun)
  '53300', // too_many_connections
]);

/** True for an error after which the same operation may simply be retried on a new connection. */
export function isTransient(e: unknown): boolean {
  const err = e as { code?: string; message?: string } | null;
  if (err === null || typeof err !== 'object') return false;
  if (err.code !== undefined && TRANSIENT_CODES.has(err.code)) return true;
  const m = err.message ?? '';
  return /Connection terminated|connection timeout|Client has encountered a connection error|terminating connection|the database system is (starting up|shutting down)|Client was closed/i.test(m);
}

/** Options of {@link withReconnect}. */
export interface ReconnectOptions {
  /** What is being done and where, for the final error. */
  what: string;
  /** Give up after this long (ms). */
  retryForMs: number;
  /** Stop retrying once this says the owner closed. */
  closed?: () => boolean;
}

/**
 * Runs `fn`, rerunning it with exponential backoff (50 ms doubling to 2 s, jittered) while it
 * fails with a transient connection error (the server restarted, the connection dropped), for at
 * most `retryForMs`; other errors, and the last transient one, are thrown with `what` named.
 */
export async function withReconnect<T>(fn: () => Promise<T>, { what, retryForMs, closed = () => false }: ReconnectOptions): Promise<T> {
  const start = Date.now();
  let wait = 50;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (!isTransient(e) || closed()) throw e;
      if (Date.now() - start > retryForMs) {
        throw new Error(`${what}: the database stayed unreachable for ${retryForMs} ms (${(e as Error).message}); check that the server is up and the URL is right`);
      }
      await new Promise((r) => setTimeout(r, wait * (0.5 + Math.random())));
      wait = Math.min(2000, wait * 2);
    }
  }
}
