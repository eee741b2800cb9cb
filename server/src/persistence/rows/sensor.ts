import type { Sensor } from '@shared/schemas/sensor.schema';

/** Columns of `sensors`, in the order {@link sensorValues} gives them. */
export const SENSOR_COLUMNS = 'id, kind, district_id, grid_cell_id, auto_registered, data, updated_at';

/**
 * The tail of an insert into `sensors` that replaces a sensor already stored: a re-imported or
 * re-registered sensor takes its new values (same SQL in SQLite and PostgreSQL).
 */
export const SENSOR_REPLACE = `ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, district_id = excluded.district_id,
  grid_cell_id = excluded.grid_cell_id, auto_registered = excluded.auto_registered,
  data = excluded.data, updated_at = excluded.updated_at`;

/**
 * A sensor's row values in {@link SENSOR_COLUMNS} order. `autoRegistered` is passed apart from
 * the document: sensors of a city pack are catalogued (0) whatever their document says.
 */
export function sensorValues(
  sensor: Sensor,
  autoRegistered: boolean,
  updatedAt: number,
): [string, string, string | null, string | null, 0 | 1, string, number] {
  return [
    sensor.id,
    sensor.kind,
    sensor.districtId,
    sensor.gridCellId,
    autoRegistered ? 1 : 0,
    JSON.stringify(sensor),
    updatedAt,
  ];
}
