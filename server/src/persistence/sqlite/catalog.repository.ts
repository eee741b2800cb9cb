import type { CityPack, CityPackMeta } from '@shared/schemas/cityPack.schema';
import type { District, GridCell } from '@shared/schemas/geo.schema';
import type { Sensor } from '@shared/schemas/sensor.schema';
import type { Worker } from '@shared/schemas/worker.schema';
import type { CatalogRepository } from '../../services/ports';
import { parseDocuments } from '../rows/documents';
import { SENSOR_COLUMNS, SENSOR_REPLACE, sensorValues } from '../rows/sensor';
import type { SqliteDatabase } from './database';

/** Territory and devices in SQLite, one JSON document per row beside the columns we filter on. */
export class SqliteCatalogRepository implements CatalogRepository {
  constructor(private readonly db: SqliteDatabase) {}

  async importCityPack(pack: CityPack): Promise<void> {
    const db = this.db;
    const now = Date.now();
    db.transaction(() => {
      db.prepare('DELETE FROM districts').run();
      db.prepare('DELETE FROM grid_cells').run();
      db.prepare('DELETE FROM workers').run();
      // The pack owns the catalogued sensors; self-registered ones stay until an engineer removes them.
      db.prepare('DELETE FROM sensors WHERE auto_registered = 0').run();
      const d = db.prepare('INSERT INTO districts (id, data) VALUES (?, ?)');
      for (const x of pack.districts) d.run(x.id, JSON.stringify(x));
      const c = db.prepare('INSERT INTO grid_cells (id, district_id, data) VALUES (?, ?, ?)');
      for (const x of pack.gridCells) c.run(x.id, x.districtId, JSON.stringify(x));
      const w = db.prepare('INSERT INTO workers (id, data) VALUES (?, ?)');
      for (const x of pack.workers) w.run(x.id, JSON.stringify(x));
      const s = this.upsertSensorStmt();
      for (const x of pack.sensors) s.run(...sensorValues(x, false, now));
      db.prepare(
        `INSERT INTO meta (key, value) VALUES ('city_pack', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      ).run(JSON.stringify(pack.meta));
    })();
  }

  private upsertSensorStmt() {
    return this.db.prepare(
      `INSERT INTO sensors (${SENSOR_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) ${SENSOR_REPLACE}`,
    );
  }

  async cityMeta(): Promise<CityPackMeta | null> {
    const row = this.db.prepare(`SELECT value FROM meta WHERE key = 'city_pack'`).get() as
      { value: string } | undefined;
    return row ? (JSON.parse(row.value) as CityPackMeta) : null;
  }

  async listDistricts(): Promise<District[]> {
    return parseDocuments<District>(this.db.prepare('SELECT data FROM districts ORDER BY id').all());
  }

  async listGridCells(): Promise<GridCell[]> {
    return parseDocuments<GridCell>(this.db.prepare('SELECT data FROM grid_cells ORDER BY id').all());
  }

  async listSensors(): Promise<Sensor[]> {
    return parseDocuments<Sensor>(this.db.prepare('SELECT data FROM sensors ORDER BY id').all());
  }

  async listWorkers(): Promise<Worker[]> {
    return parseDocuments<Worker>(this.db.prepare('SELECT data FROM workers ORDER BY id').all());
  }

  async upsertSensor(sensor: Sensor): Promise<void> {
    this.upsertSensorStmt().run(...sensorValues(sensor, sensor.autoRegistered, Date.now()));
  }
}
