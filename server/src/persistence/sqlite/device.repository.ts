import type { DeviceCredential } from '@shared/schemas/device.schema';
import type { DeviceCredentialRecord, DeviceCredentialRepository } from '../../services/ports';
import type { SqliteDatabase } from './database';

interface Row {
  id: string;
  kind: string;
  subject_id: string;
  name: string;
  sensor_ids_json: string;
  secret_hash: string;
  created_at: number;
  rotated_at: number;
  revoked_at: number | null;
}

const toRow = (r: DeviceCredentialRecord): Row => ({
  id: r.id,
  kind: r.kind,
  subject_id: r.subjectId,
  name: r.name,
  sensor_ids_json: JSON.stringify(r.sensorIds),
  secret_hash: r.secretHash,
  created_at: r.createdAt,
  rotated_at: r.rotatedAt,
  revoked_at: r.revokedAt,
});

export class SqliteDeviceCredentialRepository implements DeviceCredentialRepository {
  constructor(private readonly db: SqliteDatabase) {}

  async list(): Promise<DeviceCredentialRecord[]> {
    const rows = this.db.prepare('SELECT * FROM device_credentials ORDER BY id').all() as Row[];
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind as DeviceCredential['kind'],
      subjectId: r.subject_id,
      name: r.name,
      sensorIds: JSON.parse(r.sensor_ids_json) as DeviceCredential['sensorIds'],
      secretHash: r.secret_hash,
      createdAt: r.created_at,
      rotatedAt: r.rotated_at,
      revokedAt: r.revoked_at,
    }));
  }

  async insert(record: DeviceCredentialRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO device_credentials (id, kind, subject_id, name, sensor_ids_json, secret_hash, created_at, rotated_at, revoked_at)
         VALUES (@id, @kind, @subject_id, @name, @sensor_ids_json, @secret_hash, @created_at, @rotated_at, @revoked_at)`,
      )
      .run(toRow(record));
  }

  async save(record: DeviceCredentialRecord): Promise<void> {
    this.db
      .prepare(
        `UPDATE device_credentials SET kind = @kind, subject_id = @subject_id, name = @name,
           sensor_ids_json = @sensor_ids_json, secret_hash = @secret_hash, rotated_at = @rotated_at,
           revoked_at = @revoked_at
         WHERE id = @id`,
      )
      .run(toRow(record));
  }
}
