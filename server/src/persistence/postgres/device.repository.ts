import type { DeviceCredentialRecord, DeviceCredentialRepository } from '../../services/ports';
import { deviceFromRow, deviceToRow, type DeviceRow } from '../rows/device';
import { query, type PgPool } from './database';

/** Device credentials (hashes of MQTT/HTTP secrets) in PostgreSQL. */
export class PgDeviceCredentialRepository implements DeviceCredentialRepository {
  constructor(private readonly pool: PgPool) {}

  async list(): Promise<DeviceCredentialRecord[]> {
    const { rows } = await query<DeviceRow>(this.pool, 'SELECT * FROM device_credentials ORDER BY id');
    return rows.map(deviceFromRow);
  }

  async insert(record: DeviceCredentialRecord): Promise<void> {
    const r = deviceToRow(record);
    await query(
      this.pool,
      `INSERT INTO device_credentials (id, kind, subject_id, name, sensor_ids_json, secret_hash, created_at, rotated_at, revoked_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        r.id,
        r.kind,
        r.subject_id,
        r.name,
        r.sensor_ids_json,
        r.secret_hash,
        r.created_at,
        r.rotated_at,
        r.revoked_at,
      ],
    );
  }

  async save(record: DeviceCredentialRecord): Promise<void> {
    const r = deviceToRow(record);
    await query(
      this.pool,
      `UPDATE device_credentials SET kind = ?, subject_id = ?, name = ?, sensor_ids_json = ?, secret_hash = ?,
         rotated_at = ?, revoked_at = ?
       WHERE id = ?`,
      [r.kind, r.subject_id, r.name, r.sensor_ids_json, r.secret_hash, r.rotated_at, r.revoked_at, r.id],
    );
  }
}
