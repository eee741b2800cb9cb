import type { WorkerPosition } from '@shared/schemas/workOrder.schema';
import type { SettingRecord, SettingsRepository, WorkerPositionRepository } from '../../services/ports';
import { parseDocuments } from '../rows/documents';
import { settingFromRow, type SettingRow } from '../rows/settings';
import { query, type PgPool } from './database';

/** Named settings documents (the dispatch policy) in PostgreSQL; the last put wins. */
export class PgSettingsRepository implements SettingsRepository {
  constructor(private readonly pool: PgPool) {}

  async get<T>(key: string): Promise<SettingRecord<T> | null> {
    const row = (
      await query<SettingRow>(this.pool, 'SELECT data, updated_at, updated_by FROM settings WHERE key = ?', [
        key,
      ])
    ).rows[0];
    return row ? settingFromRow<T>(row) : null;
  }

  async put<T>(key: string, record: SettingRecord<T>): Promise<void> {
    await query(
      this.pool,
      `INSERT INTO settings (key, updated_at, updated_by, data) VALUES (?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET updated_at = excluded.updated_at, updated_by = excluded.updated_by,
         data = excluded.data`,
      [key, record.updatedAt, record.updatedBy, JSON.stringify(record.data)],
    );
  }
}

/** The last position each grid worker reported, in PostgreSQL. */
export class PgWorkerPositionRepository implements WorkerPositionRepository {
  constructor(private readonly pool: PgPool) {}

  /** Keep the newest fix: a report that arrives late (another node, a retry) does not move the worker back. */
  async save(position: WorkerPosition): Promise<void> {
    await query(
      this.pool,
      `INSERT INTO worker_positions (worker_id, at, data) VALUES (?, ?, ?)
       ON CONFLICT (worker_id) DO UPDATE SET at = excluded.at, data = excluded.data
         WHERE excluded.at >= worker_positions.at`,
      [position.workerId, position.at, JSON.stringify(position)],
    );
  }

  async list(): Promise<WorkerPosition[]> {
    return parseDocuments<WorkerPosition>((await this.pool.query('SELECT data FROM worker_positions')).rows);
  }
}
