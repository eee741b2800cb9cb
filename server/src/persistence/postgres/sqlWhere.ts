import { parseDocuments } from '../rows/documents';
import { documentPageSql, type SqlWhere } from '../sqlite/sqlWhere';
import { query, type PgQueryable } from './database';

/**
 * `documentPage` (sqlite/sqlWhere.ts) for PostgreSQL: the same statements (SqlWhere's `?` placeholders are
 * numbered by `query`). The count and the page run side by side: on a pool they take two
 * connections, and, as in SQLite, they are two snapshots (a row written in between may show in
 * one only).
 */
export async function documentPagePg<T>(
  db: PgQueryable,
  table: string,
  where: SqlWhere,
  limit: number,
  offset: number,
): Promise<{ items: T[]; total: number }> {
  const sql = documentPageSql(table, where);
  const [count, page] = await Promise.all([
    query<{ n: number }>(db, sql.count, where.params),
    query<{ data: string }>(db, sql.page, [...where.params, limit, offset]),
  ]);
  return { items: parseDocuments<T>(page.rows), total: count.rows[0]?.n ?? 0 };
}
