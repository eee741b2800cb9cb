import type { WorkerPosition } from '@shared/schemas/workOrder.schema';
import type { SettingRecord, SettingsRepository, WorkerPositionRepository } from '../../services/ports';
import { settingFromRow, type SettingRow } from '../rows/settings';
import type { SqliteDatabase } from './database';

/** Named settings documents (the dispatch policy). */
export class SqliteSettingsRepository implements SettingsRepository {
  constructor(private readonly db: SqliteDatabase) {}

  async get<T>(key: string): Promise<SettingRecord<T> | null> {
    const row = this.db
      .prepare(`SELECT data, updated_at, updated_by FROM settings WHERE key = ?`)
      .get(key) as SettingRow | undefined;
    return row ? settingFromRow<T>(row) : null;
  }

  async put<T>(key: string, record: SettingRecord<T>): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO settings (key, updated_at, updated_by, data) VALUES (?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET updated_at = excluded.updated_at, updated_by = excluded.updated_by,
           data = excluded.data`,
      )
      .run(key, record.updatedAt, record.updatedBy, JSON.stringify(record.data));
  }
}

/** The last position each grid worker reported. */
export class SqliteWorkerPositionRepository implements WorkerPositionRepository {
  private readonly saveStmt;

  constructor(private readonly db: SqliteDatabase) {
    this.saveStmt = db.prepare(
      `INSERT INTO worker_positions (worker_id, at, data) VALUES (?, ?, ?)
       ON CONFLICT (worker_id) DO UPDATE SET at = excluded.at, data = excluded.data WHERE excluded.at >= at`,
    );
  }

  async save(position: WorkerPosition): Promise<void> {
    this.saveStmt.run(position.workerId, position.at, JSON.stringify(position));
  }

  async list(): Promise<WorkerPosition[]> {
    const rows = this.db.prepare(`SELECT data FROM worker_positions`).all() as Array<{ data: string }>;
    return rows.map((r) => JSON.parse(r.data) as WorkerPosition);
  }
}
