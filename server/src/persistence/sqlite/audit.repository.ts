import type { AuditEntry } from '@shared/schemas/audit.schema';
import type { ChainHead } from '../../domain/auditChain';
import type { AuditFilter, AuditRepository } from '../../services/ports';
import type { SqliteDatabase } from './database';
import {
  AUDIT_COLUMNS as COLUMNS,
  AUDIT_HEAD_KEY as HEAD_KEY,
  auditRowValues,
  auditWhere,
  toEntry,
  type AuditRow,
} from '../rows/audit';

/** The audit log in SQLite (`audit_log`, append-only by trigger) with its head in `meta`. */
export class SqliteAuditRepository implements AuditRepository {
  constructor(private readonly db: SqliteDatabase) {}

  private readHead(): ChainHead | null {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(HEAD_KEY) as
      { value: string } | undefined;
    return row ? (JSON.parse(row.value) as ChainHead) : null;
  }

  async append(build: (head: ChainHead | null) => AuditEntry): Promise<AuditEntry> {
    const db = this.db;
    const insert = db.prepare(
      `INSERT INTO audit_log (${COLUMNS}) VALUES (${Array(13).fill('?').join(', ')})`,
    );
    const moveHead = db.prepare(
      `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    );
    // IMMEDIATE takes the write lock before the head is read: another connection cannot
    // append between our read and our write.
    return db
      .transaction(() => {
        const e = build(this.readHead());
        insert.run(...auditRowValues(e));
        moveHead.run(HEAD_KEY, JSON.stringify({ seq: e.seq, hash: e.hash } satisfies ChainHead));
        return e;
      })
      .immediate();
  }

  async end(): Promise<{ head: ChainHead | null; lastSeq: number }> {
    // One statement, so the head and the last row come from the same snapshot.
    const row = this.db
      .prepare(
        `SELECT (SELECT value FROM meta WHERE key = ?) AS head, (SELECT MAX(seq) FROM audit_log) AS lastSeq`,
      )
      .get(HEAD_KEY) as { head: string | null; lastSeq: number | null };
    return {
      head: row.head === null ? null : (JSON.parse(row.head) as ChainHead),
      lastSeq: row.lastSeq ?? 0,
    };
  }

  async range(afterSeq: number, upToSeq: number, limit: number): Promise<AuditEntry[]> {
    const rows = this.db
      .prepare(`SELECT ${COLUMNS} FROM audit_log WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?`)
      .all(afterSeq, upToSeq, limit) as AuditRow[];
    return rows.map(toEntry);
  }

  async query(filter: AuditFilter): Promise<AuditEntry[]> {
    const { where, params } = auditWhere(filter, '');
    const rows = this.db
      .prepare(
        `SELECT ${COLUMNS} FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY seq DESC LIMIT ?`,
      )
      .all(...params, filter.limit) as AuditRow[];
    return rows.map(toEntry);
  }
}
