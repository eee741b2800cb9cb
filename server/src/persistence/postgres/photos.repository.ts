import type { Photo } from '@shared/schemas/workOrder.schema';
import type { PhotoRepository } from '../../services/ports';
import { photoFromRow, type PhotoRow } from '../rows/photo';
import { query, type PgPool } from './database';

/** Photos with their bytes (BYTEA) in PostgreSQL: a case and its evidence share one database and one backup. */
export class PgPhotoRepository implements PhotoRepository {
  constructor(private readonly pool: PgPool) {}

  async insert(
    photo: Photo,
    bytes: Buffer,
    clientKey?: string,
  ): Promise<{ photo: Photo; inserted: boolean }> {
    // A retried upload may reach two nodes at once: the unique client_key lets one insert win;
    // the other waits for it to commit, inserts nothing and reads the winner's row below.
    const result = await query(
      this.pool,
      `INSERT INTO photos (id, work_order_id, uploaded_by, uploaded_at, client_key, data, bytes)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (client_key) DO NOTHING`,
      [
        photo.id,
        photo.workOrderId,
        photo.uploadedBy,
        photo.uploadedAt,
        clientKey ?? null,
        JSON.stringify(photo),
        bytes,
      ],
    );
    if (result.rowCount === 1) return { photo, inserted: true };
    const row = (
      await query<{ data: string }>(this.pool, 'SELECT data FROM photos WHERE client_key = ?', [clientKey])
    ).rows[0];
    if (!row) throw new Error(`photo ${photo.id} was neither inserted nor found by its client key`);
    return { photo: JSON.parse(row.data) as Photo, inserted: false };
  }

  async find(id: string): Promise<Photo | null> {
    const row = (
      await query<PhotoRow>(this.pool, 'SELECT data, work_order_id FROM photos WHERE id = ?', [id])
    ).rows[0];
    return row ? photoFromRow(row) : null;
  }

  async bytes(id: string): Promise<Buffer | null> {
    const row = (await query<{ bytes: Buffer }>(this.pool, 'SELECT bytes FROM photos WHERE id = ?', [id]))
      .rows[0];
    return row?.bytes ?? null;
  }

  /** Attach photos not attached yet, in one statement (all or none). */
  async attach(ids: readonly string[], workOrderId: string): Promise<void> {
    if (ids.length === 0) return;
    await query(
      this.pool,
      'UPDATE photos SET work_order_id = ? WHERE id = ANY(?::text[]) AND work_order_id IS NULL',
      [workOrderId, [...ids]],
    );
  }
}
