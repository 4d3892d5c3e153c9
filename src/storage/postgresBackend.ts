import pg from 'pg';
import { type AppendedClaim, type JournalBackend, sharedEffects } from './backend.js';
import type { ClaimOp, JournalEntry, JournalOp } from './journal.js';
import { withReconnect } from './reconnect.js';

/** Options of {@link postgresBackend}. */
export interface PostgresBackendOptions {
  /** Pooled connections of this process (besides the one that listens); default 4. */
  poolSize?: number;
  /** Keep retrying an operation whose connection dropped (server restart, network) for this long (ms); default 120,000. */
  retryForMs?: number;
  /** Keep retrying the first connection for this long (ms); default 15,000. */
  connectForMs?: number;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(an unparsable PostgreSQL URL)';
  }
}

/** A PostgreSQL URL without `?schema=`, and the schema it named. */
export interface UrlAndSchema {
  /** The URL for `pg`. */
  url: string;
  /** The schema (default `public`). */
  schema: string;
}

/** Splits `?schema=NAME` off a PostgreSQL URL (pg does not know it); default schema `public`. */
export function schemaOf(url: string): UrlAndSchema {
  const u = new URL(url);
  const schema = u.searchParams.get('schema') ?? 'public';
  u.searchParams.delete('schema');
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`postgresBackend: schema must be a lower-case SQL identifier ([a-z_][a-z0-9_]*), got '${schema}'`);
  return { url: u.toString(), schema };
}

/**
 * A journal in PostgreSQL through `pg`, for workers on any number of machines. Three tables in
 * the URL's schema (`?schema=NAME`, default `public`): `hg_journal` (the operations; appends run
 * in short transactions serialised by an advisory lock, so positions are visible in order and a
 * replica reads `WHERE seq > last`; each operation's id is unique, so an append retried after a
 * dropped connection is stored once), `hg_waiting` (waiting trials, claimed with
 * `FOR UPDATE SKIP LOCKED`) and `hg_lease` (running trials' heartbeats, timed by the server's
 * clock `now()`). Every append sends `NOTIFY`; `wait` listens on a dedicated connection. Queries
 * use a pool and are retried with backoff when the connection drops or the server restarts.
 * @example
 * ```ts
 * const storage = new JournalStorage(postgresBackend('postgresql://hpo@127.0.0.1:5432/hpo'));
 * ```
 */
export function postgresBackend(url: string, options: PostgresBackendOptions = {}): JournalBackend {
  const { poolSize = 4, retryForMs = 120_000, connectForMs = 15_000 } = options;
  const { url: connectionString, schema } = schemaOf(url);
  const description = redactUrl(url);
  const pool = new pg.Pool({ connectionString, max: poolSize, idleTimeoutMillis: 10_000 });
  pool.on('error', () => { /* an idle client lost its connection: the pool replaces it */ });
  const t = (name: string) => `"${schema}".${name}`;
  const channel = `hg_journal_${schema}`;
  const lockKey = `hypergrad:${schema}`;
  let closed = false;
  const retry = <T>(what: string, fn: () => Promise<T>) => withReconnect(fn, { what: `${description}: ${what}`, retryForMs, closed: () => closed });

  /** Runs `fn` in a transaction on a pooled client (a client whose connection failed is discarded). */
  const transaction = <T>(what: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> => retry(what, async () => {
    await ready;
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      c.release();
      return out;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {});
      c.release(e as Error);
      throw e;
    }
  });

  const ready = withReconnect(async () => {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${lockKey}:schema`]);
      await c.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${t('hg_journal')} (seq bigserial PRIMARY KEY, op_id text NOT NULL UNIQUE, op text NOT NULL)`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${t('hg_waiting')} (trial bigint PRIMARY KEY, study text NOT NULL)`);
      await c.query(`CREATE INDEX IF NOT EXISTS hg_waiting_study ON ${t('hg_waiting')} (study, trial)`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${t('hg_lease')} (trial bigint PRIMARY KEY, study text NOT NULL, beat timestamptz NOT NULL DEFAULT now())`);
      await c.query(APPEND_FUNCTION(schema));
      await c.query('COMMIT');
      c.release();
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {});
      c.release(e as Error);
      throw e;
    }
  }, { what: `${description}: connect and create tables`, retryForMs: connectForMs, closed: () => closed });
  ready.catch(() => {}); // reported by the first operation that awaits it

  /** Appends `ops` in one call of `hg_append` (inside the caller's transaction, or as its own). */
  const appendWith = async (c: pg.Pool | pg.PoolClient, ops: readonly JournalOp[]): Promise<number[]> => {
    const fx = ops.map((op) => sharedEffects(op, -1));
    const r = await c.query<{ seqs: string[] }>(`SELECT ${t('hg_append')}($1, $2, $3, $4, $5, $6, $7, $8)::text[] AS seqs`, [
      ops.map((o) => o.id), ops.map((o) => JSON.stringify(o)),
      fx.map((f) => f.leaseStart?.trial ?? null), fx.map((f) => f.leaseEnd ?? null), fx.map((f) => f.enqueued !== undefined),
      fx.map((f) => f.leaseStart?.study ?? f.enqueued?.study ?? ''), lockKey, channel,
    ]);
    return (r.rows[0]?.seqs ?? []).map(Number);
  };

  const listener = listen(connectionString, channel, () => closed);

  return {
    description,
    append: (ops) => retry('append', async () => {
      await ready;
      return appendWith(pool, ops);
    }),
    read: (after) => retry('read', async () => {
      await ready;
      const r = await pool.query<{ s: string; op: string }>(`SELECT seq::text AS s, op FROM ${t('hg_journal')} WHERE seq > $1 ORDER BY seq`, [after]);
      return r.rows.map((row): JournalEntry => ({ seq: Number(row.s), op: JSON.parse(row.op) as JournalOp }));
    }),
    claim: async (study, _after, _pick, claimOp) => {
      const attempts: ClaimOp[] = [];
      return transaction('claim', async (c): Promise<AppendedClaim | null> => {
        // A previous attempt whose commit was not acknowledged may have claimed already.
        if (attempts.length > 0) {
          const prior = await c.query<{ seq: string; op: string }>(`SELECT seq::text, op FROM ${t('hg_journal')} WHERE op_id = ANY($1)`, [attempts.map((a) => a.id)]);
          const row = prior.rows[0];
          if (row !== undefined) {
            const op = JSON.parse(row.op) as ClaimOp;
            return { seq: Number(row.seq), trial: op.trial, op };
          }
        }
        const r = await c.query<{ trial: string }>(`SELECT trial::text FROM ${t('hg_waiting')} WHERE study = $1 ORDER BY trial LIMIT 1 FOR UPDATE SKIP LOCKED`, [study]);
        const row = r.rows[0];
        if (row === undefined) return null;
        const trial = Number(row.trial);
        await c.query(`DELETE FROM ${t('hg_waiting')} WHERE trial = $1`, [trial]);
        const op = claimOp(trial);
        attempts.push(op);
        const [seq] = (await appendWith(c, [op])) as [number];
        return { seq, trial, op };
      });
    },
    beat: (trial) => retry('heartbeat', async () => {
      await ready;
      const r = await pool.query(`UPDATE ${t('hg_lease')} SET beat = now() WHERE trial = $1`, [trial]);
      return (r.rowCount ?? 0) > 0;
    }),
    expire: (study, graceMs, failOps) => transaction('expire leases', async (c) => {
      const r = await c.query<{ trial: string }>(
        `DELETE FROM ${t('hg_lease')} WHERE study = $1 AND beat < now() - make_interval(secs => $2) RETURNING trial::text`, [study, graceMs / 1000]);
      const trials = r.rows.map((row) => Number(row.trial)).sort((a, b) => a - b);
      if (trials.length > 0) await appendWith(c, failOps(trials));
      return trials;
    }),
    leases: (study) => retry('read leases', async () => {
      await ready;
      const r = await pool.query<{ trial: string; age: number }>(`SELECT trial::text, extract(epoch FROM now() - beat)::float8 * 1000 AS age FROM ${t('hg_lease')} WHERE study = $1 ORDER BY trial`, [study]);
      return r.rows.map((row) => ({ trial: Number(row.trial), ageMs: row.age }));
    }),
    wait: (after, timeoutMs) => listener.wait(after, timeoutMs),
    close: async () => {
      if (closed) return;
      closed = true;
      await listener.close();
      await pool.end();
    },
  };
}

/**
 * `hg_append(ids, ops, lease starts, lease ends, enqueues, studies, lock key, channel)`: appends
 * operations under the journal's advisory lock in one round trip, skipping ids already stored
 * (a retried append), applies their lease and queue effects (a trial of -1 is the operation's own
 * position) and notifies listeners; returns the positions.
 */
const APPEND_FUNCTION = (schema: string) => `
CREATE OR REPLACE FUNCTION "${schema}".hg_append(ids text[], ops text[], starts bigint[], ends bigint[], enqueues boolean[], studies text[], lock_key text, chan text)
RETURNS bigint[] LANGUAGE plpgsql SET search_path = "${schema}" AS $fn$
DECLARE
  i int;
  s bigint;
  seqs bigint[] := '{}';
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext(lock_key));
  FOR i IN 1 .. coalesce(array_length(ids, 1), 0) LOOP
    SELECT seq INTO s FROM hg_journal WHERE op_id = ids[i];
    IF NOT FOUND THEN
      INSERT INTO hg_journal (op_id, op) VALUES (ids[i], ops[i]) RETURNING seq INTO s;
      IF ends[i] IS NOT NULL THEN DELETE FROM hg_lease WHERE trial = ends[i]; END IF;
      IF starts[i] IS NOT NULL THEN
        INSERT INTO hg_lease (trial, study) VALUES (CASE WHEN starts[i] < 0 THEN s ELSE starts[i] END, studies[i]) ON CONFLICT DO NOTHING;
      END IF;
      IF enqueues[i] THEN INSERT INTO hg_waiting (trial, study) VALUES (s, studies[i]) ON CONFLICT DO NOTHING; END IF;
    END IF;
    seqs := seqs || s;
  END LOOP;
  IF array_length(seqs, 1) > 0 THEN PERFORM pg_notify(chan, (SELECT max(x) FROM unnest(seqs) AS x)::text); END IF;
  RETURN seqs;
END
$fn$`;

interface Listener {
  wait(after: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** A dedicated connection that LISTENs on `channel`, reconnecting with backoff when it drops. */
function listen(connectionString: string, channel: string, isClosed: () => boolean): Listener {
  let latest = -1;
  let waiters: { after: number; done: () => void }[] = [];
  let client: pg.Client | null = null;
  let backoff = 50;
  const wake = () => {
    const keep: typeof waiters = [];
    for (const w of waiters) (latest > w.after ? w.done : () => keep.push(w))();
    waiters = keep;
  };
  const connect = async (): Promise<void> => {
    if (isClosed()) return;
    const c = new pg.Client({ connectionString });
    let retried = false;
    const again = () => {
      if (client === c) client = null;
      if (retried || isClosed()) return;
      retried = true;
      // Notifications may have been missed while down: waiters re-read on their timeout.
      setTimeout(() => void connect(), backoff);
      backoff = Math.min(2000, backoff * 2);
    };
    c.on('error', again);
    c.on('end', again);
    c.on('notification', (n) => {
      latest = Math.max(latest, Number(n.payload));
      wake();
    });
    try {
      await c.connect();
      await c.query(`LISTEN "${channel}"`);
      client = c;
      backoff = 50;
    } catch {
      again();
      await c.end().catch(() => {});
    }
  };
  const started = connect();
  return {
    wait: async (after, timeoutMs) => {
      await started;
      if (latest > after) return;
      await new Promise<void>((resolve) => {
        const entry = { after, done: () => { clearTimeout(timer); resolve(); } };
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== entry);
          resolve();
        }, timeoutMs);
        waiters.push(entry);
      });
    },
    close: async () => {
      for (const w of waiters) w.done();
      waiters = [];
      const c = client;
      client = null;
      await c?.end().catch(() => {});
    },
  };
}
