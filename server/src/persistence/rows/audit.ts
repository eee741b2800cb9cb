import type { AuditEntry } from '@shared/schemas/audit.schema';
import type { AuditFilter } from '../../services/ports';

export interface AuditRow {
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

export const AUDIT_HEAD_KEY = 'audit_head';
export const AUDIT_COLUMNS = `seq, at, actor_type, actor_id, actor_role, action, target_type, target_id,
  before_json, after_json, origin_json, prev_hash, hash`;

/**
 * Read a row back as the entry that was hashed. Rows are not re-validated here: chain
 * verification recomputes every hash, so an edited value shows there. A JSON column that
 * no longer parses is returned as its raw text, which cannot hash like the object it
 * replaced: verification reports that row, and a reviewer sees what is in it.
 */
export function toEntry(row: AuditRow): AuditEntry {
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

/** The values of an entry in AUDIT_COLUMNS order. */
export function auditRowValues(e: AuditEntry): unknown[] {
  return [
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
  ];
}

/**
 * WHERE of an audit query (`?` placeholders). `collate` is appended to the action range bounds:
 * the dotted-prefix test compares bytes, which PostgreSQL does only under `COLLATE "C"`.
 */
export function auditWhere(filter: AuditFilter, collate: string): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, ...values: unknown[]) => {
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
    add(`(action = ? OR (action >= ?${collate} AND action < ?${collate}))`, p, `${p}.`, `${p}/`);
  }
  if (filter.targetType !== undefined) add('target_type = ?', filter.targetType);
  if (filter.targetId !== undefined) add('target_id = ?', filter.targetId);
  if (filter.beforeSeq !== undefined) add('seq < ?', filter.beforeSeq);
  return { where, params };
}
