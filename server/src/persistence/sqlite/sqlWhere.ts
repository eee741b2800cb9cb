import type { SqliteDatabase } from './database';

/**
 * A WHERE clause built from optional filters: each condition is added only when its
 * value is given, with `?` placeholders (never values pasted into SQL).
 */
export class SqlWhere {
  private readonly parts: string[] = [];
  readonly params: unknown[] = [];

  /** A condition with its own placeholders, added when `when` holds. */
  add(sql: string, params: readonly unknown[] = [], when = true): this {
    if (when) {
      this.parts.push(sql);
      this.params.push(...params);
    }
    return this;
  }

  /** `column = value` when the value is given. */
  eq(column: string, value: unknown): this {
    return this.add(`${column} = ?`, [value], value !== undefined);
  }

  /** `from <= column < to`, each bound when given. */
  range(column: string, from: number | undefined, to: number | undefined): this {
    return this.add(`${column} >= ?`, [from], from !== undefined).add(
      `${column} < ?`,
      [to],
      to !== undefined,
    );
  }

  /** `column IN (…)` when values are given; an empty list matches nothing. */
  in(column: string, values: readonly unknown[] | undefined): this {
    if (values === undefined) return this;
    if (values.length === 0) return this.add('0');
    return this.add(`${column} IN (${values.map(() => '?').join(', ')})`, values);
  }

  get clause(): string {
    return this.parts.length ? `WHERE ${this.parts.join(' AND ')}` : '';
  }
}

/** One page of JSON documents (`data` column) of a table matching `where`, newest `starts_at` first, with the total. */
export function documentPage<T>(
  db: SqliteDatabase,
  table: string,
  where: SqlWhere,
  limit: number,
  offset: number,
): { items: T[]; total: number } {
  const total = (
    db.prepare(`SELECT COUNT(*) AS n FROM ${table} ${where.clause}`).get(...where.params) as { n: number }
  ).n;
  const rows = db
    .prepare(`SELECT data FROM ${table} ${where.clause} ORDER BY starts_at DESC, id LIMIT ? OFFSET ?`)
    .all(...where.params, limit, offset) as Array<{ data: string }>;
  return { items: rows.map((r) => JSON.parse(r.data) as T), total };
}
