import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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

interface Answer {
  status: number;
  retryAfter: string | undefined;
  reason: string | undefined;
  accepted: number;
}

/**
 * Open-loop HTTP ingest: every 10 ms it posts what became due at `perSec` readings/s, whether
 * or not earlier requests were answered (as a fleet of gateways would), over at most 256 sockets
 * (more wait in this process, not in the server).
 */
function openLoop(
  url: string,
  apiKey: string,
  bodies: readonly { text: string; readings: ReturnType<ReadingFactory['batch']>['readings'] }[],
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
    const body = bodies[i % bodies.length]!;
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
            error?: { details?: Array<{ reason?: string }> };
          };
          const status = res.statusCode ?? 0;
          answers.push({
            status,
            retryAfter: res.headers['retry-after'],
            reason: json.error?.details?.[0]?.reason,
            accepted: json.accepted ?? 0,
          });
          if (status === 200) ledger.add(body.readings);
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
        // One gateway sends it all: the per-client rate limit (429) would answer first otherwise.
        INGEST_HTTP_REQUESTS_PER_SEC: '100000',
      });
      const pid = server.child.pid!;
      const sensors = await listSensors(server.url);
      const apiKey = deviceFor(server.mqttUrl)!.apiKey;
      const ledger = new AckLedger();
      const board = await openDashboard(server.url);
      const raisedFor = new Set<string>();
      board.socket.on('alert:raised', (a) => raisedFor.add(a.subject.id));

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
      const factory = new ReadingFactory(sensors);
      const bodies = Array.from({ length: 200 }, () => {
        const b = factory.batch(BATCH);
        return { text: `{"readings":${b.json}}`, readings: b.readings };
      });
      const flood = openLoop(server.url, apiKey, bodies, sustained * FACTOR, ledger);
      const mqtt = await mqttProducers(server.mqttUrl, new QuietReadings(sensors), ledger, {
        clients: 2,
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
      const fired: string[] = [];
      const alarms: Promise<unknown>[] = [];
      let peakRss = baseRss;
      const overloadMs = LONG ? 60_000 : Math.max(5000, LOAD_MS * 3);
      const until = Date.now() + overloadMs;
      while (Date.now() < until) {
        const s = smoke[fired.length % smoke.length]!;
        const reading = { sensorId: s.id, observedAt: Date.now(), values: { smoke: 12, temperature: 60 } };
        // Not awaited: an alarm goes off every second whatever the broker's pace.
        alarms.push(alarm.publishAsync(readingsTopic(s.id), JSON.stringify(reading), { qos: 1 }));
        fired.push(s.id);
        for (let i = 0; i < 4; i++) {
          peakRss = Math.max(peakRss, rssMb(pid));
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      await flood.stop();
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
        () => fired.every((id) => raisedFor.has(id)),
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
          `${peakRss.toFixed(0)} MB; MQTT ${JSON.stringify(mqtt.counts())}; event-loop p99 during ` +
          `${during.eventLoop?.p99Ms} ms, after ${after.eventLoop?.p99Ms} ms; ${fired.length} alarms`,
      );

      // Shedding is explicit: 503 with Retry-After, reason `overloaded`, and each one counted.
      expect(flood.failed(), 'requests that got no answer').toBe(0);
      expect(shed.length).toBeGreaterThan(0);
      expect(by(200).length).toBeGreaterThan(0);
      expect(flood.answers.filter((a) => a.status !== 200 && a.status !== 503)).toEqual([]);
      expect(shed.every((a) => a.reason === 'overloaded' && Number(a.retryAfter) >= 1)).toBe(true);
      expect(after.rejectedByReason['overloaded']).toBe(shed.length);
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
      expect(fired.filter((id) => !raisedFor.has(id))).toEqual([]);
      expect(server.child.exitCode).toBeNull();
      board.close();
    },
    testTimeout(120_000, LONG ? 30 : 6),
  );
});
