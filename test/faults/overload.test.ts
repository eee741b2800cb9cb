import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Sensor } from '../../shared/schemas/sensor.schema';
import { readingsTopic } from '../../shared/version';
import { ReadingFactory } from '../../simulators/src/load/readingFactory';
import { deviceFor } from '../helpers/auth';
import { ingestStats, listSensors } from '../helpers/cityOpsApi';
import { rssMb } from '../bench/procStats';
import { connectMqtt } from '../helpers/mqtt';
import { spawnServer, type ServerProcess } from '../helpers/serverProcess';
import { getJson, waitFor } from '../helpers/server';
import {
  AckLedger,
  LOAD_MS,
  LONG,
  QuietReadings,
  httpProducers,
  missingFromStore,
  mqttProducers,
  openDashboard,
  testTimeout,
} from './faultKit';

/** Readings per HTTP request of the overload (a gateway's batch). */
const BATCH = 500;
/** The node's admission bound in this test (INGEST_HTTP_MAX_CONCURRENT, default 32). */
const MAX_CONCURRENT = 16;
/** How many times what the node sustained in the calibration is offered. */
const FACTOR = 10;
/** The node's write-queue bound in this test (WRITE_QUEUE_MAX, default 200,000): low enough to be reached. */
const QUEUE_MAX = 10_000;
/** MQTT gateways publishing as fast as they are let during the overload. */
const MQTT_GATEWAYS = 2;

interface Answer {
  status: number;
  retryAfter: string | undefined;
  reason: string | undefined;
  message: string | undefined;
  accepted: number;
}

interface FloodBody {
  text: string;
  /** The body's readings' identities (built only for the ledger, when the body was accepted). */
  readings: () => Array<{ sensorId: string; observedAt: number }>;
}

/**
 * The flood's bodies: BATCH quiet readings each, a sensor at most once per body, and every
 * request observed at a time of its own (`from` + the request's number, in ms), so no request
 * repeats a reading the node already stored and whatever is admitted really loads the store.
 * Cheap enough for ten times the node's rate: 200 bodies are built once as templates, split
 * around the observation time, and a request only splices its time in.
 */
function freshBodies(sensors: readonly Sensor[], from: number): (i: number) => FloodBody {
  const factory = new ReadingFactory(sensors);
  const templates = Array.from({ length: 200 }, () => {
    const { readings } = factory.batch(BATCH, 0);
    const segments = ['{"readings":['];
    readings.forEach((r, k) => {
      const at = r.json.indexOf(`"observedAt":${r.observedAt},`) + '"observedAt":'.length;
      segments[segments.length - 1] += `${k > 0 ? ',' : ''}${r.json.slice(0, at)}`;
      segments.push(r.json.slice(at + String(r.observedAt).length));
    });
    segments[segments.length - 1] += ']}';
    return { segments, sensorIds: readings.map((r) => r.sensorId) };
  });
  return (i) => {
    const { segments, sensorIds } = templates[i % templates.length]!;
    const observedAt = from + i;
    return {
      text: segments.join(String(observedAt)),
      readings: () => sensorIds.map((sensorId) => ({ sensorId, observedAt })),
    };
  };
}

/**
 * Open-loop HTTP ingest: every 10 ms it posts what became due at `perSec` readings/s, whether
 * or not earlier requests were answered (as a fleet of gateways would), over at most 256 sockets
 * (more wait in this process, not in the server).
 */
function openLoop(
  url: string,
  apiKey: string,
  bodyOf: (i: number) => FloodBody,
  perSec: number,
  ledger: AckLedger,
) {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const answers: Answer[] = [];
  let sent = 0;
  let outstanding = 0;
  let failed = 0;
  const started = Date.now();
  const post = (i: number) => {
    const body = bodyOf(i);
    outstanding += 1;
    const req = request(
      `${url}/api/v1/readings`,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'x-device-key': apiKey },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          outstanding -= 1;
          const json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            accepted?: number;
            error?: { details?: Array<{ reason?: string; message?: string }> };
          };
          const status = res.statusCode ?? 0;
          answers.push({
            status,
            retryAfter: res.headers['retry-after'],
            reason: json.error?.details?.[0]?.reason,
            message: json.error?.details?.[0]?.message,
            accepted: json.accepted ?? 0,
          });
          if (status === 200) ledger.add(body.readings());
        });
      },
    );
    req.on('error', () => {
      outstanding -= 1;
      failed += 1;
    });
    req.end(body.text);
  };
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - started) / 1000) * (perSec / BATCH));
    while (sent < due) post(sent++);
  }, 10);
  return {
    answers,
    sent: () => sent,
    failed: () => failed,
    stop: async () => {
      clearInterval(timer);
      await waitFor(() => outstanding === 0, 60_000, 'the open-loop requests to be answered');
      agent.destroy();
    },
  };
}

describe('overload: ten times what the node sustains', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cityops-fault-overload-'));
  const file = join(dir, 'cityops.db');
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'sheds with 503 and Retry-After, counted; MQTT is held back; alerts still arrive; it recovers',
    async () => {
      server = await spawnServer(file, {
        INGEST_HTTP_MAX_CONCURRENT: String(MAX_CONCURRENT),
        WRITE_QUEUE_MAX: String(QUEUE_MAX),
        // One gateway sends it all: the per-client rate limit (429) would answer first otherwise.
        INGEST_HTTP_REQUESTS_PER_SEC: '100000',
      });
      const pid = server.child.pid!;
      const sensors = await listSensors(server.url);
      const apiKey = deviceFor(server.mqttUrl)!.apiKey;
      const ledger = new AckLedger();
      const board = await openDashboard(server.url);
      // Smoke alarms' alerts on the dashboard: sensor → the alert's start, and whether the flood was still on.
      let floodOn = false;
      const smokeAlerts = new Map<string, { startsAt: number; duringFlood: boolean }>();
      board.socket.on('alert:raised', (a) => {
        if (a.ruleId === 'grid-smoke')
          smokeAlerts.set(a.subject.id, { startsAt: a.startsAt, duringFlood: floodOn });
      });

      // Calibration: what the node sustains, closed loop (each gateway waits for its answer).
      const calibration = httpProducers(server.url, new QuietReadings(sensors), ledger, {
        clients: 4,
        batch: BATCH,
        deviceKey: apiKey,
      });
      const calFrom = ledger.size;
      const calMs = Math.max(2000, LOAD_MS);
      await new Promise((r) => setTimeout(r, calMs));
      const sustained = ((ledger.size - calFrom) * 1000) / calMs;
      await calibration.stop();
      const baseRss = rssMb(pid);

      // Overload: FACTOR × that, open loop over HTTP, and MQTT gateways as fast as they are let.
      // Every request carries readings not stored before, so what is admitted loads the store.
      const flooding = sensors.filter((s) => s.subtype !== 'smoke');
      const flood = openLoop(
        server.url,
        apiKey,
        freshBodies(flooding, Date.now() - 30 * 60_000),
        sustained * FACTOR,
        ledger,
      );
      floodOn = true;
      const mqtt = await mqttProducers(server.mqttUrl, new QuietReadings(sensors), ledger, {
        clients: MQTT_GATEWAYS,
        window: 16,
        batch: BATCH,
        // Persistent sessions: stop() waits for every publish to be acknowledged instead of cutting them off.
        reconnect: true,
      });
      // A smoke alarm goes off every second meanwhile, each on its own detector.
      const smoke = sensors.filter((s) => s.subtype === 'smoke');
      const device = deviceFor(server.mqttUrl)!;
      const alarm = await connectMqtt(server.mqttUrl, {
        username: device.username,
        password: device.password,
      });
      // Each alarm on a detector of its own, so each must raise an alert of its own.
      const fired: Array<{ sensorId: string; at: number }> = [];
      const alarms: Promise<unknown>[] = [];
      let peakRss = baseRss;
      const overloadMs = LONG ? 60_000 : Math.max(5000, LOAD_MS * 3);
      const until = Date.now() + overloadMs;
      while (Date.now() < until) {
        const s = smoke[fired.length]!;
        const reading = { sensorId: s.id, observedAt: Date.now(), values: { smoke: 12, temperature: 60 } };
        // Not awaited: an alarm goes off every second whatever the broker's pace.
        alarms.push(alarm.publishAsync(readingsTopic(s.id), JSON.stringify(reading), { qos: 1 }));
        fired.push({ sensorId: s.id, at: reading.observedAt });
        for (let i = 0; i < 4; i++) {
          peakRss = Math.max(peakRss, rssMb(pid));
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      await flood.stop();
      floodOn = false;
      // Connections the server closed during the overload (stop() then closes them itself).
      const mqttClosed = mqtt.counts().refused;
      await mqtt.stop();
      await Promise.all(alarms);
      const during = await ingestStats(server.url);

      // Recovery: the load drops back to the calibration's; the node answers every batch.
      await waitFor(async () => (await ingestStats(server!.url)).store.queued === 0, 30_000, 'the store');
      const health = await getJson<{ status: string }>(`${server.url}/api/health`);
      const normal = httpProducers(server.url, new QuietReadings(sensors, 10 * 60_000), ledger, {
        clients: 2,
        batch: BATCH,
        deviceKey: apiKey,
      });
      await new Promise((r) => setTimeout(r, 2000));
      await normal.stop();
      await waitFor(
        () => fired.every((f) => smokeAlerts.has(f.sensorId)),
        30_000,
        'every smoke alarm on the dashboard',
      );
      await alarm.endAsync();
      const after = await ingestStats(server.url);

      const by = (status: number) => flood.answers.filter((a) => a.status === status);
      const shed = by(503);
      console.log(
        `overload: sustained ${Math.round(sustained)} readings/s closed loop; offered ${FACTOR}× = ` +
          `${Math.round(sustained * FACTOR)}/s for ${overloadMs / 1000} s: ${flood.sent()} requests, ` +
          `${by(200).length} accepted, ${shed.length} shed (503), RSS ${baseRss.toFixed(0)} → peak ` +
          `${peakRss.toFixed(0)} MB; MQTT ${mqtt.counts().acked} of ${mqtt.counts().sent} batches acknowledged, ${mqttClosed} connections closed by the server; event-loop p99 during ` +
          `${during.eventLoop?.p99Ms} ms, after ${after.eventLoop?.p99Ms} ms; write queue peak ` +
          `${during.store.queuedPeak} (bound ${QUEUE_MAX}); ${fired.length} alarms, ` +
          `${[...smokeAlerts.values()].filter((a) => a.duringFlood).length} of their alerts arrived during the flood`,
      );

      // Shedding is explicit: 503 with Retry-After, reason `overloaded`, and each one counted.
      expect(flood.failed(), 'requests that got no answer').toBe(0);
      expect(shed.length).toBeGreaterThan(0);
      expect(by(200).length).toBeGreaterThan(0);
      expect(flood.answers.filter((a) => a.status !== 200 && a.status !== 503)).toEqual([]);
      expect(shed.every((a) => a.reason === 'overloaded' && Number(a.retryAfter) >= 1)).toBe(true);
      // Counted: a request refused at admission is one payload, unread; one refused at the full
      // write queue was read, so its readings are counted.
      const queueFull = shed.filter((a) => a.message?.includes('write queue')).length;
      expect(after.rejectedByReason['overloaded']).toBe(shed.length - queueFull + queueFull * BATCH);
      // The queues are bounded: past the bound HTTP is shed, and each MQTT connection has one
      // message in progress at a time; so the queue never held more than the bound plus what
      // was admitted before it was reached (the requests in progress and one message per connection).
      const admittedAtOnce = (MAX_CONCURRENT + MQTT_GATEWAYS) * BATCH + 1;
      expect(during.store.queuedPeak).toBeLessThanOrEqual(QUEUE_MAX + admittedAtOnce);
      // MQTT gateways were slowed, not refused: every publish acknowledged, no connection closed.
      expect(mqtt.counts().failed).toBe(0);
      expect(mqttClosed).toBe(0);
      expect(mqtt.counts().acked).toBeGreaterThan(0);
      // No runaway memory, and every acknowledged reading is in the file.
      expect(peakRss, `RSS ${baseRss} → ${peakRss} MB`).toBeLessThan(baseRss * 2.5);
      expect(missingFromStore(file, ledger).missing).toEqual([]);
      // Back to normal: healthy, nothing refused, every alarm delivered.
      expect(health.status).toBe(200);
      expect(normal.counts().refused).toBe(0);
      expect(normal.counts().acked).toBeGreaterThan(0);
      // Every alarm raised its own alert, from its own reading, and alerts kept coming during the flood.
      expect(fired.filter((f) => smokeAlerts.get(f.sensorId)?.startsAt !== f.at)).toEqual([]);
      expect([...smokeAlerts.values()].filter((a) => a.duringFlood).length).toBeGreaterThan(0);
      expect(server.child.exitCode).toBeNull();
      board.close();
    },
    testTimeout(120_000, LONG ? 30 : 6),
  );
});
