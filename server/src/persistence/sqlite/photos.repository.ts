import type { Photo } from '@shared/schemas/workOrder.schema';
import type { PhotoRepository } from '../../services/ports';
import { photoFromRow, type PhotoRow } from '../rows/photo';
import type { SqliteDatabase } from './database';

/** Photos with their bytes in SQLite: a case and its evidence live in the same file and the same backup. */
export class SqlitePhotoRepository implements PhotoRepository {
  constructor(private readonly db: SqliteDatabase) {}

  async insert(
    photo: Photo,
    bytes: Buffer,
    clientKey?: string,
  ): Promise<{ photo: Photo; inserted: boolean }> {
    const info = this.db
      .prepare(
        `INSERT INTO photos (id, work_order_id, uploaded_by, uploaded_at, client_key, data, bytes)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (client_key) DO NOTHING`,
      )
      .run(
        photo.id,
        photo.workOrderId,
        photo.uploadedBy,
        photo.uploadedAt,
        clientKey ?? null,
        JSON.stringify(photo),
        bytes,
      );
    if (info.changes === 1) return { photo, inserted: true };
    const row = this.db.prepare(`SELECT data FROM photos WHERE client_key = ?`).get(clientKey) as
      { data: string } | undefined;
    if (!row) throw new Error(`photo ${photo.id} was neither inserted nor found by its client key`);
    return { photo: JSON.parse(row.data) as Photo, inserted: false };
  }

  async find(id: string): Promise<Photo | null> {
    const row = this.db.prepare(`SELECT data, work_order_id FROM photos WHERE id = ?`).get(id) as
      PhotoRow | undefined;
    return row ? photoFromRow(row) : null;
  }

  async bytes(id: string): Promise<Buffer | null> {
    const row = this.db.prepare(`SELECT bytes FROM photos WHERE id = ?`).get(id) as
      { bytes: Buffer } | undefined;
    return row?.bytes ?? null;
  }

  async attach(ids: readonly string[], workOrderId: string): Promise<void> {
    const stmt = this.db.prepare(
      `UPDATE photos SET work_order_id = ? WHERE id = ? AND work_order_id IS NULL`,
    );
    this.db.transaction(() => {
      for (const id of ids) stmt.run(workOrderId, id);
    })();
  }
}
