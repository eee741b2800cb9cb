import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, type Migration } from './migrations';

export type SqliteDatabase = Database.Database;

export interface OpenOptions {
  /** `FULL` survives power loss; `NORMAL` (WAL) survives a process crash. */
  synchronous: 'FULL' | 'NORMAL';
  readonly?: boolean;
  /** How long a write waits for another connection's lock before SQLITE_BUSY, ms (default 5000). */
  busyTimeoutMs?: number;
}

/** Open (creating the folder and file when missing) a SQLite database in WAL mode. */
export function openDatabase(file: string, options: OpenOptions): SqliteDatabase {
  if (!options.readonly && file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file, { readonly: options.readonly ?? false });
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous}`);
  }
  db.pragma('foreign_keys = ON');
  return db;
}

/** Apply the migrations this file has not seen yet; returns the versions applied. */
export function migrate(db: SqliteDatabase, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const applied = new Set(
    db
      .prepare('SELECT version FROM schema_migrations')
      .all()
      .map((r) => (r as { version: number }).version),
  );
  const done: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        Date.now(),
      );
    })();
    done.push(m.version);
  }
  return done;
}
