import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import type { ReadingInput } from '../../shared/schemas/reading.schema';
import { gatewayTopic } from '../../shared/version';
import { ingestStats, listSensors } from '../helpers/cityOpsApi';
import { freePort } from '../helpers/serverProcess';
import { startTestServer, waitFor, type TestServer } from '../helpers/server';
import {
  AckLedger,
  LOAD_MS,
  LONG,
  Mosquitto,
  QuietReadings,
  integrityCheck,
  missingFromStore,
  openReadOnly,
  testTimeout,
} from './faultKit';

const TOPIC = gatewayTopic('fault-gw');

interface Health {
  ready: boolean;
  checks: { broker: { ok: boolean; detail: string } };
}

const health = async (url: string): Promise<Health> =>
  (await fetch(`${url}/api/health`)).json() as Promise<Health>;

/** Rows stored for the readings of a ledger (the server is running; WAL lets us read beside it). */
function storedCount(file: string, ledger: AckLedger): number {
  const db = openReadOnly(file);
  try {
    const has = db.prepare('SELECT count(*) FROM readings WHERE sensor_id = ? AND ts = ?').pluck();
    let n = 0;
    for (const k of ledger.keys) {
      const at = k.lastIndexOf('@');
      n += has.get(k.slice(0, at), Number(k.slice(at + 1))) as number;
    }
    return n;
  } finally {
    db.close();
  }
}

/**
 * A device on the broker: persistent session, QoS 1, reconnecting by itself. Publishes paced
 * batches; while the broker is down mqtt.js holds them and sends them on reconnect. A PUBACK
 * (from Mosquitto) puts the batch in the ledger.
 */
function pacedPublisher(device: MqttClient, readings: QuietReadings, ledger: AckLedger, perSec: number) {
  let stopped = false;
  const batches: ReadingInput[][] = [];
  const inFlight = new Set<Promise<void>>();
  const loop = (async () => {
    while (!stopped) {
      const batch = readings.take(20);
      batches.push(batch);
      const p = device.publishAsync(TOPIC, JSON.stringify(batch), { qos: 1 }).then(
        () => ledger.add(batch),
        () => {},
      );
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      await new Promise((r) => setTimeout(r, 1000 / perSec));
    }
  })();
  return {
    batches,
    /** Stop publishing and wait until every batch published so far has its PUBACK. */
    async stop(): Promise<void> {
      stopped = true;
      await loop;
      await Promise.all(inFlight);
    },
  };
}

describe('restart of the external MQTT broker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cityops-fault-broker-'));
  const cleanups: Array<() => Promise<unknown> | void> = [];

  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'reconnects and resubscribes, and a device’s buffered QoS 1 messages are stored once',
    async () => {
      const broker = new Mosquitto(await freePort(), join(dir, 'mosquitto'));
      await broker.start();
      cleanups.push(() => broker.stop());
      const clientId = `cityops-fault-${randomBytes(4).toString('hex')}`;
      const server: TestServer = await startTestServer(
        { MQTT_URL: broker.url, MQTT_CLIENT_ID: clientId },
        join(dir, 'server'),
      );
      cleanups.push(() => server.stop());
      const file = join(server.dir, 'cityops.db');
      const readings = new QuietReadings(await listSensors(server.url));
      const device = await connectAsync(broker.url, {
        clientId: `fault-device-${randomBytes(4).toString('hex')}`,
        clean: false,
        reconnectPeriod: 200,
        connectTimeout: 5000,
      });
      device.on('error', () => {});
      cleanups.push(() => device.endAsync(true));
      const before = await ingestStats(server.url);

      // --- A broker restart in the middle of a steady feed -------------------------------------
      const ledger = new AckLedger();
      const feed = pacedPublisher(device, readings, ledger, LONG ? 100 : 40);
      await new Promise((r) => setTimeout(r, LOAD_MS / 2));
      await broker.stop();
      // The server notices and says so; the device keeps publishing into its own buffer.
      await waitFor(
        async () => !(await health(server.url)).checks.broker.ok,
        10_000,
        'the broker check to fail',
      );
      const publishedWhileDown = feed.batches.length;
      await new Promise((r) => setTimeout(r, 1500));
      expect(feed.batches.length).toBeGreaterThan(publishedWhileDown);
      await broker.start();
      await waitFor(async () => (await health(server.url)).ready, 15_000, 'the server to reconnect');
      await new Promise((r) => setTimeout(r, LOAD_MS / 2));
      await feed.stop();
      const published = feed.batches.length * 20;
      expect(ledger.size, 'every batch the device published was acknowledged by the broker').toBe(published);

      await waitFor(
        () => storedCount(file, ledger) === ledger.size,
        30_000,
        'every acknowledged reading stored',
      );
      const afterRestart = await ingestStats(server.url);
      // Exactly once: as many new rows as readings; a redelivered message counts as duplicates.
      expect(afterRestart.store.written - before.store.written).toBe(published);
      const redelivered = afterRestart.byPath.mqtt.duplicates - before.byPath.mqtt.duplicates;
      expect(afterRestart.byPath.mqtt.accepted - before.byPath.mqtt.accepted).toBe(published + redelivered);

      // A message delivered twice (as a broker may after a restart) is counted, not stored twice.
      const again = feed.batches[0]!;
      await device.publishAsync(TOPIC, JSON.stringify(again), { qos: 1 });
      await waitFor(
        async () =>
          (await ingestStats(server.url)).byPath.mqtt.duplicates - afterRestart.byPath.mqtt.duplicates === 20,
        10_000,
        'the repeated batch to be counted as duplicates',
      );
      expect((await ingestStats(server.url)).store.written).toBe(afterRestart.store.written);

      // --- A broker that lost every session: the server subscribes again by itself -------------
      await broker.stop();
      rmSync(broker.dataDir, { recursive: true, force: true });
      await broker.start();
      await waitFor(async () => (await health(server.url)).ready, 15_000, 'the server to reconnect');
      await waitFor(() => device.connected, 10_000, 'the device to reconnect');
      // Until the subscription is back, a publish has no subscriber: probe until one is stored.
      const probes = new AckLedger();
      await waitFor(
        async () => {
          const probe = readings.take(1);
          await device.publishAsync(TOPIC, JSON.stringify(probe), { qos: 1 });
          probes.add(probe);
          await new Promise((r) => setTimeout(r, 200));
          return storedCount(file, probes) > 0;
        },
        15_000,
        'the server to subscribe again',
      );
      const later = new AckLedger();
      const batch = readings.take(200);
      for (let i = 0; i < batch.length; i += 20) {
        await device.publishAsync(TOPIC, JSON.stringify(batch.slice(i, i + 20)), { qos: 1 });
      }
      later.add(batch);
      await waitFor(
        () => storedCount(file, later) === batch.length,
        15_000,
        'the readings after resubscribing',
      );

      await device.endAsync();
      await server.stop();
      expect(missingFromStore(file, ledger).missing).toEqual([]);
      expect(integrityCheck(file)).toEqual(['ok']);
      console.info(
        `broker restart: ${published} readings published across a Mosquitto restart, stored once ` +
          `(${redelivered} redelivered as duplicates); resubscribed after the broker lost its sessions`,
      );
    },
    testTimeout(90_000),
  );
});
