import type { Open311KeyRecord, Open311Repository, Open311RequestRecord } from '../../services/ports';
import { open311KeyFromRow, type Open311KeyRow } from '../rows/open311';
import { query, type PgPool } from './database';

/** Open311 API keys and what citizens gave with their requests, in PostgreSQL. */
export class PgOpen311Repository implements Open311Repository {
  constructor(private readonly pool: PgPool) {}

  async listKeys(): Promise<Open311KeyRecord[]> {
    const { rows } = await query<Open311KeyRow>(this.pool, 'SELECT * FROM open311_keys ORDER BY created_at');
    return rows.map(open311KeyFromRow);
  }

  async findKeyByHash(hash: string): Promise<Open311KeyRecord | null> {
    const row = (
      await query<Open311KeyRow>(this.pool, 'SELECT * FROM open311_keys WHERE key_hash = ?', [hash])
    ).rows[0];
    return row ? open311KeyFromRow(row) : null;
  }

  async insertKey(key: Open311KeyRecord): Promise<void> {
    await query(
      this.pool,
      'INSERT INTO open311_keys (id, name, key_hash, created_at, created_by, revoked_at) VALUES (?, ?, ?, ?, ?, ?)',
      [key.id, key.name, key.keyHash, key.createdAt, key.createdBy, key.revokedAt],
    );
  }

  /** Revoke a live key; false when there is no such key or it was already revoked (by any node). */
  async revokeKey(id: string, at: number): Promise<boolean> {
    const result = await query(
      this.pool,
      'UPDATE open311_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
      [at, id],
    );
    return result.rowCount === 1;
  }

  async insertRequest(record: Open311RequestRecord): Promise<void> {
    await query(
      this.pool,
      'INSERT INTO open311_requests (work_order_id, key_id, service_code, requested_at, data) VALUES (?, ?, ?, ?, ?)',
      [record.workOrderId, record.keyId, record.serviceCode, record.requestedAt, JSON.stringify(record)],
    );
  }

  async findRequest(workOrderId: string): Promise<Open311RequestRecord | null> {
    const row = (
      await query<{ data: string }>(this.pool, 'SELECT data FROM open311_requests WHERE work_order_id = ?', [
        workOrderId,
      ])
    ).rows[0];
    return row ? (JSON.parse(row.data) as Open311RequestRecord) : null;
  }
}
