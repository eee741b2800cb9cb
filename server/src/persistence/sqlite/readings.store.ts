import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { HistoryPoint, LatestReading, Reading } from '@shared/schemas/reading.schema';
import {
  StoreWriteError,
  type HistoryRange,
  type RawReadingPage,
  type RawReadingScan,
  type ReadingStore,
  type ReadingStoreStats,
  type WriteOutcome,
} from '../../services/ports';
import type { SqliteDatabase } from './database';
import type { FromWriter, ToWriter, WriterSettings } from './readingWriter.protocol';

/** Rows a raw-scan page may hold (windows aim at half of it). */
const SCAN_PAGE_ROWS = 20_000;
const SCAN_FIRST_WINDOW_MS = 60_000;
const SCAN_MAX_WINDOW_MS = 86_400_000;

interface Segment {
  readings: readonly Reading[];
  resolve: (o: WriteOutcome) => void;
  reject: (e: Error) => void;
}

export interface SqliteReadingStoreOptions extends Omit<
  WriterSettings,
  'maxDatabaseBytes' | 'busyTimeoutMs'
> {
  /** Storage cap of the writer, bytes (0 or absent: none); see DATABASE_MAX_MB. */
  maxDatabaseBytes?: number;
  /** The writer's wait for another connection's lock, ms (default 5000); see SQLITE_BUSY_TIMEOUT_MS. */
  busyTimeoutMs?: number;
  /** Longest wait before queued readings are sent to the writer, ms. */
  flushMs: number;
  /** Send at once when this many readings are queued. */
  maxBatch: number;
  onLog?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/**
 * Start the writer thread. From TypeScript sources (tsx, vitest) the thread
 * first registers tsx's loader, then imports the module; a compiled build
 * would start the .js module directly.
 */
function spawnWriter(settings: WriterSettings): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts'))
    return new Worker(new URL('./readingWriter.worker.js', here), { workerData: settings });
  const target = new URL('./readingWriter.worker.ts', here).href;
  // The ESM entry of tsx's `tsx/esm/api` export (require.resolve would pick the CommonJS one).
  const tsxDir = dirname(createRequire(here).resolve('tsx/package.json'));
  const tsxApi = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href;
  const boot = `import(${JSON.stringify(tsxApi)})
    .then((m) => { m.register(); return import(${JSON.stringify(target)}); })
    .catch((err) => { process.nextTick(() => { throw err; }); });`;
  return new Worker(boot, { eval: true, workerData: settings });
}

/**
 * Readings and rollups in SQLite. Writes go to a dedicated writer thread in
 * group-commit batches (at most one batch in flight; what arrives meanwhile
 * forms the next one), so a producer's acknowledgement waits for a commit
 * but the event loop never does. Reads use the main-thread connection (WAL
 * lets them run beside the writer).
 */
export class SqliteReadingStore implements ReadingStore {
  private pending: Segment[] = [];
  private pendingCount = 0;
  private inFlight: Segment[] | null = null;
  private inFlightCount = 0;
  private timer: NodeJS.Timeout | null = null;
  private nextId = 1;
  private closing: Promise<void> | null = null;
  private readonly stat: Omit<ReadingStoreStats, 'queued'> = {
    written: 0,
    duplicates: 0,
    flushes: 0,
    lastFlushMs: 0,
    failures: 0,
    failing: null,
  };
  private readonly latestStmt;
  private scanStmt: ReturnType<SqliteDatabase['prepare']> | undefined;

  private constructor(
    private readonly db: SqliteDatabase,
    private readonly worker: Worker,
    private readonly options: SqliteReadingStoreOptions,
  ) {
    this.latestStmt = db.prepare(
      `SELECT s.id AS sensorId, r.ts AS observedAt, r.values_json AS valuesJson, r.quality AS quality
       FROM sensors s JOIN readings r ON r.sensor_id = s.id
       AND r.ts = (SELECT max(ts) FROM readings WHERE sensor_id = s.id)`,
    );
    worker.on('message', (msg: FromWriter) => this.onMessage(msg));
    worker.on('error', (err) => {
      this.options.onLog?.('error', `writer thread crashed: ${err.message}`);
      this.failInFlight('WRITER_CRASHED', err.message);
    });
  }

  /** Start the writer thread (which first repairs rollups after a crash) and resolve when it is ready. */
  static async open(db: SqliteDatabase, options: SqliteReadingStoreOptions): Promise<SqliteReadingStore> {
    const settings: WriterSettings = {
      file: options.file,
      synchronous: options.synchronous,
      rollupFlushMs: options.rollupFlushMs,
      retentionEveryMs: options.retentionEveryMs,
      rawRetentionMs: options.rawRetentionMs,
      rollup1mRetentionMs: options.rollup1mRetentionMs,
      rollup1hRetentionMs: options.rollup1hRetentionMs,
      maxDatabaseBytes: options.maxDatabaseBytes ?? 0,
      busyTimeoutMs: options.busyTimeoutMs ?? 5000,
    };
    const worker = spawnWriter(settings);
    await new Promise<void>((resolve, reject) => {
      const onMsg = (msg: FromWriter) => {
        if (msg.type === 'ready') {
          if (msg.recoveredFrom !== null) {
            options.onLog?.(
              'warn',
              `rebuilt rollups from raw since ${new Date(msg.recoveredFrom).toISOString()}`,
            );
          }
          worker.off('message', onMsg);
          worker.off('error', reject);
          resolve();
        } else if (msg.type === 'log') {
          options.onLog?.(msg.level, msg.message);
        }
      };
      worker.on('message', onMsg);
      worker.once('error', reject);
    });
    return new SqliteReadingStore(db, worker, options);
  }

  write(readings: readonly Reading[]): Promise<WriteOutcome> {
    if (this.closing) return Promise.reject(new StoreWriteError('CLOSING', 'the store is shutting down'));
    if (readings.length === 0) return Promise.resolve({ inserted: [], duplicates: 0 });
    return new Promise<WriteOutcome>((resolve, reject) => {
      this.pending.push({ readings, resolve, reject });
      this.pendingCount += readings.length;
      if (this.pendingCount >= this.options.maxBatch) this.flush();
      else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.options.flushMs);
    });
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.inFlight || this.pending.length === 0) return;
    const segments = this.pending;
    this.pending = [];
    this.inFlight = segments;
    this.inFlightCount = this.pendingCount;
    this.pendingCount = 0;
    const readings: Reading[] = [];
    for (const s of segments) for (const r of s.readings) readings.push(r);
    const msg: ToWriter = { type: 'write', id: this.nextId++, receivedAt: Date.now(), readings };
    this.worker.postMessage(msg);
  }

  private onMessage(msg: FromWriter): void {
    switch (msg.type) {
      case 'written': {
        const segments = this.inFlight ?? [];
        this.inFlight = null;
        this.inFlightCount = 0;
        let offset = 0;
        for (const s of segments) {
          const inserted: Reading[] = [];
          for (let i = 0; i < s.readings.length; i++)
            if (msg.flags[offset + i] === 1) inserted.push(s.readings[i]!);
          offset += s.readings.length;
          this.stat.written += inserted.length;
          this.stat.duplicates += s.readings.length - inserted.length;
          s.resolve({ inserted, duplicates: s.readings.length - inserted.length });
        }
        this.stat.flushes += 1;
        this.stat.lastFlushMs = msg.ms;
        const failed = this.stat.failing;
        if (failed) {
          this.stat.failing = null;
          this.options.onLog?.(
            'warn',
            `writes recovered after ${failed.failures} failed batches since ${new Date(failed.since).toISOString()} (${failed.code})`,
          );
        }
        this.flush();
        break;
      }
      case 'failed':
        this.options.onLog?.(
          'error',
          `write of ${this.inFlightCount} readings failed: ${msg.code} ${msg.message}`,
        );
        this.failInFlight(msg.code, msg.message);
        this.flush();
        break;
      case 'log':
        this.options.onLog?.(msg.level, msg.message);
        break;
      default:
        break;
    }
  }

  private failInFlight(code: string, message: string): void {
    const segments = this.inFlight ?? [];
    this.inFlight = null;
    this.inFlightCount = 0;
    if (segments.length > 0) {
      this.stat.failures += 1;
      const spell = this.stat.failing;
      this.stat.failing = {
        code,
        message,
        since: spell?.since ?? Date.now(),
        failures: (spell?.failures ?? 0) + 1,
      };
    }
    for (const s of segments) s.reject(new StoreWriteError(code, message));
  }

  async history(range: HistoryRange): Promise<HistoryPoint[]> {
    const { sensorId, metric, from, to, bucketMs } = range;
    type Row = { t: number; min: number; max: number; sum: number; count: number };
    let rows: Row[];
    // better-sqlite3 binds named parameters (@name), not numbered ones, and binds every JS number
    // as REAL: the bucket width is cast to INTEGER so that `x / width` floors instead of dividing exactly.
    if (range.resolution === 'raw') {
      const inner = `SELECT ts, json_extract(values_json, @path) AS v FROM readings
                     WHERE sensor_id = @sensorId AND ts >= @from AND ts <= @to`;
      const sql =
        bucketMs > 0
          ? `SELECT (ts / CAST(@bucketMs AS INTEGER)) * @bucketMs AS t, min(v) AS min, max(v) AS max, sum(v) AS sum, count(v) AS count
             FROM (${inner}) WHERE v IS NOT NULL GROUP BY t ORDER BY t`
          : `SELECT ts AS t, v AS min, v AS max, v AS sum, 1 AS count FROM (${inner}) WHERE v IS NOT NULL ORDER BY ts`;
      const params = { path: `$.${metric}`, sensorId, from, to, ...(bucketMs > 0 ? { bucketMs } : {}) };
      rows = this.db.prepare(sql).all(params) as Row[];
    } else {
      const table = range.resolution === '1m' ? 'rollup_1m' : 'rollup_1h';
      const native = range.resolution === '1m' ? 60_000 : 3_600_000;
      // Include the bucket that contains `from`.
      const where = `sensor_id = @sensorId AND metric = @metric AND bucket >= @from AND bucket <= @to`;
      const sql =
        bucketMs > 0
          ? `SELECT (bucket / CAST(@bucketMs AS INTEGER)) * @bucketMs AS t, min(min) AS min, max(max) AS max, sum(sum) AS sum,
               sum(count) AS count FROM ${table} WHERE ${where} GROUP BY t ORDER BY t`
          : `SELECT bucket AS t, min, max, sum, count FROM ${table} WHERE ${where} ORDER BY bucket`;
      const params = {
        sensorId,
        metric,
        from: from - (from % native),
        to,
        ...(bucketMs > 0 ? { bucketMs } : {}),
      };
      rows = this.db.prepare(sql).all(params) as Row[];
    }
    return rows.map((r) => ({ t: r.t, min: r.min, max: r.max, avg: r.sum / r.count, count: r.count }));
  }

  /**
   * Raw readings of some sensors in time order, a page at a time. The table is keyed
   * (sensor_id, ts) without a time index, so each page is one range scan per sensor over a
   * time window, sorted; the window adapts to the density of readings so a page holds about
   * SCAN_PAGE_ROWS / 2 of them (a window that overflows is halved and read again). Nothing
   * is held open between pages: other queries on this connection run in between.
   */
  async *scanRaw(scan: RawReadingScan): AsyncGenerator<RawReadingPage> {
    const { from, to, maxReadings } = scan;
    if (scan.sensorIds.length === 0 || !(from < to)) return;
    this.scanStmt ??= this.db.prepare(
      `SELECT sensor_id AS sensorId, ts AS observedAt, values_json AS valuesJson, quality FROM readings
       WHERE sensor_id IN (SELECT value FROM json_each(@ids)) AND ts >= @from AND ts < @to
       ORDER BY ts, sensor_id LIMIT @limit`,
    );
    const stmt = this.scanStmt;
    const ids = JSON.stringify(scan.sensorIds);
    type Row = { sensorId: string; observedAt: number; valuesJson: string; quality: string | null };
    const toReading = (r: Row): Reading => ({
      sensorId: r.sensorId,
      observedAt: r.observedAt,
      values: JSON.parse(r.valuesJson) as Record<string, number>,
      ...(r.quality ? { quality: r.quality as Reading['quality'] } : {}),
    });
    let start = from;
    let windowMs = SCAN_FIRST_WINDOW_MS;
    let read = 0;
    while (start < to) {
      const end = Math.min(to, start + windowMs);
      // One millisecond cannot be split further: read all of it (at most one row per sensor).
      const limit = end - start > 1 ? SCAN_PAGE_ROWS + 1 : -1;
      let rows = stmt.all({ ids, from: start, to: end, limit }) as Row[];
      if (limit > 0 && rows.length > SCAN_PAGE_ROWS) {
        windowMs = Math.max(1, Math.floor((end - start) / 2));
        continue;
      }
      if (read + rows.length > maxReadings) {
        // Stop at a whole millisecond, so the pages cover [from, truncatedAt) completely.
        const truncatedAt = rows[maxReadings - read]!.observedAt;
        rows = rows.filter((r) => r.observedAt < truncatedAt);
        yield { readings: rows.map(toReading), truncatedAt };
        return;
      }
      read += rows.length;
      if (rows.length > 0) yield { readings: rows.map(toReading) };
      const target = SCAN_PAGE_ROWS / 2;
      const next = rows.length === 0 ? windowMs * 4 : ((end - start) * target) / rows.length;
      windowMs = Math.min(SCAN_MAX_WINDOW_MS, Math.max(1, Math.floor(next)));
      start = end;
    }
  }

  async latestPerSensor(): Promise<LatestReading[]> {
    const rows = this.latestStmt.all() as Array<{
      sensorId: string;
      observedAt: number;
      valuesJson: string;
      quality: string | null;
    }>;
    return rows.map((r) => ({
      sensorId: r.sensorId,
      observedAt: r.observedAt,
      values: JSON.parse(r.valuesJson) as Record<string, number>,
      ...(r.quality ? { quality: r.quality as LatestReading['quality'] } : {}),
    }));
  }

  stats(): ReadingStoreStats {
    const failing = this.stat.failing ? { ...this.stat.failing } : null;
    return { ...this.stat, failing, queued: this.pendingCount + this.inFlightCount };
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    try {
      this.db.prepare('SELECT 1').get();
      const queued = this.pendingCount + this.inFlightCount;
      if (this.closing !== null) return { ok: false, detail: 'closing' };
      const f = this.stat.failing;
      if (f) {
        const since = new Date(f.since).toISOString();
        return {
          ok: false,
          detail: `writes failing since ${since}: ${f.code} ${f.message} (${f.failures} batches, ${queued} queued)`,
        };
      }
      return { ok: true, detail: `sqlite ok, ${queued} queued` };
    } catch (err) {
      return { ok: false, detail: (err as Error).message };
    }
  }

  /** Ask the writer to write its in-memory rollups now (tests and shutdown). */
  flushRollups(): Promise<void> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const onMsg = (msg: FromWriter) => {
        if (msg.type === 'rollupsFlushed' && msg.id === id) {
          this.worker.off('message', onMsg);
          resolve();
        }
      };
      this.worker.on('message', onMsg);
      this.worker.postMessage({ type: 'flushRollups', id } satisfies ToWriter);
    });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      // Let every accepted reading reach the disk before the writer goes.
      while (this.pending.length > 0 || this.inFlight) {
        this.flush();
        await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise<void>((resolve) => {
        this.worker.on('message', (msg: FromWriter) => {
          if (msg.type === 'closed') resolve();
        });
        this.worker.postMessage({ type: 'close' } satisfies ToWriter);
      });
      await this.worker.terminate();
    })();
    return this.closing;
  }
}
