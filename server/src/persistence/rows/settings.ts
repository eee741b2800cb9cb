import type { SettingRecord } from '../../services/ports';

/** A `settings` row. */
export type SettingRow = { data: string; updated_at: number; updated_by: string };

export const settingFromRow = <T>(r: SettingRow): SettingRecord<T> => ({
  data: JSON.parse(r.data) as T,
  updatedAt: r.updated_at,
  updatedBy: r.updated_by,
});
