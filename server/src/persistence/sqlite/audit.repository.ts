import type { AuditEntry } from '@shared/schemas/audit.schema';
import type { ChainHead } from '../../domain/auditChain';
import type { AuditFilter, AuditRepository } from '../../services/ports';
import type { SqliteDatabase } from './database';

interface AuditRow {
  seq: number;
  at: number;
  actor_type: string;
  actor_id: string;
  actor_role: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  before_json: string | null;
  after_json: string | null;
  origin_json: string;
  prev_hash: string;
  hash: string;
}

const HEAD_KEY = 'audit_head';
const COLUMNS = `seq, at, actor_type, actor_id, actor_role, action, target_type, target_id,
  before_json, after_json, origin_json, prev_hash, hash`;

/**
 * Read a row back as the entry that was hashed. Rows are not re-validated here: chain
 * verification recomputes every hash, so an edited value shows there. A JSON column that
 * no longer parses is returned as its raw text, which cannot hash like the object it
 * replaced: verification reports that row, and a reviewer sees what is in it.
 */
function toEntry(row: AuditRow): AuditEntry {
  const json = (text: string | null): unknown => {
    if (text === null) return null;
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  };
  return {
    seq: row.seq,
    at: row.at,
    actor: {
      type: row.actor_type as AuditEntry['actor']['type'],
      id: row.actor_id,
      ...(row.actor_role === null ? {} : { role: row.actor_role }),
    },
    action: row.action,
    target:
      row.target_type === null && row.target_id === null
        ? null
        : ({ type: row.target_type, id: row.target_id } as AuditEntry['target']),
    before: json(row.before_json) as AuditEntry['before'],
    after: json(row.after_json) as AuditEntry['after'],
    origin: json(row.origin_json) as AuditEntry['origin'],
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

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
        insert.run(
          e.seq,
          e.at,
          e.actor.type,
          e.actor.id,
          e.actor.role ?? null,
          e.action,
          e.target?.type ?? null,
          e.target?.id ?? null,
          e.before === null ? null : JSON.stringify(e.before),
          e.after === null ? null : JSON.stringify(e.after),
          JSON.stringify(e.origin),
          e.prevHash,
          e.hash,
        );
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
    const where: string[] = [];
    const params: Array<string | number> = [];
    const add = (sql: string, ...values: Array<string | number>) => {
      where.push(sql);
      params.push(...values);
    };
    if (filter.from !== undefined) add('at >= ?', filter.from);
    if (filter.to !== undefined) add('at < ?', filter.to);
    if (filter.actorId !== undefined) add('actor_id = ?', filter.actorId);
    if (filter.actionPrefix !== undefined) {
      // `p` itself or anything in ['p.', 'p/'): '/' is the character after '.', so this is
      // the dotted prefix as an index range (LIKE would need escaping and skip the index).
      const p = filter.actionPrefix;
      add('(action = ? OR (action >= ? AND action < ?))', p, `${p}.`, `${p}/`);
    }
    if (filter.targetType !== undefined) add('target_type = ?', filter.targetType);
    if (filter.targetId !== undefined) add('target_id = ?', filter.targetId);
    if (filter.beforeSeq !== undefined) add('seq < ?', filter.beforeSeq);
    const rows = this.db
      .prepare(
        `SELECT ${COLUMNS} FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY seq DESC LIMIT ?`,
      )
      .all(...params, filter.limit) as AuditRow[];
    return rows.map(toEntry);
  }
}
