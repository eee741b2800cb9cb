import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Scope, Snapshot } from '../../../shared/schemas/live.schema';
import type { ReadingInput } from '../../../shared/schemas/reading.schema';
import type { Sensor } from '../../../shared/schemas/sensor.schema';
import type { Ack } from '../../../shared/socket';
import { readingsTopic } from '../../../shared/version';
import { history, ingestStats, latest, listSensors, postReadings } from '../../helpers/cityOpsApi';
import { recordLive } from '../../helpers/liveRecorder';
import { connectMqtt, publishJson } from '../../helpers/mqtt';
import {
  connectClient,
  postJson,
  startTestServer,
  type TestServer,
  type TestSocket,
} from '../../helpers/server';
import { testGatewayTopic } from '../../helpers/auth';

/** 西湖区 and 上城区: two districts of the Hangzhou pack. */
const DISTRICT_A = '330106';
const DISTRICT_B = '330102';
const MINUTE = 60_000;

/** Send `scope:set` (any payload, to test refusals) and resolve with its acknowledgement. */
function setScope(socket: TestSocket, scope: unknown): Promise<Ack<Snapshot>> {
  return new Promise((resolve, reject) => {
    socket
      .timeout(10_000)
      .emit('scope:set', scope as Scope, (err: Error | null, ack: Ack<Snapshot>) =>
        err ? reject(err) : resolve(ack),
      );
  });
}

/** An ISO-8601 time in China Standard Time (+08:00), as many devices send it. */
const isoCst = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().replace('Z', '+08:00');

describe('live path with the embedded broker', () => {
  let server: TestServer;
  let mqtt: MqttClient;
  /** Sensors not used by any test yet: each test takes its own, so histories never mix. */
  let trafficA: Sensor[];
  let airA: Sensor[];
  let trafficB: Sensor[];
  let sensorsOfA: Set<string>;
  let sensorsOfB: Set<string>;
  const sockets: TestSocket[] = [];
  /** Observation times unique across the file, 10 s apart, ending well before now. */
  let clock = Date.now() - 40 * MINUTE;
  const nextTs = () => (clock += 10_000);

  const take = (pool: Sensor[]): Sensor => {
    const s = pool.shift();
    if (!s) throw new Error('sensor pool exhausted');
    return s;
  };
  const connect = async (scope: Scope) => {
    const client = await connectClient(server.url, scope);
    sockets.push(client.socket);
    return client;
  };
  const traffic = (sensorId: string, observedAt: number, speed: number): ReadingInput => ({
    sensorId,
    observedAt,
    values: { speed, volume: Math.round(speed * 30), occupancy: 0.2 },
  });

  beforeAll(async () => {
    server = await startTestServer();
    mqtt = await connectMqtt(server.mqttUrl);
    trafficA = await listSensors(server.url, { districtId: DISTRICT_A, kind: 'traffic' });
    airA = await listSensors(server.url, { districtId: DISTRICT_A, kind: 'air' });
    trafficB = await listSensors(server.url, { districtId: DISTRICT_B, kind: 'traffic' });
    sensorsOfA = new Set((await listSensors(server.url, { districtId: DISTRICT_A })).map((s) => s.id));
    sensorsOfB = new Set((await listSensors(server.url, { districtId: DISTRICT_B })).map((s) => s.id));
  });

  afterEach(() => {
    for (const s of sockets.splice(0)) s.disconnect();
  });

  afterAll(async () => {
    await mqtt?.endAsync();
    await server?.stop();
    server?.cleanup();
  });

  it('pushes MQTT and HTTP readings of a district to its clients and the city with the values and times sent', async () => {
    const [s1, s2] = [take(trafficA), take(trafficA)];
    const a = recordLive((await connect({ kind: 'district', id: DISTRICT_A })).socket);
    const city = recordLive((await connect({ kind: 'city' })).socket);

    // One reading on the sensor's topic, its time as ISO-8601 with an offset.
    const t1 = nextTs();
    await publishJson(mqtt, readingsTopic(s1.id), {
      sensorId: s1.id,
      observedAt: isoCst(t1),
      values: { speed: 41.5, volume: 1320, occupancy: 0.18 },
    });
    const pushed1 = {
      sensorId: s1.id,
      observedAt: t1,
      values: { speed: 41.5, volume: 1320, occupancy: 0.18 },
    };
    expect(await a.waitForReading(s1.id, t1)).toEqual(pushed1);
    expect(await city.waitForReading(s1.id, t1)).toEqual(pushed1);

    // An array on the same topic: the newest reading of the sensor is pushed.
    const [t2, t3] = [nextTs(), nextTs()];
    await publishJson(mqtt, readingsTopic(s1.id), [traffic(s1.id, t2, 38), traffic(s1.id, t3, 36.25)]);
    expect(await a.waitForReading(s1.id, t3)).toEqual(traffic(s1.id, t3, 36.25));
    expect(await city.waitForReading(s1.id, t3)).toEqual(traffic(s1.id, t3, 36.25));

    const t4 = nextTs();
    expect(await postReadings(server.url, [traffic(s2.id, t4, 52)])).toEqual({
      accepted: 1,
      duplicates: 0,
      rejected: [],
    });
    expect(await a.waitForReading(s2.id, t4)).toEqual(traffic(s2.id, t4, 52));
    expect(await city.waitForReading(s2.id, t4)).toEqual(traffic(s2.id, t4, 52));
    expect(a.batches.every((b) => b.room === `district:${DISTRICT_A}`)).toBe(true);
    expect(city.batches.every((b) => b.room === 'city')).toBe(true);
  });

  it("does not push a district's readings to a client of another district", async () => {
    const [sa, sa2, sb] = [take(trafficA), take(trafficA), take(trafficB)];
    const a = recordLive((await connect({ kind: 'district', id: DISTRICT_A })).socket);
    const b = recordLive((await connect({ kind: 'district', id: DISTRICT_B })).socket);

    const ta = nextTs();
    await publishJson(mqtt, readingsTopic(sa.id), traffic(sa.id, ta, 44));
    await a.waitForReading(sa.id, ta);
    // Accepted after A's reading, so any batch that wrongly carried A's reading to B arrives before it.
    const tb = nextTs();
    await postReadings(server.url, [traffic(sb.id, tb, 61)]);
    await b.waitForReading(sb.id, tb);
    const ta2 = nextTs();
    await postReadings(server.url, [traffic(sa2.id, ta2, 47)]);
    await a.waitForReading(sa2.id, ta2);

    expect(b.count(sa.id, ta)).toBe(0);
    expect(a.count(sb.id, tb)).toBe(0);
    expect(b.items().every((i) => sensorsOfB.has(i.sensorId))).toBe(true);
    expect(a.items().every((i) => sensorsOfA.has(i.sensorId))).toBe(true);
  });

  it('returns readings from history at raw resolution as soon as they are acknowledged', async () => {
    const s = take(trafficA);
    const [t1, t2, t3, t4] = [nextTs(), nextTs(), nextTs(), nextTs()];
    const raw = (last: number) =>
      history(server.url, s.id, { metric: 'speed', from: t1, to: last + 1, resolution: 'raw' });

    await publishJson(mqtt, readingsTopic(s.id), traffic(s.id, t1, 30));
    const first = await raw(t1);
    expect(first).toMatchObject({
      sensorId: s.id,
      metric: 'speed',
      unit: 'km/h',
      resolution: 'raw',
      bucketMs: 0,
    });
    expect(first.points).toEqual([{ t: t1, min: 30, avg: 30, max: 30, count: 1 }]);

    await publishJson(mqtt, readingsTopic(s.id), [traffic(s.id, t2, 31), traffic(s.id, t3, 32)]);
    expect((await raw(t3)).points.map((p) => [p.t, p.avg])).toEqual([
      [t1, 30],
      [t2, 31],
      [t3, 32],
    ]);

    await postReadings(server.url, [traffic(s.id, t4, 33)]);
    expect((await raw(t4)).points.map((p) => [p.t, p.avg])).toEqual([
      [t1, 30],
      [t2, 31],
      [t3, 32],
      [t4, 33],
    ]);
  });

  it('shows the newest value of every metric at /readings/latest, whichever path brought it', async () => {
    const [s1, s2] = [take(trafficA), take(trafficA)];
    const [t0, t1, t2] = [nextTs(), nextTs(), nextTs()];
    await publishJson(mqtt, readingsTopic(s1.id), {
      sensorId: s1.id,
      observedAt: t1,
      values: { speed: 30, volume: 900, occupancy: 0.1 },
    });
    // A newer reading with one metric, then a late one that must not overwrite it.
    await postReadings(server.url, [{ sensorId: s1.id, observedAt: t2, values: { speed: 35 } }]);
    await postReadings(server.url, [{ sensorId: s1.id, observedAt: t0, values: { speed: 99, volume: 1 } }]);
    await postReadings(server.url, [traffic(s2.id, t1, 58)]);

    const items = await latest(server.url, [s1.id, s2.id]);
    expect(items).toHaveLength(2);
    expect(items.find((i) => i.sensorId === s1.id)).toEqual({
      sensorId: s1.id,
      observedAt: t2,
      values: { speed: 35, volume: 900, occupancy: 0.1 },
    });
    expect(items.find((i) => i.sensorId === s2.id)).toEqual(traffic(s2.id, t1, 58));
  });

  it('counts accepted readings per path and per sensor kind at /ingest/stats', async () => {
    const [t1, t2] = [take(trafficA), take(trafficA)];
    const air = take(airA);
    const before = await ingestStats(server.url);

    await publishJson(mqtt, readingsTopic(t1.id), [
      traffic(t1.id, nextTs(), 40),
      traffic(t1.id, nextTs(), 41),
    ]);
    await postReadings(server.url, [
      traffic(t2.id, nextTs(), 50),
      { sensorId: air.id, observedAt: nextTs(), values: { pm25: 35, pm10: 60 } },
      { sensorId: air.id, observedAt: nextTs(), values: { pm25: 37, o3: 80 } },
    ]);

    const after = await ingestStats(server.url);
    const delta = (path: 'mqtt' | 'http') => {
      const [x, y] = [after.byPath[path], before.byPath[path]];
      return {
        payloads: x.payloads - y.payloads,
        received: x.received - y.received,
        accepted: x.accepted - y.accepted,
        duplicates: x.duplicates - y.duplicates,
        rejected: x.rejected - y.rejected,
      };
    };
    expect(delta('mqtt')).toEqual({ payloads: 1, received: 2, accepted: 2, duplicates: 0, rejected: 0 });
    expect(delta('http')).toEqual({ payloads: 1, received: 3, accepted: 3, duplicates: 0, rejected: 0 });
    expect((after.acceptedByKind['traffic'] ?? 0) - (before.acceptedByKind['traffic'] ?? 0)).toBe(3);
    expect((after.acceptedByKind['air'] ?? 0) - (before.acceptedByKind['air'] ?? 0)).toBe(2);
    expect(after.total.accepted - before.total.accepted).toBe(5);
    expect(after.store.written - before.store.written).toBe(5);
  });

  it('ingests a gateway message carrying readings of several sensors', async () => {
    const [sa, air, sb] = [take(trafficA), take(airA), take(trafficB)];
    const city = recordLive((await connect({ kind: 'city' })).socket);
    const before = await ingestStats(server.url);
    const t = nextTs();
    const readings: ReadingInput[] = [
      traffic(sa.id, t, 27),
      { sensorId: air.id, observedAt: t, values: { pm25: 88, pm10: 120, co: 1.2 } },
      traffic(sb.id, t, 63),
    ];

    await publishJson(mqtt, testGatewayTopic(server.mqttUrl), readings);

    for (const r of readings) {
      expect(await city.waitForReading(r.sensorId, t)).toEqual(r);
      const metric = Object.keys(r.values)[0]!;
      const h = await history(server.url, r.sensorId, { metric, from: t, to: t + 1, resolution: 'raw' });
      expect(h.points).toEqual([
        { t, min: r.values[metric], avg: r.values[metric], max: r.values[metric], count: 1 },
      ]);
    }
    const after = await ingestStats(server.url);
    expect(after.byPath.mqtt.accepted - before.byPath.mqtt.accepted).toBe(3);
    expect(after.byPath.mqtt.payloads - before.byPath.mqtt.payloads).toBe(1);
  });

  it("moves a client to a grid cell with scope:set, then pushes only that cell's readings", async () => {
    // A cell of district A with a traffic detector, and a detector of A outside it.
    const inCell = take(trafficA);
    const cellId = inCell.gridCellId!;
    const outside = trafficA.find((s) => s.gridCellId !== cellId)!;
    trafficA.splice(trafficA.indexOf(outside), 1);
    const tBefore = nextTs();
    await postReadings(server.url, [traffic(inCell.id, tBefore, 33)]);
    const { socket } = await connect({ kind: 'district', id: DISTRICT_A });

    const ack = await setScope(socket, { kind: 'cell', id: cellId });
    if (!ack.ok) throw new Error(`scope:set refused: ${ack.error.code}`);
    const cellSensors = (await listSensors(server.url, { gridCellId: cellId })).map((s) => s.id).sort();
    expect(ack.data.scope).toEqual({ kind: 'cell', id: cellId });
    expect(ack.data.sensors.every((s) => s.gridCellId === cellId)).toBe(true);
    expect(ack.data.sensors.map((s) => s.id).sort()).toEqual(cellSensors);
    expect(ack.data.latest.every((l) => cellSensors.includes(l.sensorId))).toBe(true);
    expect(ack.data.latest).toContainEqual(traffic(inCell.id, tBefore, 33));

    const live = recordLive(socket);
    const [tOut, tIn] = [nextTs(), nextTs()];
    await postReadings(server.url, [traffic(outside.id, tOut, 45)]);
    await publishJson(mqtt, readingsTopic(inCell.id), traffic(inCell.id, tIn, 34));
    await live.waitForReading(inCell.id, tIn);
    expect(live.count(outside.id, tOut)).toBe(0);
    expect(live.batches.every((b) => b.room === `cell:${cellId}`)).toBe(true);
  });

  it('refuses scope:set to an unknown district with not_found and keeps the client in its scope', async () => {
    const s = take(trafficA);
    const { socket } = await connect({ kind: 'district', id: DISTRICT_A });
    const live = recordLive(socket);

    const ack = await setScope(socket, { kind: 'district', id: '999999' });
    expect(ack).toEqual({ ok: false, error: { code: 'not_found', message: expect.any(String) } });

    const t = nextTs();
    await postReadings(server.url, [traffic(s.id, t, 39)]);
    expect(await live.waitForReading(s.id, t)).toEqual(traffic(s.id, t, 39));
  });

  it('refuses a malformed scope:set with invalid_request', async () => {
    const { socket } = await connect({ kind: 'city' });
    for (const bad of [{ kind: 'district', id: 'west-lake' }, { kind: 'planet' }, 'city']) {
      const ack = await setScope(socket, bad);
      expect(ack).toEqual({ ok: false, error: { code: 'invalid_request', message: expect.any(String) } });
    }
  });

  it("sends on connect a snapshot of the scope's sensors and their latest values", async () => {
    const [s1, air, sb] = [take(trafficA), take(airA), take(trafficB)];
    const t = nextTs();
    const airReading = { sensorId: air.id, observedAt: t, values: { pm25: 12, pm10: 30, no2: 25 } };
    await postReadings(server.url, [traffic(s1.id, t, 48), airReading, traffic(sb.id, t, 55)]);

    const { snapshot } = await connect({ kind: 'district', id: DISTRICT_A });

    expect(snapshot).toMatchObject({ v: 'v1', scope: { kind: 'district', id: DISTRICT_A }, openAlerts: [] });
    expect(snapshot.sensors.map((s) => s.id).sort()).toEqual([...sensorsOfA].sort());
    expect(snapshot.latest.every((l) => sensorsOfA.has(l.sensorId))).toBe(true);
    expect(snapshot.latest).toContainEqual(traffic(s1.id, t, 48));
    expect(snapshot.latest).toContainEqual(airReading);
    expect(snapshot.latest.some((l) => l.sensorId === sb.id)).toBe(false);
  });

  it('stores a reading repeated over MQTT and HTTP once and pushes it once', async () => {
    const [s, marker] = [take(trafficA), take(trafficA)];
    const live = recordLive((await connect({ kind: 'district', id: DISTRICT_A })).socket);
    const before = await ingestStats(server.url);
    const t = nextTs();
    const reading = traffic(s.id, t, 42);

    await publishJson(mqtt, readingsTopic(s.id), reading);
    await live.waitForReading(s.id, t);
    await publishJson(mqtt, readingsTopic(s.id), reading);
    const again = await postJson(`${server.url}/api/v1/readings`, { readings: [reading] });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ accepted: 1, duplicates: 1, rejected: [] });

    // A later reading: once it is pushed, any second push of the duplicate would have been too.
    const tm = nextTs();
    await postReadings(server.url, [traffic(marker.id, tm, 40)]);
    await live.waitForReading(marker.id, tm);
    expect(live.count(s.id, t)).toBe(1);

    const h = await history(server.url, s.id, { metric: 'speed', from: t, to: t + 1, resolution: 'raw' });
    expect(h.points).toEqual([{ t, min: 42, avg: 42, max: 42, count: 1 }]);
    const after = await ingestStats(server.url);
    expect(after.byPath.mqtt.duplicates - before.byPath.mqtt.duplicates).toBe(1);
    expect(after.byPath.http.duplicates - before.byPath.http.duplicates).toBe(1);
    expect(after.store.written - before.store.written).toBe(2);
  });

  describe('history of 200 readings over 100 minutes', () => {
    // Readings 30 s apart starting 15 s into a 5-minute boundary, so 5-minute buckets hold 10 each.
    const FIVE_MINUTES = 5 * MINUTE;
    const start = Math.floor((Date.now() - 105 * MINUTE) / FIVE_MINUTES) * FIVE_MINUTES;
    const series = (sensorId: string): ReadingInput[] =>
      Array.from({ length: 200 }, (_, i) =>
        traffic(sensorId, start + 15_000 + i * 30_000, 20 + ((i * 7) % 50)),
      );
    const speedSum = (readings: ReadingInput[]) => readings.reduce((sum, r) => sum + r.values['speed']!, 0);

    it('merges raw readings into at most maxPoints buckets that keep min, avg, max and count', async () => {
      const s = take(trafficA);
      const readings = series(s.id);
      expect(await postReadings(server.url, readings)).toEqual({
        accepted: 200,
        duplicates: 0,
        rejected: [],
      });

      const h = await history(server.url, s.id, {
        metric: 'speed',
        from: start,
        to: start + 100 * MINUTE - 1,
        maxPoints: 20,
      });

      expect(h.resolution).toBe('raw');
      expect(h.bucketMs).toBeGreaterThan(0);
      expect(h.points.length).toBeLessThanOrEqual(20);
      for (const p of h.points) {
        expect(p.count).toBeGreaterThan(1);
        expect(p.min).toBeLessThanOrEqual(p.avg);
        expect(p.avg).toBeLessThanOrEqual(p.max);
      }
      expect(h.points.reduce((n, p) => n + p.count, 0)).toBe(200);
      expect(h.points.reduce((sum, p) => sum + p.avg * p.count, 0)).toBeCloseTo(speedSum(readings), 6);
    });

    it('serves 1-minute rollups holding every reading once the rollups are flushed', async () => {
      const s = take(trafficA);
      const readings = series(s.id);
      await postReadings(server.url, readings);
      await server.store.flushRollups();

      const h = await history(server.url, s.id, {
        metric: 'speed',
        from: start,
        to: start + 100 * MINUTE - 1,
        resolution: '1m',
      });

      expect(h.resolution).toBe('1m');
      expect(h.points).toHaveLength(100);
      expect(h.points.every((p) => p.t % MINUTE === 0 && p.count === 2)).toBe(true);
      expect(h.points.reduce((n, p) => n + p.count, 0)).toBe(200);
      const firstMinute = readings.slice(0, 2).map((r) => r.values['speed']!);
      expect(h.points[0]).toMatchObject({
        t: start,
        min: Math.min(...firstMinute),
        max: Math.max(...firstMinute),
      });
      expect(h.points.reduce((sum, p) => sum + p.avg * p.count, 0)).toBeCloseTo(speedSum(readings), 6);
    });

    it('keeps to maxPoints when the range is a whole number of buckets', async () => {
      const s = take(trafficA);
      // 201 readings from the first to the last instant of a 100-minute range; 20 buckets of 5 minutes span it exactly.
      const readings = Array.from({ length: 201 }, (_, i) => traffic(s.id, start + i * 30_000, 30));
      await postReadings(server.url, readings);

      const h = await history(server.url, s.id, {
        metric: 'speed',
        from: start,
        to: start + 100 * MINUTE,
        maxPoints: 20,
      });

      expect(h.points.length).toBeLessThanOrEqual(20);
      expect(h.points.reduce((n, p) => n + p.count, 0)).toBe(201);
    });
  });

  it('pushes every reading of a burst larger than one batch to a city client', async () => {
    const t = nextTs();
    const burst = (await listSensors(server.url))
      .slice(0, 1200)
      .map((s) => ({ sensorId: s.id, observedAt: t, values: { [s.metrics[0]!.metric]: 0 } }));
    const city = recordLive((await connect({ kind: 'city' })).socket);

    expect(await postReadings(server.url, burst)).toEqual({ accepted: 1200, duplicates: 0, rejected: [] });

    const pushed = () =>
      new Set(
        city
          .items()
          .filter((i) => i.observedAt === t)
          .map((i) => i.sensorId),
      );
    await expect.poll(() => pushed().size, { timeout: 10_000 }).toBe(1200);
    expect(city.batches.every((b) => b.items.length <= 1000)).toBe(true);
  });
});
