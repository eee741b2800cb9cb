/**
 * `npm run audit:verify`: check the audit log's hash chain in a database file.
 *
 *   npm run audit:verify                      # DATABASE_URL if set, else DATABASE_FILE (env / default)
 *   npm run audit:verify -- --db data/x.db
 *   npm run audit:verify -- --url postgres://host/db
 *
 * Exit 0 and "OK" with the entry count and the chain head when every entry is
 * intact; exit 1 naming the first bad seq and the reason when a row was edited
 * or deleted; exit 2 when there is nothing to check (no file, no audit log).
 * Opens the file read-only (PostgreSQL: reads only), so it can run beside a live server. Keep the head
 * it prints somewhere else: a later run that prints a different head for the
 * same seq means the log was rewritten wholesale.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config';
import type { ChainFailureReason } from '../src/domain/auditChain';
import { PgAuditRepository } from '../src/persistence/postgres/audit.repository';
import { openPool, query } from '../src/persistence/postgres/database';
import { SqliteAuditRepository } from '../src/persistence/sqlite/audit.repository';
import { openDatabase } from '../src/persistence/sqlite/database';
import { MIGRATIONS } from '../src/persistence/sqlite/migrations';
import { AuditService } from '../src/services/audit.service';
import type { AuditRepository } from '../src/services/ports';

/** The migration that creates audit_log: once applied, a missing table means someone dropped it. */
const AUDIT_MIGRATION = MIGRATIONS.find((m) => m.name === 'audit log')?.version;
/** PostgreSQL's first migration creates every table, audit_log included. */
const PG_AUDIT_MIGRATION = 1;

/** The audit log of one database and what verification needs to know about its tables. */
interface AuditSource {
  /** How the database is named in messages (file path, or URL without password). */
  label: string;
  repo: AuditRepository;
  hasTable(name: string): Promise<boolean>;
  /** Whether the migration that creates audit_log was applied. */
  auditMigrated(): Promise<boolean>;
  close(): Promise<void>;
}

function openSqlite(file: string): AuditSource {
  const db = openDatabase(file, { synchronous: 'NORMAL', readonly: true });
  const hasTable = async (name: string) =>
    db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined;
  return {
    label: file,
    repo: new SqliteAuditRepository(db),
    hasTable,
    auditMigrated: async () =>
      (await hasTable('schema_migrations')) &&
      db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(AUDIT_MIGRATION) !== undefined,
    close: async () => {
      db.close();
    },
  };
}

async function openPostgres(url: string): Promise<AuditSource> {
  const pool = openPool({ url, max: 2 });
  await pool.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');
  const shown = new URL(url);
  shown.password = '';
  const hasTable = async (name: string) =>
    (await query<{ t: string | null }>(pool, 'SELECT to_regclass(?)::text AS t', [name])).rows[0]?.t != null;
  return {
    label: shown.toString(),
    repo: new PgAuditRepository(pool),
    hasTable,
    auditMigrated: async () =>
      (await hasTable('schema_migrations')) &&
      ((await query(pool, 'SELECT 1 FROM schema_migrations WHERE version = ?', [PG_AUDIT_MIGRATION]))
        .rowCount ?? 0) > 0,
    close: () => pool.end(),
  };
}

const EXPLAIN: Record<ChainFailureReason, string> = {
  gap: 'this entry is missing (deleted or renumbered)',
  broken_link: "this entry's prevHash is not the previous entry's hash (an entry before it was replaced)",
  hash_mismatch: 'this entry does not match its hash (edited)',
  head_mismatch: 'the log does not end at the stored head (last entries deleted, or head altered)',
};

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { db: { type: 'string' }, url: { type: 'string' } } });
  const config = values.db || values.url ? null : loadConfig();
  const url = values.url ?? config?.DATABASE_URL;
  const target = url ?? values.db ?? config!.DATABASE_FILE;
  let source: AuditSource;
  try {
    source = url ? await openPostgres(url) : openSqlite(target);
  } catch (err) {
    console.error(`audit:verify: cannot open ${target}: ${(err as Error).message}`);
    return 2;
  }
  const file = source.label;
  try {
    if (!(await source.hasTable('audit_log'))) {
      if (await source.auditMigrated()) {
        console.error(`audit log TAMPERED: the audit_log table was dropped (${file})`);
        return 1;
      }
      console.error(`audit:verify: ${file} has no audit log yet (start the server once to migrate it)`);
      return 2;
    }
    const audit = new AuditService({ repo: source.repo, clock: Date.now });
    const verdict = await audit.verify();
    if (verdict.ok) {
      const head = verdict.head ? `head seq ${verdict.head.seq} ${verdict.head.hash}` : 'empty';
      console.log(
        `audit log OK: ${verdict.count} ${verdict.count === 1 ? 'entry' : 'entries'}, ${head} (${file})`,
      );
      return 0;
    }
    console.error(
      `audit log TAMPERED at seq ${verdict.seq}: ${verdict.reason} — ${EXPLAIN[verdict.reason]} (${file})`,
    );
    return 1;
  } finally {
    await source.close();
  }
}

process.exitCode = await main();
