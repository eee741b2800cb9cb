import pg from 'pg';
import { PG_MIGRATIONS } from './migrations';
import type { Migration } from '../sqlite/migrations';

export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient;
/** A pool or a client inside a transaction: both run queries. */
export type PgQueryable = pg.Pool | pg.PoolClient;

// int8 (bigint) columns hold epoch ms and counts, all far below 2^53: read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
// numeric results of sum()/avg() over float8 stay float8; count(*) is int8 (above).

export interface PgOpenOptions {
  /** postgres://user@host:port/db; `?options=-c search_path=…` selects a schema. */
  url: string;
  /** Connections of this node's pool. */
  max?: number;
}

/** A pool on DATABASE_URL. Connection errors of idle clients are reported, never thrown. */
export function openPool(options: PgOpenOptions, onError?: (err: Error) => void): PgPool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    // A dead peer (node killed, network cut) is noticed by the kernel's keepalive too.
    keepAlive: true,
  });
  pool.on('error', (err) => onError?.(err));
  return pool;
}

/**
 * SQL written with `?` placeholders (as for SQLite) turned into PostgreSQL's `$1, $2…`.
 * Our statements never hold a literal `?` (no JSON path operators), so a plain scan is enough.
 */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Run a `?`-placeholder statement and return its rows. */
export async function query<R extends pg.QueryResultRow = Record<string, unknown>>(
  db: PgQueryable,
  sql: string,
  params: readonly unknown[] = [],
): Promise<pg.QueryResult<R>> {
  return db.query<R>(numbered(sql), params as unknown[]);
}

/** SQLSTATEs after which the whole transaction may simply run again. */
const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected

/**
 * Run `fn` in one transaction on one connection: committed when it resolves, rolled back when
 * it throws. A serialization failure or deadlock (two nodes touching the same rows) runs it
 * again, up to `attempts` times.
 */
export async function transaction<T>(
  pool: PgPool,
  fn: (client: PgClient) => Promise<T>,
  options: { isolation?: 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE'; attempts?: number } = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    try {
      await client.query(`BEGIN ISOLATION LEVEL ${options.isolation ?? 'READ COMMITTED'}`);
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      const code = (err as { code?: string }).code;
      if (attempt < attempts && code !== undefined && RETRYABLE.has(code)) continue;
      throw err;
    } finally {
      client.release();
    }
  }
}

/** Lock key of the migration runner (pg_advisory_xact_lock): nodes starting together migrate once. */
const MIGRATION_LOCK = 0x63_69_74_79; // 'city'

/**
 * Apply the migrations this database has not seen yet, under an advisory lock so that nodes
 * starting at the same time do not race; returns the versions applied.
 */
export async function migratePg(
  pool: PgPool,
  migrations: readonly Migration[] = PG_MIGRATIONS,
): Promise<number[]> {
  return transaction(pool, async (c) => {
    await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await c.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at BIGINT NOT NULL
    )`);
    const applied = new Set(
      (await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
        (r) => r.version,
      ),
    );
    const done: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(m.version)) continue;
      await c.query(m.sql);
      await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        Date.now(),
      ]);
      done.push(m.version);
    }
    return done;
  });
}
