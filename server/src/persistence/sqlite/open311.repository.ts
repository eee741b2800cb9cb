import type { Open311KeyRecord, Open311Repository, Open311RequestRecord } from '../../services/ports';
import { open311KeyFromRow, type Open311KeyRow } from '../rows/open311';
import type { SqliteDatabase } from './database';

/** Open311 API keys and what citizens gave with their requests. */
export class SqliteOpen311Repository implements Open311Repository {
  constructor(private readonly db: SqliteDatabase) {}

  async listKeys(): Promise<Open311KeyRecord[]> {
    return (this.db.prepare(`SELECT * FROM open311_keys ORDER BY created_at`).all() as Open311KeyRow[]).map(
      open311KeyFromRow,
    );
  }

  async findKeyByHash(hash: string): Promise<Open311KeyRecord | null> {
    const row = this.db.prepare(`SELECT * FROM open311_keys WHERE key_hash = ?`).get(hash) as
      Open311KeyRow | undefined;
    return row ? open311KeyFromRow(row) : null;
  }

  async insertKey(key: Open311KeyRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO open311_keys (id, name, key_hash, created_at, created_by, revoked_at) VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(key.id, key.name, key.keyHash, key.createdAt, key.createdBy, key.revokedAt);
  }

  async revokeKey(id: string, at: number): Promise<boolean> {
    return (
      this.db
        .prepare(`UPDATE open311_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`)
        .run(at, id).changes === 1
    );
  }

  async insertRequest(record: Open311RequestRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO open311_requests (work_order_id, key_id, service_code, requested_at, data) VALUES (?, ?, ?, ?, ?)`,
      )
      .run(record.workOrderId, record.keyId, record.serviceCode, record.requestedAt, JSON.stringify(record));
  }

  async findRequest(workOrderId: string): Promise<Open311RequestRecord | null> {
    const row = this.db
      .prepare(`SELECT data FROM open311_requests WHERE work_order_id = ?`)
      .get(workOrderId) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as Open311RequestRecord) : null;
  }
}
