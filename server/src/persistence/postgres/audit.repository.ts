import type { AuditEntry } from '@shared/schemas/audit.schema';
import type { ChainHead } from '../../domain/auditChain';
import type { AuditFilter, AuditRepository } from '../../services/ports';
import {
  AUDIT_COLUMNS as COLUMNS,
  AUDIT_HEAD_KEY as HEAD_KEY,
  auditRowValues,
  auditWhere,
  toEntry,
  type AuditRow,
} from '../rows/audit';
import { query, transaction, type PgPool } from './database';

/** Advisory lock key of the audit chain: every node's appends queue behind it. */
const AUDIT_LOCK = 0x61_75_64_74; // 'audt'

/**
 * The audit log in PostgreSQL (`audit_log`, append-only by trigger) with its head in `meta`.
 * An append holds a transaction-scoped advisory lock from reading the head to moving it, so
 * nodes appending at once extend one chain instead of forking it (the first append too, when
 * there is no head row to lock).
 */
export class PgAuditRepository implements AuditRepository {
  constructor(private readonly pool: PgPool) {}

  async append(build: (head: ChainHead | null) => AuditEntry): Promise<AuditEntry> {
    return transaction(this.pool, async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK]);
      const { rows } = await query<{ value: string }>(c, 'SELECT value FROM meta WHERE key = ?', [HEAD_KEY]);
      const e = build(rows[0] ? (JSON.parse(rows[0].value) as ChainHead) : null);
      await query(
        c,
        `INSERT INTO audit_log (${COLUMNS}) VALUES (${Array(13).fill('?').join(', ')})`,
        auditRowValues(e),
      );
      await query(
        c,
        `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [HEAD_KEY, JSON.stringify({ seq: e.seq, hash: e.hash } satisfies ChainHead)],
      );
      return e;
    });
  }

  async end(): Promise<{ head: ChainHead | null; lastSeq: number }> {
    // One statement, so the head and the last row come from the same snapshot.
    const { rows } = await query<{ head: string | null; last_seq: number | null }>(
      this.pool,
      `SELECT (SELECT value FROM meta WHERE key = ?) AS head, (SELECT MAX(seq) FROM audit_log) AS last_seq`,
      [HEAD_KEY],
    );
    const row = rows[0]!;
    return {
      head: row.head === null ? null : (JSON.parse(row.head) as ChainHead),
      lastSeq: row.last_seq ?? 0,
    };
  }

  async range(afterSeq: number, upToSeq: number, limit: number): Promise<AuditEntry[]> {
    const { rows } = await query<AuditRow>(
      this.pool,
      `SELECT ${COLUMNS} FROM audit_log WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?`,
      [afterSeq, upToSeq, limit],
    );
    return rows.map(toEntry);
  }

  async query(filter: AuditFilter): Promise<AuditEntry[]> {
    const { where, params } = auditWhere(filter, ' COLLATE "C"');
    const { rows } = await query<AuditRow>(
      this.pool,
      `SELECT ${COLUMNS} FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY seq DESC LIMIT ?`,
      [...params, filter.limit],
    );
    return rows.map(toEntry);
  }
}
