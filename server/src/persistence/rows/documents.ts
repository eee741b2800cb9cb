/**
 * Rows that carry a JSON document in their `data` column (SQLite and PostgreSQL store the
 * document as text, the source of truth): the parsed documents, in row order.
 */
export function parseDocuments<T>(rows: readonly unknown[]): T[] {
  return rows.map((r) => JSON.parse((r as { data: string }).data) as T);
}
