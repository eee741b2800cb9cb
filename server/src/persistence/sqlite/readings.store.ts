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
import { CommitError, WriteBatcher } from '../writeBatcher';
import { readingOf, scanRawWindows, type RawRow } from '../rawScan';
import type { SqliteDatabase } from './database';
import type { FromWriter, ToWriter, WriterSettings } from './readingWriter.protocol';

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
  private readonly batcher: WriteBatcher;
  /** The batch the writer thread is committing (the batcher keeps at most one in flight). */
  private commitInFlight: { resolve: (flags: Uint8Array) => void; reject: (e: Error) => void } | null = null;
  private nextId = 1;
  private closing: Promise<void> | null = null;
  private readonly latestStmt;
  private scanStmt: ReturnType<SqliteDatabase['prepare']> | undefined;

  private constructor(
    private readonly db: SqliteDatabase,
    private readonly worker: Worker,
    private readonly options: SqliteReadingStoreOptions,
  ) {
    this.latestStmt = db.prepare(
      `SELECT s.id AS sensorId, r.ts AS observedAt, r.values_json AS "values", r.quality AS quality
       FROM sensors s JOIN readings r ON r.sensor_id = s.id
       AND r.ts = (SELECT max(ts) FROM readings WHERE sensor_id = s.id)`,
    );
    this.batcher = new WriteBatcher((readings) => this.commit(readings), options);
    worker.on('message', (msg: FromWriter) => this.onMessage(msg));
    worker.on('error', (err) => {
      this.options.onLog?.('error', `writer thread crashed: ${err.message}`);
      this.settleCommit(new CommitError('WRITER_CRASHED', err.message));
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
    return this.batcher.write(readings);
  }

  /** Hand one batch to the writer thread; settled by its `written` or `failed` answer. */
  private commit(readings: Reading[]): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      this.commitInFlight = { resolve, reject };
      const msg: ToWriter = { type: 'write', id: this.nextId++, receivedAt: Date.now(), readings };
      this.worker.postMessage(msg);
    });
  }

  private settleCommit(outcome: Uint8Array | Error): void {
    const pending = this.commitInFlight;
    this.commitInFlight = null;
    if (!pending) return;
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome);
  }

  private onMessage(msg: FromWriter): void {
    if (msg.type === 'written') this.settleCommit(msg.flags);
    else if (msg.type === 'failed') this.settleCommit(new CommitError(msg.code, msg.message));
    else if (msg.type === 'log') this.options.onLog?.(msg.level, msg.message);
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

  /** Raw readings of some sensors in time order, a page at a time (see scanRawWindows). */
  scanRaw(scan: RawReadingScan): AsyncGenerator<RawReadingPage> {
    this.scanStmt ??= this.db.prepare(
      `SELECT sensor_id AS sensorId, ts AS observedAt, values_json AS "values", quality FROM readings
       WHERE sensor_id IN (SELECT value FROM json_each(@ids)) AND ts >= @from AND ts < @to
       ORDER BY ts, sensor_id LIMIT @limit`,
    );
    const stmt = this.scanStmt;
    return scanRawWindows(
      scan,
      async (ids, from, to, limit) => stmt.all({ ids: JSON.stringify(ids), from, to, limit }) as RawRow[],
    );
  }

  async latestPerSensor(): Promise<LatestReading[]> {
    return (this.latestStmt.all() as RawRow[]).map(readingOf);
  }

  stats(): ReadingStoreStats {
    return this.batcher.stats();
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    try {
      this.db.prepare('SELECT 1').get();
      return this.batcher.health('sqlite', this.closing !== null);
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
      await this.batcher.drain();
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
