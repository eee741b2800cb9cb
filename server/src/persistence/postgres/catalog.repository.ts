import type { CityPack, CityPackMeta } from '@shared/schemas/cityPack.schema';
import type { District, GridCell } from '@shared/schemas/geo.schema';
import type { Sensor } from '@shared/schemas/sensor.schema';
import type { Worker } from '@shared/schemas/worker.schema';
import type { CatalogRepository } from '../../services/ports';
import { parseDocuments } from '../rows/documents';
import { SENSOR_COLUMNS, SENSOR_REPLACE, sensorValues } from '../rows/sensor';
import { query, transaction, type PgClient, type PgPool } from './database';

/**
 * Advisory lock key of a pack import ('pack'). Every node imports the pack when it starts: two
 * starting together would each delete and re-insert the catalogue and the second would trip over
 * the first's rows (unique violations); taken in the import's transaction, the lock makes the
 * second wait and then replace the first's rows.
 */
const PACK_IMPORT_LOCK = 0x70_61_63_6b;

/**
 * Territory and devices in PostgreSQL, one JSON document per row beside the columns we filter on
 * (as in SQLite). A pack is written with one statement per table, its rows passed as arrays
 * (unnest): thousands of sensors are one round trip, not thousands.
 */
export class PgCatalogRepository implements CatalogRepository {
  constructor(private readonly pool: PgPool) {}

  async importCityPack(pack: CityPack): Promise<void> {
    const now = Date.now();
    await transaction(this.pool, async (c) => {
      await query(c, 'SELECT pg_advisory_xact_lock(?)', [PACK_IMPORT_LOCK]);
      // DELETE rather than TRUNCATE: other nodes keep reading the old catalogue until we commit.
      await c.query('DELETE FROM districts');
      await c.query('DELETE FROM grid_cells');
      await c.query('DELETE FROM workers');
      // The pack owns the catalogued sensors; self-registered ones stay until an engineer removes them.
      await c.query('DELETE FROM sensors WHERE auto_registered = 0');
      await insertDocuments(c, 'districts', pack.districts);
      await query(
        c,
        `INSERT INTO grid_cells (id, district_id, data)
         SELECT * FROM unnest(?::text[], ?::text[], ?::text[])`,
        [pack.gridCells.map((x) => x.id), pack.gridCells.map((x) => x.districtId), pack.gridCells.map(json)],
      );
      await insertDocuments(c, 'workers', pack.workers);
      await this.insertPackSensors(c, pack.sensors, now);
      await query(
        c,
        `INSERT INTO meta (key, value) VALUES ('city_pack', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [JSON.stringify(pack.meta)],
      );
    });
  }

  /** Catalogued sensors (auto_registered 0), replacing a self-registered sensor of the same id. */
  private async insertPackSensors(c: PgClient, sensors: readonly Sensor[], now: number): Promise<void> {
    await query(
      c,
      `INSERT INTO sensors (${SENSOR_COLUMNS})
       SELECT id, kind, district_id, grid_cell_id, 0, data, ?::bigint
       FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[]) AS s(id, kind, district_id, grid_cell_id, data)
       ${SENSOR_REPLACE}`,
      [
        now,
        sensors.map((s) => s.id),
        sensors.map((s) => s.kind),
        sensors.map((s) => s.districtId),
        sensors.map((s) => s.gridCellId),
        sensors.map(json),
      ],
    );
  }

  async cityMeta(): Promise<CityPackMeta | null> {
    const { rows } = await query<{ value: string }>(
      this.pool,
      `SELECT value FROM meta WHERE key = 'city_pack'`,
    );
    return rows[0] ? (JSON.parse(rows[0].value) as CityPackMeta) : null;
  }

  async listDistricts(): Promise<District[]> {
    return this.documents<District>('districts');
  }

  async listGridCells(): Promise<GridCell[]> {
    return this.documents<GridCell>('grid_cells');
  }

  async listSensors(): Promise<Sensor[]> {
    return this.documents<Sensor>('sensors');
  }

  async listWorkers(): Promise<Worker[]> {
    return this.documents<Worker>('workers');
  }

  async upsertSensor(sensor: Sensor): Promise<void> {
    await query(
      this.pool,
      `INSERT INTO sensors (${SENSOR_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) ${SENSOR_REPLACE}`,
      sensorValues(sensor, sensor.autoRegistered, Date.now()),
    );
  }

  private async documents<T>(table: 'districts' | 'grid_cells' | 'sensors' | 'workers'): Promise<T[]> {
    return parseDocuments<T>((await this.pool.query(`SELECT data FROM ${table} ORDER BY id`)).rows);
  }
}

const json = (x: unknown): string => JSON.stringify(x);

/** Rows of an (id, data) table, in one statement. */
async function insertDocuments(
  c: PgClient,
  table: 'districts' | 'workers',
  items: ReadonlyArray<{ id: string }>,
): Promise<void> {
  await query(c, `INSERT INTO ${table} (id, data) SELECT * FROM unnest(?::text[], ?::text[])`, [
    items.map((x) => x.id),
    items.map(json),
  ]);
}
