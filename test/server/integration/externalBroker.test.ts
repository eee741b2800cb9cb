import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadingInput } from '../../../shared/schemas/reading.schema';
import { readingsTopic } from '../../../shared/version';
import { history, ingestStats } from '../../helpers/cityOpsApi';
import { recordLive } from '../../helpers/liveRecorder';
import { connectMqtt, dropSession, publishJson, uniqueClientId } from '../../helpers/mqtt';
import { connectClient, getJson, startTestServer, waitFor, type TestServer } from '../../helpers/server';

/**
 * Mosquitto on this machine (every dev and CI machine runs one on 1883;
 * TEST_EXTERNAL_MQTT_URL points elsewhere), shared with every other test run
 * and simulator: hence unique client ids, observation times of this run only,
 * and counters compared as lower bounds.
 */
const BROKER = process.env['TEST_EXTERNAL_MQTT_URL'] ?? 'mqtt://127.0.0.1:1883';
/** Sensors of 西湖区 (330106) that few other tests publish for. */
const AIR = 'AQ-028';
const TRAFFIC = 'TRF-0110';
const DISTRICT = '330106';

interface Health {
  status: string;
  ready: boolean;
  checks: { broker: { ok: boolean; detail: string }; store: { ok: boolean } };
}

describe('ingest from an external MQTT broker (Mosquitto)', () => {
  const clientId = uniqueClientId('cityops-server-test');
  const env = { MQTT_URL: BROKER, MQTT_CLIENT_ID: clientId };
  let server: TestServer;
  let device: MqttClient;
  /** Observation times of this run: a random millisecond offset keeps them apart from other runs'. */
  let clock = Date.now() - 20 * 60_000 + Math.floor(Math.random() * 1000);
  const nextTs = () => (clock += 10_000);

  beforeAll(async () => {
    server = await startTestServer(env);
    device = await connectMqtt(BROKER);
  });

  afterAll(async () => {
    await device?.endAsync();
    await server?.stop();
    server?.cleanup();
    await dropSession(BROKER, clientId);
  });

  it('reports the broker check ok at /api/health', async () => {
    const res = await getJson<Health>(`${server.url}/api/health`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      ready: true,
      checks: { broker: { ok: true }, store: { ok: true } },
    });
    expect(res.body.checks.broker.detail).toContain(BROKER);
    expect(server.mqttUrl).toBe(BROKER);
  });

  it('pushes, stores and counts readings published to the broker', async () => {
    const { socket } = await connectClient(server.url, { kind: 'district', id: DISTRICT });
    try {
      const live = recordLive(socket);
      const before = await ingestStats(server.url);
      const [t1, t2, t3] = [nextTs(), nextTs(), nextTs()];
      const air: ReadingInput = { sensorId: AIR, observedAt: t1, values: { pm25: 75, pm10: 110 } };
      const traffic: ReadingInput[] = [
        { sensorId: TRAFFIC, observedAt: t2, values: { speed: 22, volume: 800, occupancy: 0.4 } },
        { sensorId: TRAFFIC, observedAt: t3, values: { speed: 24, volume: 760, occupancy: 0.35 } },
      ];

      // The PUBACK comes from Mosquitto, before the server has the reading: wait for the push.
      await publishJson(device, readingsTopic(AIR), air);
      await publishJson(device, readingsTopic(TRAFFIC), traffic);
      expect(await live.waitForReading(AIR, t1)).toEqual(air);
      expect(await live.waitForReading(TRAFFIC, t3)).toEqual(traffic[1]);

      const h = await history(server.url, TRAFFIC, { metric: 'speed', from: t2, to: t3, resolution: 'raw' });
      // Only this run's times: a parallel run may have published for the same sensor in between.
      const mine = h.points.filter((p) => p.t === t2 || p.t === t3);
      expect(mine.map((p) => [p.t, p.avg])).toEqual([
        [t2, 22],
        [t3, 24],
      ]);
      // The broker is shared with other test runs, whose readings this server may ingest too.
      const after = await ingestStats(server.url);
      expect(after.byPath.mqtt.accepted - before.byPath.mqtt.accepted).toBeGreaterThanOrEqual(3);
      expect(after.byPath.mqtt.payloads - before.byPath.mqtt.payloads).toBeGreaterThanOrEqual(2);
      expect((after.acceptedByKind['air'] ?? 0) - (before.acceptedByKind['air'] ?? 0)).toBeGreaterThanOrEqual(
        1,
      );
      expect(
        (after.acceptedByKind['traffic'] ?? 0) - (before.acceptedByKind['traffic'] ?? 0),
      ).toBeGreaterThanOrEqual(2);
      expect(after.byPath.http.accepted).toBe(before.byPath.http.accepted);
    } finally {
      socket.disconnect();
    }
  });

  it('stores once a reading published while the server was down, after it restarts with the same session', async () => {
    const t = nextTs();
    const reading: ReadingInput = { sensorId: AIR, observedAt: t, values: { pm25: 140, pm10: 190 } };
    await server.stop();

    // Mosquitto acknowledges and keeps the message for the server's persistent session.
    await publishJson(device, readingsTopic(AIR), reading);
    server = await startTestServer(env, server.dir);

    const points = () => history(server.url, AIR, { metric: 'pm25', from: t, to: t + 1, resolution: 'raw' });
    await waitFor(async () => (await points()).points.length > 0, 15_000, 'the queued reading in history');
    expect((await points()).points).toEqual([{ t, min: 140, avg: 140, max: 140, count: 1 }]);
  });
});
