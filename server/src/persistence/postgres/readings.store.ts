import type { HistoryPoint, LatestReading, Reading } from '@shared/schemas/reading.schema';
import type {
  HistoryRange,
  RawReadingPage,
  RawReadingScan,
  ReadingStore,
  ReadingStoreStats,
  WriteOutcome,
} from '../../services/ports';
import { readingOf, scanRawWindows, type RawRow } from '../rawScan';
import { CommitError, WriteBatcher, type WriteBatcherOptions } from '../writeBatcher';
import { query, type PgPool } from './database';

export interface PgReadingStoreOptions extends WriteBatcherOptions {
  /** Run retention this often, ms (0: never). */
  retentionEveryMs: number;
  /** Whether this node runs retention now (in a cluster, the leader alone). Default: always. */
  runsRetention?: () => boolean;
  rawRetentionMs: number;
  rollup1mRetentionMs: number;
  rollup1hRetentionMs: number;
}

/** Rollup upsert of one width over the `pts` CTE (sensor_id, metric, ts, v); additive, so any node may run it. */
const rollup = (table: string, width: number) => `
  ${table}_up AS (
    INSERT INTO ${table} AS r (sensor_id, metric, bucket, min, max, sum, count)
    SELECT sensor_id, metric, ts - ts % ${width}, min(v), max(v), sum(v), count(*) FROM pts
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (sensor_id, metric, bucket) DO UPDATE SET min = LEAST(r.min, EXCLUDED.min),
      max = GREATEST(r.max, EXCLUDED.max), sum = r.sum + EXCLUDED.sum, count = r.count + EXCLUDED.count
  )`;

/**
 * One batch in one statement (so one round trip and one transaction): insert the raw rows,
 * skipping stored (sensor, ts) pairs; fold the rows that were new into the minute and hour
 * rollups; return the keys inserted. Rows are inserted and rollups upserted in key order, so
 * two nodes writing overlapping keys lock them in the same order (no deadlock).
 */
const WRITE_BATCH = `
  WITH input AS (
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::jsonb[], $4::text[]) AS t(sensor_id, ts, values_json, quality)
  ),
  ins AS (
    INSERT INTO readings (sensor_id, ts, received_at, values_json, quality)
    SELECT sensor_id, ts, $5::bigint, values_json, quality FROM input ORDER BY sensor_id, ts
    ON CONFLICT DO NOTHING
    RETURNING sensor_id, ts, values_json
  ),
  pts AS (
    SELECT ins.sensor_id, kv.key AS metric, ins.ts, kv.value::double precision AS v
    FROM ins, jsonb_each_text(ins.values_json) AS kv
  ),
  ${rollup('rollup_1m', 60_000)},
  ${rollup('rollup_1h', 3_600_000)}
  SELECT sensor_id, ts FROM ins`;

/**
 * Readings and rollups in PostgreSQL, shared by every node. Writes are group-committed like
 * SQLite's (WriteBatcher): one statement per batch, acknowledged once committed. Rollups are
 * exact at every commit (no in-memory buckets to lose in a crash, none to merge between nodes).
 */
export class PgReadingStore implements ReadingStore {
  private readonly batcher: WriteBatcher;
  private retentionTimer: NodeJS.Timeout | null = null;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly pool: PgPool,
    private readonly options: PgReadingStoreOptions,
  ) {
    this.batcher = new WriteBatcher((readings) => this.commit(readings), options);
    if (options.retentionEveryMs > 0) {
      this.retentionTimer = setInterval(() => {
        if (options.runsRetention && !options.runsRetention()) return;
        this.runRetention().catch((err: unknown) =>
          options.onLog?.('error', `retention failed: ${(err as Error).message}`),
        );
      }, options.retentionEveryMs);
      this.retentionTimer.unref();
    }
  }

  write(readings: readonly Reading[]): Promise<WriteOutcome> {
    return this.batcher.write(readings);
  }

  private async commit(readings: Reading[]): Promise<Uint8Array> {
    let rows: Array<{ sensor_id: string; ts: number }>;
    try {
      rows = (
        await this.pool.query<{ sensor_id: string; ts: number }>(WRITE_BATCH, [
          readings.map((r) => r.sensorId),
          readings.map((r) => r.observedAt),
          readings.map((r) => JSON.stringify(r.values)),
          readings.map((r) => r.quality ?? null),
          Date.now(),
        ])
      ).rows;
    } catch (err) {
      const e = err as { code?: string; message: string };
      throw new CommitError(e.code ? `PG_${e.code}` : 'PG_UNAVAILABLE', e.message);
    }
    // A key is new once: the first of repeated keys in one batch is the one inserted.
    const inserted = new Set(rows.map((r) => `${r.sensor_id}\u0000${r.ts}`));
    const flags = new Uint8Array(readings.length);
    readings.forEach((r, i) => {
      const key = `${r.sensorId}\u0000${r.observedAt}`;
      if (inserted.delete(key)) flags[i] = 1;
    });
    return flags;
  }

  async history(range: HistoryRange): Promise<HistoryPoint[]> {
    const { sensorId, metric, from, to, bucketMs } = range;
    type Row = { t: number; min: number; max: number; sum: number; count: number };
    let sql: string;
    let params: unknown[];
    if (range.resolution === 'raw') {
      const inner = `SELECT ts, (values_json ->> $1)::double precision AS v FROM readings
                     WHERE sensor_id = $2 AND ts >= $3 AND ts <= $4`;
      sql =
        bucketMs > 0
          ? `SELECT (ts / $5) * $5 AS t, min(v) AS min, max(v) AS max, sum(v) AS sum, count(v) AS count
             FROM (${inner}) p WHERE v IS NOT NULL GROUP BY t ORDER BY t`
          : `SELECT ts AS t, v AS min, v AS max, v AS sum, 1 AS count FROM (${inner}) p WHERE v IS NOT NULL ORDER BY ts`;
      params = [metric, sensorId, from, to, ...(bucketMs > 0 ? [bucketMs] : [])];
    } else {
      const table = range.resolution === '1m' ? 'rollup_1m' : 'rollup_1h';
      const native = range.resolution === '1m' ? 60_000 : 3_600_000;
      // Include the bucket that contains `from`.
      const where = `sensor_id = $1 AND metric = $2 AND bucket >= $3 AND bucket <= $4`;
      sql =
        bucketMs > 0
          ? `SELECT (bucket / $5) * $5 AS t, min(min) AS min, max(max) AS max, sum(sum) AS sum,
               sum(count)::bigint AS count FROM ${table} WHERE ${where} GROUP BY t ORDER BY t`
          : `SELECT bucket AS t, min, max, sum, count FROM ${table} WHERE ${where} ORDER BY bucket`;
      params = [sensorId, metric, from - (from % native), to, ...(bucketMs > 0 ? [bucketMs] : [])];
    }
    const { rows } = await this.pool.query<Row>(sql, params);
    return rows.map((r) => ({ t: r.t, min: r.min, max: r.max, avg: r.sum / r.count, count: r.count }));
  }

  /** Raw readings of some sensors in time order, a page at a time (see scanRawWindows). */
  scanRaw(scan: RawReadingScan): AsyncGenerator<RawReadingPage> {
    return scanRawWindows(scan, async (ids, from, to, limit) => {
      const { rows } = await this.pool.query<RawRow>(
        `SELECT sensor_id AS "sensorId", ts AS "observedAt", values_json AS "values", quality FROM readings
         WHERE sensor_id = ANY($1::text[]) AND ts >= $2 AND ts < $3
         ORDER BY ts, sensor_id LIMIT $4`,
        [ids, from, to, limit < 0 ? null : limit],
      );
      return rows;
    });
  }

  async latestPerSensor(): Promise<LatestReading[]> {
    // One primary-key probe per sensor (newest ts first).
    const { rows } = await this.pool.query<RawRow>(
      `SELECT s.id AS "sensorId", r.ts AS "observedAt", r.values_json AS "values", r.quality
       FROM sensors s CROSS JOIN LATERAL (
         SELECT ts, values_json, quality FROM readings WHERE sensor_id = s.id ORDER BY ts DESC LIMIT 1
       ) r`,
    );
    return rows.map(readingOf);
  }

  /** Rollups are committed with their readings: nothing is held back. */
  async flushRollups(): Promise<void> {}

  stats(): ReadingStoreStats {
    return this.batcher.stats();
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    try {
      await this.pool.query('SELECT 1');
      return this.batcher.health('postgresql', this.closing !== null);
    } catch (err) {
      return { ok: false, detail: (err as Error).message };
    }
  }

  /** Delete raw rows and rollups older than their retention; returns the rows removed. */
  async runRetention(now = Date.now()): Promise<number> {
    const o = this.options;
    let deleted = 0;
    for (const [table, col, cutoff] of [
      ['readings', 'ts', now - o.rawRetentionMs],
      ['rollup_1m', 'bucket', now - o.rollup1mRetentionMs],
      ['rollup_1h', 'bucket', now - o.rollup1hRetentionMs],
    ] as const) {
      const r = await query(this.pool, `DELETE FROM ${table} WHERE ${col} < ?`, [cutoff]);
      deleted += r.rowCount ?? 0;
    }
    if (deleted > 0) o.onLog?.('info', `retention removed ${deleted} rows`);
    return deleted;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.retentionTimer) clearInterval(this.retentionTimer);
      // Let every accepted reading be committed before the pool goes.
      await this.batcher.drain();
    })();
    return this.closing;
  }
}
