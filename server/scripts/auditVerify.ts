/**
 * `npm run audit:verify`: check the audit log's hash chain in a database file.
 *
 *   npm run audit:verify                      # DATABASE_FILE (env / default)
 *   npm run audit:verify -- --db data/x.db
 *
 * Exit 0 and "OK" with the entry count and the chain head when every entry is
 * intact; exit 1 naming the first bad seq and the reason when a row was edited
 * or deleted; exit 2 when there is nothing to check (no file, no audit log).
 * Opens the file read-only, so it can run beside a live server. Keep the head
 * it prints somewhere else: a later run that prints a different head for the
 * same seq means the log was rewritten wholesale.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config';
import type { ChainFailureReason } from '../src/domain/auditChain';
import { SqliteAuditRepository } from '../src/persistence/sqlite/audit.repository';
import { openDatabase, type SqliteDatabase } from '../src/persistence/sqlite/database';
import { MIGRATIONS } from '../src/persistence/sqlite/migrations';
import { AuditService } from '../src/services/audit.service';

/** The migration that creates audit_log: once applied, a missing table means someone dropped it. */
const AUDIT_MIGRATION = MIGRATIONS.find((m) => m.name === 'audit log')?.version;

const EXPLAIN: Record<ChainFailureReason, string> = {
  gap: 'this entry is missing (deleted or renumbered)',
  broken_link: "this entry's prevHash is not the previous entry's hash (an entry before it was replaced)",
  hash_mismatch: 'this entry does not match its hash (edited)',
  head_mismatch: 'the log does not end at the stored head (last entries deleted, or head altered)',
};

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { db: { type: 'string' } } });
  const file = values.db ?? loadConfig().DATABASE_FILE;
  let db: SqliteDatabase;
  try {
    db = openDatabase(file, { synchronous: 'NORMAL', readonly: true });
  } catch (err) {
    console.error(`audit:verify: cannot open ${file}: ${(err as Error).message}`);
    return 2;
  }
  try {
    const hasTable = (name: string) =>
      db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined;
    if (!hasTable('audit_log')) {
      const created =
        hasTable('schema_migrations') &&
        db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(AUDIT_MIGRATION) !== undefined;
      if (created) {
        console.error(`audit log TAMPERED: the audit_log table was dropped (${file})`);
        return 1;
      }
      console.error(`audit:verify: ${file} has no audit log yet (start the server once to migrate it)`);
      return 2;
    }
    const audit = new AuditService({ repo: new SqliteAuditRepository(db), clock: Date.now });
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
    db.close();
  }
}

process.exitCode = await main();
