import type { Open311KeyRecord } from '../../services/ports';

/** An `open311_keys` row. */
export type Open311KeyRow = {
  id: string;
  name: string;
  key_hash: string;
  created_at: number;
  created_by: string;
  revoked_at: number | null;
};

export const open311KeyFromRow = (r: Open311KeyRow): Open311KeyRecord => ({
  id: r.id,
  name: r.name,
  keyHash: r.key_hash,
  createdAt: r.created_at,
  createdBy: r.created_by,
  revokedAt: r.revoked_at,
});
