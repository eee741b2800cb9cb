import { parseDocuments } from '../rows/documents';
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
    // FALSE, not 0: PostgreSQL wants a boolean there, and SQLite (3.23+) reads FALSE as 0.
    if (values.length === 0) return this.add('FALSE');
    return this.add(`${column} IN (${values.map(() => '?').join(', ')})`, values);
  }

  get clause(): string {
    return this.parts.length ? `WHERE ${this.parts.join(' AND ')}` : '';
  }
}

/**
 * The statements of a page of JSON documents (`data` column) of a table matching `where`:
 * `count` takes `where.params` and returns `n`; `page` takes them followed by limit and offset
 * and returns the documents newest `starts_at` first. Shared by the SQLite and PostgreSQL stores.
 */
export function documentPageSql(table: string, where: SqlWhere): { count: string; page: string } {
  return {
    count: `SELECT COUNT(*) AS n FROM ${table} ${where.clause}`,
    page: `SELECT data FROM ${table} ${where.clause} ORDER BY starts_at DESC, id LIMIT ? OFFSET ?`,
  };
}

/** One page of JSON documents (`data` column) of a table matching `where`, newest `starts_at` first, with the total. */
export function documentPage<T>(
  db: SqliteDatabase,
  table: string,
  where: SqlWhere,
  limit: number,
  offset: number,
): { items: T[]; total: number } {
  const sql = documentPageSql(table, where);
  const total = (db.prepare(sql.count).get(...where.params) as { n: number }).n;
  const rows = db.prepare(sql.page).all(...where.params, limit, offset);
  return { items: parseDocuments<T>(rows), total };
}
