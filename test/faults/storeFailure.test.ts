import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestStats } from '../../shared/schemas/ingest.schema';
import type { ReadingInput } from '../../shared/schemas/reading.schema';
import type { Sensor } from '../../shared/schemas/sensor.schema';
import { ingestStats, listSensors, postReadings } from '../helpers/cityOpsApi';
import { deviceFor, testGatewayTopic } from '../helpers/auth';
import { connectMqtt, uniqueClientId } from '../helpers/mqtt';
import { spawnServer, type ServerProcess } from '../helpers/serverProcess';
import { postJson, waitFor } from '../helpers/server';
import {
  AckLedger,
  LOAD_MS,
  LONG,
  QuietReadings,
  httpProducers,
  integrityCheck,
  missingFromStore,
  mqttProducers,
  openReadOnly,
  testTimeout,
  type Producer,
} from './faultKit';

/** Readings in each probe batch (see publishWithRetries). */
const PROBE_READINGS = 500;

/** The server's wait for a lock before SQLITE_BUSY (SQLITE_BUSY_TIMEOUT_MS; 5 s by default). */
const BUSY_TIMEOUT_MS = 1000;

interface Health {
  status: string;
  checks: { store: { ok: boolean; detail: string } };
}

async function health(url: string): Promise<{ status: number; body: Health }> {
  const res = await fetch(`${url}/api/health`);
  return { status: res.status, body: (await res.json()) as Health };
}

/**
 * Health and ingest stats both name the failing condition (read together: near a full cap a
 * small batch may still fit and clear the condition for a moment).
 */
async function expectReported(url: string, code: RegExp): Promise<IngestStats> {
  const stats = await waitFor(
    async () => {
      const h = await health(url);
      const s = await ingestStats(url);
      const reported =
        h.status === 503 && code.test(h.body.checks.store.detail) && code.test(s.store.failing?.code ?? '');
      return reported ? s : undefined;
    },
    15_000,
    `/api/health and the ingest stats to report ${code}`,
  );
  expect(stats.store.failing?.failures).toBeGreaterThan(0);
  expect(stats.rejectedByReason['store_unavailable']).toBeGreaterThan(0);
  return stats;
}

async function expectRecovered(url: string): Promise<void> {
  await waitFor(async () => (await health(url)).status === 200, 20_000, 'the store check to recover');
  expect((await ingestStats(url)).store.failing).toBeNull();
}

/** Every producer has its readings acknowledged (LONG: and keeps at it for half the load time). */
async function flowing(producers: Producer[]): Promise<void> {
  await waitFor(() => producers.every((p) => p.counts().acked > 0), 15_000, 'the load to flow');
  if (LONG) await new Promise((r) => setTimeout(r, LOAD_MS / 2));
}

/** After recovery, every producer has another acknowledgement (LONG: after LOAD_MS more of load). */
async function flowsAgain(producers: Producer[]): Promise<void> {
  const before = producers.map((p) => p.counts().acked);
  if (LONG) await new Promise((r) => setTimeout(r, LOAD_MS / 2));
  await waitFor(
    () => producers.every((p, i) => p.counts().acked > before[i]!),
    15_000,
    'the load to flow again',
  ).catch((err: Error) => {
    throw new Error(`${err.message}: ${JSON.stringify(producers.map((p) => [p.counts(), p.errors()]))}`);
  });
}

/** A batch posted while writes fail: refused with 503, a Retry-After and the reason, never 200 (see PROBE_READINGS). */
async function expectRefused(url: string, readings: ReadingInput[]): Promise<void> {
  const res = await postJson<{ error: { code: string; details: Array<{ reason?: string }> } }>(
    `${url}/api/v1/readings`,
    { readings },
  );
  expect(res.status).toBe(503);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(res.body.error.details.map((d) => d.reason)).toContain('store_unavailable');
}

/**
 * One QoS 1 message — a gateway batch of `readings` — from a device with a persistent session
 * that reconnects by itself: the PUBACK must not come while writes fail, and must come (after a
 * resend) once they work. A batch, not one reading: at the cap a single row may still fit in a
 * page with room, a few hundred never do.
 */
function publishWithRetries(
  client: MqttClient,
  mqttUrl: string,
  readings: ReadingInput[],
  ledger: AckLedger,
) {
  let acked = false;
  const done = client
    .publishAsync(testGatewayTopic(mqttUrl), JSON.stringify(readings), { qos: 1 })
    .then(() => {
      acked = true;
      ledger.add(readings);
    });
  return { done, acked: () => acked };
}

describe('a full or busy database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cityops-fault-store-'));
  const file = join(dir, 'cityops.db');
  const env = {
    SQLITE_BUSY_TIMEOUT_MS: String(BUSY_TIMEOUT_MS),
    INGEST_HTTP_REQUESTS_PER_SEC: '100000',
    LOGIN_ATTEMPTS_PER_MINUTE: '10000',
  };
  let server: ServerProcess;
  let sensors: Sensor[];
  let quiet: QuietReadings;
  let device: MqttClient;
  /** Readings acknowledged by the platform through all the faults below (filler aside). */
  const ledger = new AckLedger();
  const cleanups: Array<() => Promise<unknown> | void> = [];

  /** Producers running across a fault: acknowledged readings go to the ledger, refusals are counted. */
  async function load(): Promise<Producer[]> {
    return [
      // As a gateway with its device key, like a real producer (no session to touch on each request).
      httpProducers(server.url, quiet, ledger, {
        clients: LONG ? 3 : 1,
        batch: 100,
        deviceKey: deviceFor(server.mqttUrl)!.apiKey,
      }),
      await mqttProducers(server.mqttUrl, quiet, ledger, {
        clients: 2,
        window: 2,
        batch: 20,
        reconnect: true,
      }),
    ];
  }

  async function connectDevice(): Promise<MqttClient> {
    const client = await connectMqtt(server.mqttUrl, {
      clientId: uniqueClientId('fault-probe'),
      clean: false,
      reconnectPeriod: 300,
    });
    client.on('error', () => {});
    return client;
  }

  beforeAll(async () => {
    server = await spawnServer(file, env);
    sensors = await listSensors(server.url);
    // Weather stations fill the database below and are then deleted: not part of the load.
    quiet = new QuietReadings(sensors.filter((s) => s.kind !== 'weather'));
    device = await connectDevice();
  });

  afterAll(async () => {
    device?.end(true);
    for (const c of cleanups.reverse()) await c();
    await server?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'sheds while another connection holds the write lock past busy_timeout (SQLITE_BUSY), then recovers',
    async () => {
      await postReadings(server.url, quiet.take(10)).then((r) => expect(r.accepted).toBe(10));
      const producers = await load();
      await flowing(producers);

      const locker = new Database(file);
      cleanups.push(() => void locker.close());
      locker.exec('BEGIN IMMEDIATE');
      const held = Date.now();

      const probe = publishWithRetries(device, server.mqttUrl, quiet.take(PROBE_READINGS), ledger);
      await expectRefused(server.url, quiet.take(PROBE_READINGS));
      await expectReported(server.url, /SQLITE_BUSY/);
      expect(probe.acked(), 'a PUBACK while nothing can be written').toBe(false);
      // Hold a little longer than one busy_timeout, then let go.
      await new Promise((r) => setTimeout(r, Math.max(0, held + BUSY_TIMEOUT_MS + 1500 - Date.now())));
      expect(probe.acked()).toBe(false);
      locker.exec('ROLLBACK');
      locker.close();

      await probe.done;
      await expectRecovered(server.url);
      await flowsAgain(producers);
      for (const p of producers) await p.stop();
      expect(producers[0]!.counts().refused, 'HTTP batches refused with 503 while busy').toBeGreaterThan(0);
    },
    testTimeout(60_000),
  );

  it(
    'sheds on I/O errors when the process may not grow its files (a full volume), and recovers',
    async () => {
      const producers = await load();
      await flowing(producers);
      const pid = String(server.child.pid);
      const flushFailures = () => server.output().split('rollup flush failed').length - 1;
      const flushFailuresBefore = flushFailures();
      // From now on every write past the first 4 KiB of a file fails (EFBIG), as on a full disk.
      execFileSync('prlimit', ['--pid', pid, '--fsize=4096:']);
      const reported = await expectReported(server.url, /SQLITE_(IOERR|FULL)/);
      console.info(
        `file size limit: the store reported ${reported.store.failing?.code}: ${reported.store.failing?.message}`,
      );
      await expectRefused(server.url, quiet.take(PROBE_READINGS));
      const probe = publishWithRetries(device, server.mqttUrl, quiet.take(PROBE_READINGS), ledger);
      await new Promise((r) => setTimeout(r, 1500));
      expect(probe.acked(), 'a PUBACK while nothing can be written').toBe(false);
      // Hold until a rollup flush failed too (they run every 5 s): its rollups must not be lost.
      await waitFor(() => flushFailures() > flushFailuresBefore, 15_000, 'a failed rollup flush');

      execFileSync('prlimit', ['--pid', pid, '--fsize=unlimited:']);
      await probe.done;
      await expectRecovered(server.url);
      await flowsAgain(producers);
      for (const p of producers) await p.stop();
      expect(producers[0]!.counts().refused).toBeGreaterThan(0);
    },
    testTimeout(60_000),
  );

  it(
    'sheds once the database reaches its cap (SQLITE_FULL), and recovers when space is freed',
    async () => {
      // Restart with a cap a little above what the file holds now (more room in the long run, whose
      // load goes on longer after the space is freed).
      await server.kill('SIGTERM');
      const db = openReadOnly(file);
      const used =
        (db.pragma('page_count', { simple: true }) as number) *
        (db.pragma('page_size', { simple: true }) as number);
      db.close();
      server = await spawnServer(file, {
        ...env,
        DATABASE_MAX_MB: ((used + (LONG ? 32 : 1) * 1024 * 1024) / 1024 / 1024).toFixed(2),
      });
      device.end(true);
      device = await connectDevice();

      // Fill the cap with readings of the weather stations (the operator deletes them below).
      const weather = sensors.filter((s) => s.kind === 'weather');
      let t = Date.now() - 55 * 60_000;
      const filler = (n: number): ReadingInput[] =>
        Array.from({ length: n }, (_, i) => ({
          sensorId: weather[i % weather.length]!.id,
          observedAt: t++,
          values: { rainfall: 0, windSpeed: 2, windDir: 90, temperature: 20 },
        }));
      const producers = await load();
      let full = false;
      for (let i = 0; i < (LONG ? 2000 : 400) && !full; i++) {
        const res = await postJson(`${server.url}/api/v1/readings`, { readings: filler(2000) });
        if (res.status === 503) full = true;
        else expect(res.status).toBe(200);
      }
      expect(full, 'the cap was reached').toBe(true);

      const stats = await expectReported(server.url, /SQLITE_FULL/);
      expect(stats.store.failing?.message).toMatch(/full/);
      await expectRefused(server.url, quiet.take(PROBE_READINGS));
      const probe = publishWithRetries(device, server.mqttUrl, quiet.take(PROBE_READINGS), ledger);
      await new Promise((r) => setTimeout(r, 1500));
      expect(probe.acked(), 'a PUBACK while the database is full').toBe(false);

      // An operator frees space: the filler readings go.
      const admin = new Database(file);
      admin.pragma('busy_timeout = 5000');
      const freed = admin
        .prepare(`DELETE FROM readings WHERE sensor_id IN (${weather.map(() => '?').join(',')})`)
        .run(...weather.map((w) => w.id)).changes;
      admin.close();
      expect(freed).toBeGreaterThan(0);

      await probe.done;
      await expectRecovered(server.url);
      await flowsAgain(producers);
      for (const p of producers) await p.stop();
      expect(producers[0]!.counts().refused).toBeGreaterThan(0);
    },
    testTimeout(90_000),
  );

  it('leaves a sound file: every acknowledged reading stored once, rollups equal to the raw readings', async () => {
    await server.kill('SIGTERM');
    expect(server.child.exitCode, server.output()).toBe(0);
    expect(integrityCheck(file)).toEqual(['ok']);
    const { missing, checked } = missingFromStore(file, ledger);
    expect(checked).toBeGreaterThan(0);
    expect(missing, `${missing.length} of ${checked} acknowledged readings are not stored`).toEqual([]);

    // Rollups count each stored reading once: none counted for a batch that failed and was sent again.
    const db = openReadOnly(file);
    try {
      // Per sensor and minute: readings stored, and readings the 1-minute rollup of a metric
      // every reading of that sensor carries counted.
      const buckets = db
        .prepare(
          `WITH ids AS (SELECT key AS id, value AS metric FROM json_each(@metrics)),
           raw AS (SELECT sensor_id, (ts / 60000) * 60000 AS bucket, count(*) AS n FROM readings
                   WHERE sensor_id IN (SELECT id FROM ids) GROUP BY 1, 2),
           rolled AS (SELECT m.sensor_id, m.bucket, m.count AS n FROM rollup_1m m
                      JOIN ids ON m.sensor_id = ids.id AND m.metric = ids.metric)
           SELECT raw.sensor_id AS sensorId, raw.bucket, raw.n AS raw, rolled.n AS rolled
             FROM raw LEFT JOIN rolled USING (sensor_id, bucket)
           UNION ALL
           SELECT rolled.sensor_id, rolled.bucket, NULL, rolled.n
             FROM rolled LEFT JOIN raw USING (sensor_id, bucket) WHERE raw.n IS NULL`,
        )
        .all({ metrics: JSON.stringify(quiet.firstMetrics) }) as Array<{
        sensorId: string;
        bucket: number;
        raw: number | null;
        rolled: number | null;
      }>;
      expect(buckets.length).toBeGreaterThan(0);
      expect(buckets.filter((b) => b.rolled !== b.raw)).toEqual([]);
    } finally {
      db.close();
    }
  });
});
