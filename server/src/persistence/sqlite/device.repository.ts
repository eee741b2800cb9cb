import type { DeviceCredentialRecord, DeviceCredentialRepository } from '../../services/ports';
import { deviceFromRow, deviceToRow, type DeviceRow } from '../rows/device';
import type { SqliteDatabase } from './database';

export class SqliteDeviceCredentialRepository implements DeviceCredentialRepository {
  constructor(private readonly db: SqliteDatabase) {}

  async list(): Promise<DeviceCredentialRecord[]> {
    const rows = this.db.prepare('SELECT * FROM device_credentials ORDER BY id').all() as DeviceRow[];
    return rows.map(deviceFromRow);
  }

  async insert(record: DeviceCredentialRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO device_credentials (id, kind, subject_id, name, sensor_ids_json, secret_hash, created_at, rotated_at, revoked_at)
         VALUES (@id, @kind, @subject_id, @name, @sensor_ids_json, @secret_hash, @created_at, @rotated_at, @revoked_at)`,
      )
      .run(deviceToRow(record));
  }

  async save(record: DeviceCredentialRecord): Promise<void> {
    this.db
      .prepare(
        `UPDATE device_credentials SET kind = @kind, subject_id = @subject_id, name = @name,
           sensor_ids_json = @sensor_ids_json, secret_hash = @secret_hash, rotated_at = @rotated_at,
           revoked_at = @revoked_at
         WHERE id = @id`,
      )
      .run(deviceToRow(record));
  }
}
