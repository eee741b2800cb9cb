/**
 * The SQLite writer thread. Readings reach it in batches from the main thread
 * (group commit); each batch is one transaction, acknowledged only after it
 * commits. Running here keeps the event loop that parses MQTT and HTTP and
 * pushes to dashboards free while SQLite works, and uses the second core.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Reading } from '@shared/schemas/reading.schema';
import { openDatabase } from './database';
import { RollupAccumulator, type RollupCell } from './rollupAccumulator';
import type { FromWriter, ToWriter, WriterSettings } from './readingWriter.protocol';

const MINUTE = 60_000;
const HOUR = 3_600_000;

const settings = workerData as WriterSettings;
const port = parentPort;
if (!port) throw new Error('readingWriter.worker must run as a worker thread');
const send = (msg: FromWriter): void => port.postMessage(msg);

const db = openDatabase(settings.file, {
  synchronous: settings.synchronous,
  busyTimeoutMs: settings.busyTimeoutMs,
});
// Readings of ~1,300 sensors interleave, so a commit of a few thousand rows touches a page per
// sensor: more than the default 1,000-page autocheckpoint, which made nearly every commit also a
// checkpoint. A larger cache and checkpoint interval (bounded WAL size) let commits stay commits
// (measured in docs/BENCHMARKS.md: ~40k → ~55k readings/s batched).
db.pragma('cache_size = -65536');
db.pragma('wal_autocheckpoint = 10000');
db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
// A storage cap (DATABASE_MAX_MB): past it SQLite answers SQLITE_FULL, as on a full disk. The pragma
// holds for this connection only, which does all reading writes.
if (settings.maxDatabaseBytes > 0) {
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.pragma(`max_page_count = ${Math.max(1, Math.floor(settings.maxDatabaseBytes / pageSize))}`);
}

const insertReading = db.prepare(
  'INSERT OR IGNORE INTO readings (sensor_id, ts, received_at, values_json, quality) VALUES (?, ?, ?, ?, ?)',
);
const markDirty = db.prepare(
  'UPDATE rollup_state SET dirty_from = min(coalesce(dirty_from, @ts), @ts) WHERE id = 1',
);
const clearDirty = db.prepare('UPDATE rollup_state SET dirty_from = NULL WHERE id = 1');
const upsert = (table: string) =>
  db.prepare(
    `INSERT INTO ${table} (sensor_id, metric, bucket, min, max, sum, count) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (sensor_id, metric, bucket) DO UPDATE SET
       min = min(min, excluded.min), max = max(max, excluded.max),
       sum = sum + excluded.sum, count = count + excluded.count`,
  );
const upsert1m = upsert('rollup_1m');
const upsert1h = upsert('rollup_1h');

const rollups = new RollupAccumulator();

const insertBatch = db.transaction((readings: Reading[], receivedAt: number): Uint8Array => {
  const flags = new Uint8Array(readings.length);
  let minTs = Number.POSITIVE_INFINITY;
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i]!;
    const info = insertReading.run(
      r.sensorId,
      r.observedAt,
      receivedAt,
      JSON.stringify(r.values),
      r.quality ?? null,
    );
    if (info.changes === 0) continue;
    flags[i] = 1;
    if (r.observedAt < minTs) minTs = r.observedAt;
  }
  if (minTs !== Number.POSITIVE_INFINITY) markDirty.run({ ts: minTs });
  return flags;
});

/**
 * One batch in one transaction; the rollups learn its readings only once it committed. A batch
 * that fails (disk full, busy) rolls back and is sent again by its producers, so counting it
 * before the commit would count it twice.
 */
function writeBatch(readings: Reading[], receivedAt: number): Uint8Array {
  const flags = insertBatch(readings, receivedAt);
  for (let i = 0; i < readings.length; i++) {
    if (flags[i] !== 1) continue;
    const r = readings[i]!;
    rollups.add(r.sensorId, r.observedAt, r.values);
  }
  return flags;
}

const setDirty = db.prepare('UPDATE rollup_state SET dirty_from = @ts WHERE id = 1');

/**
 * Write held rollups: every closed bucket and the open buckets of `sensors`
 * sensors (all of them by default), then move the crash-repair mark up to the
 * oldest bucket still held in memory (none: cleared).
 */
const writeRollups = db.transaction((minutes: RollupCell[], hours: RollupCell[]) => {
  for (const a of minutes) upsert1m.run(a.sensorId, a.metric, a.bucket, a.min, a.max, a.sum, a.count);
  for (const a of hours) upsert1h.run(a.sensorId, a.metric, a.bucket, a.min, a.max, a.sum, a.count);
  const oldest = rollups.oldestHeld();
  if (oldest === null) clearDirty.run();
  else setDirty.run({ ts: oldest });
});

function flushRollups(sensors: number = Number.POSITIVE_INFINITY): void {
  const drained = rollups.drainSome(sensors);
  try {
    writeRollups(drained.minutes, drained.hours);
  } catch (err) {
    // Not written (disk full, busy): hold the cells again for the next flush.
    rollups.restore(drained);
    throw err;
  }
}

/** Each tick writes the closed buckets and a share of the open ones: all open ones within OPEN_FLUSH_TICKS ticks. */
const OPEN_FLUSH_TICKS = 12;
const flushRollupShare = () => flushRollups(Math.ceil(rollups.openSensors() / OPEN_FLUSH_TICKS));

/** After a crash, rebuild whole rollup buckets from raw rows, from the dirty mark on. */
function recoverRollups(): number | null {
  const row = db.prepare('SELECT dirty_from FROM rollup_state WHERE id = 1').get() as
    { dirty_from: number | null } | undefined;
  const dirtyFrom = row?.dirty_from ?? null;
  if (dirtyFrom === null) return null;
  const from = dirtyFrom - (dirtyFrom % HOUR);
  const sensorIds = (db.prepare('SELECT DISTINCT id FROM sensors').all() as { id: string }[]).map(
    (r) => r.id,
  );
  const rebuild = (table: string, width: number) => {
    const del = db.prepare(`DELETE FROM ${table} WHERE sensor_id = ? AND bucket >= ?`);
    const ins = db.prepare(
      `INSERT INTO ${table} (sensor_id, metric, bucket, min, max, sum, count)
       SELECT r.sensor_id, j.key, (r.ts / ${width}) * ${width}, min(j.value), max(j.value), sum(j.value), count(*)
       FROM readings r, json_each(r.values_json) j
       WHERE r.sensor_id = ? AND r.ts >= ?
       GROUP BY 1, 2, 3`,
    );
    for (const id of sensorIds) {
      del.run(id, from);
      ins.run(id, from);
    }
  };
  db.transaction(() => {
    rebuild('rollup_1m', MINUTE);
    rebuild('rollup_1h', HOUR);
    clearDirty.run();
  })();
  return from;
}

function runRetention(): void {
  const now = Date.now();
  const sensorIds = (db.prepare('SELECT id FROM sensors').all() as { id: string }[]).map((r) => r.id);
  const jobs: Array<[string, string, number]> = [
    ['readings', 'ts', now - settings.rawRetentionMs],
    ['rollup_1m', 'bucket', now - settings.rollup1mRetentionMs],
    ['rollup_1h', 'bucket', now - settings.rollup1hRetentionMs],
  ];
  const dels = jobs.map(([table, col, cutoff]) => ({
    stmt: db.prepare(`DELETE FROM ${table} WHERE sensor_id = ? AND ${col} < ?`),
    cutoff,
  }));
  let deleted = 0;
  // Short transactions of 100 sensors each: retention never holds the writer for long.
  const chunk = db.transaction((ids: string[]) => {
    for (const id of ids) for (const d of dels) deleted += d.stmt.run(id, d.cutoff).changes;
  });
  for (let i = 0; i < sensorIds.length; i += 100) chunk(sensorIds.slice(i, i + 100));
  if (deleted > 0) send({ type: 'log', level: 'info', message: `retention removed ${deleted} rows` });
}

function safely(what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    send({ type: 'log', level: 'error', message: `${what} failed: ${(err as Error).message}` });
  }
}

const recoveredFrom = recoverRollups();
const rollupTimer = setInterval(() => safely('rollup flush', flushRollupShare), settings.rollupFlushMs);
const retentionTimer =
  settings.retentionEveryMs > 0
    ? setInterval(() => safely('retention', runRetention), settings.retentionEveryMs)
    : null;

port.on('message', (msg: ToWriter) => {
  switch (msg.type) {
    case 'write': {
      const started = performance.now();
      try {
        const flags = writeBatch(msg.readings, msg.receivedAt);
        send({ type: 'written', id: msg.id, flags, ms: performance.now() - started });
      } catch (err) {
        const e = err as { code?: string; message: string };
        send({ type: 'failed', id: msg.id, code: e.code ?? 'SQLITE_ERROR', message: e.message });
      }
      break;
    }
    case 'flushRollups':
      safely('rollup flush', () => flushRollups());
      send({ type: 'rollupsFlushed', id: msg.id });
      break;
    case 'close':
      clearInterval(rollupTimer);
      if (retentionTimer) clearInterval(retentionTimer);
      safely('rollup flush', () => flushRollups());
      db.close();
      send({ type: 'closed' });
      port.close();
      break;
  }
});

send({ type: 'ready', recoveredFrom });
