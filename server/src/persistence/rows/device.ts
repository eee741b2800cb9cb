import type { DeviceCredential } from '@shared/schemas/device.schema';
import type { DeviceCredentialRecord } from '../../services/ports';

/** A `device_credentials` row (the sensor ids as a JSON array). */
export type DeviceRow = {
  id: string;
  kind: string;
  subject_id: string;
  name: string;
  sensor_ids_json: string;
  secret_hash: string;
  created_at: number;
  rotated_at: number;
  revoked_at: number | null;
};

export const deviceToRow = (r: DeviceCredentialRecord): DeviceRow => ({
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

export const deviceFromRow = (r: DeviceRow): DeviceCredentialRecord => ({
  id: r.id,
  kind: r.kind as DeviceCredential['kind'],
  subjectId: r.subject_id,
  name: r.name,
  sensorIds: JSON.parse(r.sensor_ids_json) as DeviceCredential['sensorIds'],
  secretHash: r.secret_hash,
  createdAt: r.created_at,
  rotatedAt: r.rotated_at,
  revokedAt: r.revoked_at,
});
