/**
 * Schema migrations, applied in order on start inside one transaction each.
 * Append only: never edit a migration that has shipped.
 *
 * Readings are one row per (sensor, observation time) in a WITHOUT ROWID table
 * keyed by (sensor_id, ts): the key is the uniqueness that makes duplicates
 * idempotent and the only B-tree a write touches. Rollups are keyed the same
 * way per metric, so history queries are range scans on the primary key.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'catalog, readings, rollups, alerts',
    sql: `
      CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT
      );
      CREATE TABLE districts (
        id TEXT PRIMARY KEY,
        data TEXT NOT NULL
      );
      CREATE TABLE grid_cells (
        id TEXT PRIMARY KEY,
        district_id TEXT NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX grid_cells_district ON grid_cells (district_id);
      CREATE TABLE sensors (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        district_id TEXT,
        grid_cell_id TEXT,
        auto_registered INTEGER NOT NULL DEFAULT 0,
        data TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE workers (
        id TEXT PRIMARY KEY,
        data TEXT NOT NULL
      );
      CREATE TABLE readings (
        sensor_id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        values_json TEXT NOT NULL,
        quality TEXT,
        PRIMARY KEY (sensor_id, ts)
      ) WITHOUT ROWID;
      CREATE TABLE rollup_1m (
        sensor_id TEXT NOT NULL,
        metric TEXT NOT NULL,
        bucket INTEGER NOT NULL,
        min REAL NOT NULL,
        max REAL NOT NULL,
        sum REAL NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (sensor_id, metric, bucket)
      ) WITHOUT ROWID;
      CREATE TABLE rollup_1h (
        sensor_id TEXT NOT NULL,
        metric TEXT NOT NULL,
        bucket INTEGER NOT NULL,
        min REAL NOT NULL,
        max REAL NOT NULL,
        sum REAL NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (sensor_id, metric, bucket)
      ) WITHOUT ROWID;
      -- Rollups of the open buckets live in the writer's memory and are flushed every few
      -- seconds. dirty_from is the earliest observation time of raw rows committed since
      -- the last flush: after a crash the writer rebuilds rollups from raw from there on.
      CREATE TABLE rollup_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        dirty_from INTEGER
      );
      INSERT INTO rollup_state (id, dirty_from) VALUES (1, NULL);
      CREATE TABLE alerts (
        id TEXT PRIMARY KEY,
        rule_id TEXT NOT NULL,
        subject_type TEXT NOT NULL,
        subject_id TEXT NOT NULL,
        state TEXT NOT NULL,
        severity TEXT NOT NULL,
        starts_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        data TEXT NOT NULL
      );
      -- One open alert per (rule, subject): the store enforces it, not a lock in the process.
      CREATE UNIQUE INDEX alerts_one_open ON alerts (rule_id, subject_type, subject_id)
        WHERE state IN ('pending', 'firing', 'acknowledged');
    `,
  },
];
