import { connect } from 'node:net';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_READINGS_PER_BATCH } from '../../../shared/schemas/reading.schema';
import { SensorSchema } from '../../../shared/schemas/sensor.schema';
import { readingsTopic, REJECTIONS_TOPIC_PREFIX } from '../../../shared/version';
import {
  BAD_READINGS,
  MALFORMED_JSON,
  NOT_READINGS,
  freshTime,
  goodReading,
  readingsBatch,
} from '../../helpers/badPayloads';
import { expectReady, ingestStats, latestOf, rawHistory, rejectionDelta } from '../../helpers/ingestChecks';
import { startTestServer, waitFor, type TestServer } from '../../helpers/server';
import { deviceFor, testGatewayTopic } from '../../helpers/auth';
import {
  connectMqtt,
  watchRejections,
  type RejectionReport,
  type RejectionWatcher,
} from '../../helpers/mqtt';

/**
 * A device publishing readings (QoS 1: the PUBACK comes once the platform
 * dealt with the message) and a second client watching the rejection reports.
 */
class MqttRig {
  private constructor(
    readonly server: TestServer,
    private readonly device: MqttClient,
    private readonly watcher: RejectionWatcher,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<MqttRig> {
    const server = await startTestServer(env);
    const device = await connectMqtt(server.mqttUrl);
    const watcher = await watchRejections(server.mqttUrl);
    return new MqttRig(server, device, watcher);
  }

  get url(): string {
    return this.server.url;
  }

  /** Publish with QoS 1 and resolve on the PUBACK; forgets the reports seen so far unless told to keep them. */
  async publish(topic: string, payload: string, { keepReports = false } = {}): Promise<void> {
    if (!keepReports) this.watcher.reports.length = 0;
    await this.device.publishAsync(topic, payload, { qos: 1 });
  }

  /** The next rejection report published on `topic`. */
  report(topic: string): Promise<RejectionReport> {
    return waitFor(
      () => this.watcher.reports.find((r) => r.topic === topic)?.report,
      5000,
      `a report on ${topic}`,
    );
  }

  /** Reports received since the last publish. */
  reportsSinceLastPublish(): readonly RejectionReport[] {
    return this.watcher.reports.map((r) => r.report);
  }

  /** The broker and server are ready, and a good reading published now is stored. */
  async expectStillAccepting(): Promise<void> {
    await expectReady(this.url);
    const reading = goodReading();
    await this.publish(readingsTopic(reading.sensorId), JSON.stringify(reading));
    expect(await latestOf(this.url, reading.sensorId)).toMatchObject({ observedAt: reading.observedAt });
  }

  async stop(): Promise<void> {
    await this.device.endAsync();
    await this.watcher.client.endAsync();
    await this.server.stop();
    this.server.cleanup();
  }
}

describe('MQTT publish with bad input', () => {
  let rig: MqttRig;
  beforeAll(async () => {
    rig = await MqttRig.start();
  });
  afterAll(() => rig?.stop());

  for (const bad of BAD_READINGS) {
    it(`refuses ${bad.what} as ${bad.reason}, reports it to the device, counts it, and keeps accepting`, async () => {
      const before = await ingestStats(rig.url);
      const topic = readingsTopic(bad.topicSensorId);

      await rig.publish(topic, bad.json(Date.now()));

      expect(await rig.report(`${REJECTIONS_TOPIC_PREFIX}${bad.topicSensorId}`)).toEqual({
        v: 'v1',
        topic,
        accepted: 0,
        rejected: [{ index: 0, reason: bad.reason, path: bad.path, message: expect.any(String) }],
      });
      expect(rejectionDelta(before, await ingestStats(rig.url))).toEqual({
        byReason: { [bad.reason]: 1 },
        http: 0,
        mqtt: 1,
      });
      await rig.expectStillAccepting();
    });
  }

  it('refuses a reading whose topic names another sensor as topic_mismatch, and keeps accepting', async () => {
    const before = await ingestStats(rig.url);
    const topic = readingsTopic('TRF-0001');

    await rig.publish(topic, JSON.stringify({ ...goodReading(), sensorId: 'TRF-0002' }));

    expect(await rig.report(`${REJECTIONS_TOPIC_PREFIX}TRF-0001`)).toEqual({
      v: 'v1',
      topic,
      accepted: 0,
      rejected: [{ index: 0, reason: 'topic_mismatch', path: 'sensorId', message: expect.any(String) }],
    });
    expect(rejectionDelta(before, await ingestStats(rig.url))).toEqual({
      byReason: { topic_mismatch: 1 },
      http: 0,
      mqtt: 1,
    });
    expect(await latestOf(rig.url, 'TRF-0002')).toBeUndefined();
    await rig.expectStillAccepting();
  });

  it('refuses a payload that is not JSON as malformed_json for the whole message, and keeps accepting', async () => {
    const before = await ingestStats(rig.url);
    const topic = readingsTopic('AQ-001');

    await rig.publish(topic, MALFORMED_JSON);

    expect(await rig.report(`${REJECTIONS_TOPIC_PREFIX}AQ-001`)).toEqual({
      v: 'v1',
      topic,
      accepted: 0,
      rejected: [{ index: -1, reason: 'malformed_json', path: '', message: expect.any(String) }],
    });
    expect(rejectionDelta(before, await ingestStats(rig.url))).toEqual({
      byReason: { malformed_json: 1 },
      http: 0,
      mqtt: 1,
    });
    await rig.expectStillAccepting();
  });

  for (const payload of NOT_READINGS) {
    it(`refuses the payload ${payload} as invalid_shape for the whole message, and keeps accepting`, async () => {
      const before = await ingestStats(rig.url);
      const topic = readingsTopic('AQ-001');

      await rig.publish(topic, payload);

      expect(await rig.report(`${REJECTIONS_TOPIC_PREFIX}AQ-001`)).toEqual({
        v: 'v1',
        topic,
        accepted: 0,
        rejected: [{ index: -1, reason: 'invalid_shape', path: '', message: expect.any(String) }],
      });
      expect(rejectionDelta(before, await ingestStats(rig.url))).toEqual({
        byReason: { invalid_shape: 1 },
        http: 0,
        mqtt: 1,
      });
      await rig.expectStillAccepting();
    });
  }

  it('refuses an array of 5001 readings as batch_too_large, counting every reading, and keeps accepting', async () => {
    const before = await ingestStats(rig.url);
    const topic = testGatewayTopic(rig.server.mqttUrl);

    await rig.publish(topic, JSON.stringify(readingsBatch(MAX_READINGS_PER_BATCH + 1)));

    expect(await rig.report(`${REJECTIONS_TOPIC_PREFIX}${deviceFor(rig.server.mqttUrl)!.gatewayId}`)).toEqual(
      {
        v: 'v1',
        topic,
        accepted: 0,
        rejected: [{ index: -1, reason: 'batch_too_large', path: '', message: expect.any(String) }],
      },
    );
    expect(rejectionDelta(before, await ingestStats(rig.url))).toEqual({
      byReason: { batch_too_large: MAX_READINGS_PER_BATCH + 1 },
      http: 0,
      mqtt: MAX_READINGS_PER_BATCH + 1,
    });
    await rig.expectStillAccepting();
  });

  it('stores the good readings of a mixed array and reports only the bad one', async () => {
    const before = await ingestStats(rig.url);
    const topic = readingsTopic('TRF-0001');
    const t1 = freshTime();
    const t2 = freshTime();
    const payload = `[
      {"sensorId":"TRF-0001","observedAt":${t1},"values":{"speed":51}},
      {"sensorId":"TRF-0001","observedAt":${t1 + 1},"values":{"speed":1e999}},
      {"sensorId":"TRF-0001","observedAt":${t2},"values":{"speed":52}}]`;

    await rig.publish(topic, payload);

    expect(await rig.report(`${REJECTIONS_TOPIC_PREFIX}TRF-0001`)).toEqual({
      v: 'v1',
      topic,
      accepted: 2,
      rejected: [{ index: 1, reason: 'non_finite', path: 'values.speed', message: expect.any(String) }],
    });
    expect(rejectionDelta(before, await ingestStats(rig.url))).toEqual({
      byReason: { non_finite: 1 },
      http: 0,
      mqtt: 1,
    });
    expect(await rawHistory(rig.url, 'TRF-0001', 'speed', t1, t2)).toEqual([
      { t: t1, value: 51 },
      { t: t2, value: 52 },
    ]);
  });

  it('reports the bad readings of a gateway message on the gateway rejection topic and stores the rest', async () => {
    const topic = testGatewayTopic(rig.server.mqttUrl);
    const t = freshTime();
    const payload = JSON.stringify([
      { sensorId: 'AQ-001', observedAt: t, values: { pm25: 18 } },
      { sensorId: 'TRF-0001', observedAt: t, values: { occupancy: 1.5 } },
      { sensorId: 'WL-0001', observedAt: t, values: { waterDepth: 4 } },
    ]);

    await rig.publish(topic, payload);

    expect(await rig.report(`${REJECTIONS_TOPIC_PREFIX}${deviceFor(rig.server.mqttUrl)!.gatewayId}`)).toEqual(
      {
        v: 'v1',
        topic,
        accepted: 2,
        rejected: [
          { index: 1, reason: 'out_of_range', path: 'values.occupancy', message: expect.any(String) },
        ],
      },
    );
    expect(await latestOf(rig.url, 'AQ-001')).toMatchObject({ observedAt: t, values: { pm25: 18 } });
    expect(await latestOf(rig.url, 'WL-0001')).toMatchObject({ observedAt: t, values: { waterDepth: 4 } });
  });

  it('publishes no report for a message whose readings are all accepted', async () => {
    const reading = goodReading();
    await rig.publish(readingsTopic('TRF-0001'), JSON.stringify(reading));
    // Reports reach the watcher in the order the broker publishes them: once the
    // report of this refused message is in, one for the good message would be too.
    await rig.publish(readingsTopic('TRF-0001'), MALFORMED_JSON, { keepReports: true });
    await rig.report(`${REJECTIONS_TOPIC_PREFIX}TRF-0001`);

    expect(rig.reportsSinceLastPublish().map((r) => r.rejected[0]?.reason)).toEqual(['malformed_json']);
    expect(await latestOf(rig.url, 'TRF-0001')).toMatchObject({ observedAt: reading.observedAt });
  });
});

describe('MQTT publish with MAX_PAYLOAD_BYTES=2048', () => {
  let rig: MqttRig;
  beforeAll(async () => {
    rig = await MqttRig.start({ MAX_PAYLOAD_BYTES: '2048' });
  });
  afterAll(() => rig?.stop());

  // Up to the packet bound (the payload limit + 64 KiB) the message is read, refused and reported.
  for (const bytes of [2049, 60_000]) {
    it(`refuses a ${bytes}-byte message as payload_too_large, counts it, and keeps accepting`, async () => {
      const before = await ingestStats(rig.url);
      const topic = readingsTopic('TRF-0001');
      const reading = JSON.stringify(goodReading());
      const payload = `[${reading}${' '.repeat(bytes - reading.length - 2)}]`;
      expect(Buffer.byteLength(payload)).toBe(bytes);

      await rig.publish(topic, payload);

      expect(await rig.report(`${REJECTIONS_TOPIC_PREFIX}TRF-0001`)).toEqual({
        v: 'v1',
        topic,
        accepted: 0,
        rejected: [{ index: -1, reason: 'payload_too_large', path: '', message: expect.any(String) }],
      });
      expect(rejectionDelta(before, await ingestStats(rig.url))).toEqual({
        byReason: { payload_too_large: 1 },
        http: 0,
        mqtt: 1,
      });
      await rig.expectStillAccepting();
    });
  }

  it('closes the connection of a packet announced larger than the bound before buffering it, and counts it', async () => {
    const before = await ingestStats(rig.url);
    // A CONNECT announcing 200 MB, from a client that never signs in: a few bytes, then silence.
    const socket = connect(Number(new URL(rig.server.mqttUrl).port), '127.0.0.1');
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => {});
    const remaining = 200 * 1024 * 1024;
    const length: number[] = [];
    for (let n = remaining; n > 0; n = Math.floor(n / 128)) length.push((n % 128) | (n >= 128 ? 0x80 : 0));
    socket.write(Buffer.from([0x10, ...length, 0x00, 0x04, 0x4d, 0x51]));
    await closed;
    expect(rejectionDelta(before, await ingestStats(rig.url))).toEqual({
      byReason: { payload_too_large: 1 },
      http: 0,
      mqtt: 1,
    });
    // A signed-in device's oversized PUBLISH: its connection goes; reconnected, it publishes again.
    const device = await connectMqtt(rig.server.mqttUrl);
    const gone = new Promise<void>((resolve) => device.once('close', () => resolve()));
    device.publish(readingsTopic('TRF-0001'), Buffer.alloc(200_000, 0x20), { qos: 1 });
    await gone;
    await device.endAsync(true);
    expect(rejectionDelta(before, await ingestStats(rig.url))).toEqual({
      byReason: { payload_too_large: 2 },
      http: 0,
      mqtt: 2,
    });
    await rig.expectStillAccepting();
  });
});

describe('MQTT publish with AUTO_REGISTER_SENSORS=true', () => {
  let rig: MqttRig;
  beforeAll(async () => {
    rig = await MqttRig.start({ AUTO_REGISTER_SENSORS: 'true' });
  });
  afterAll(() => rig?.stop());

  it('accepts a reading of an unknown sensor and registers it with the kind its metrics suggest', async () => {
    const before = await ingestStats(rig.url);
    const observedAt = freshTime();

    await rig.publish(
      readingsTopic('WL-NEW-1'),
      JSON.stringify({ sensorId: 'WL-NEW-1', observedAt, values: { waterDepth: 12 } }),
    );

    expect(await latestOf(rig.url, 'WL-NEW-1')).toMatchObject({ observedAt, values: { waterDepth: 12 } });
    expect(rejectionDelta(before, await ingestStats(rig.url))).toEqual({ byReason: {}, http: 0, mqtt: 0 });
    expect(rig.reportsSinceLastPublish()).toEqual([]);
    const res = await fetch(`${rig.url}/api/v1/sensors/WL-NEW-1`);
    expect(res.status).toBe(200);
    expect(SensorSchema.parse(await res.json())).toMatchObject({
      id: 'WL-NEW-1',
      autoRegistered: true,
      kind: 'grid-event',
      subtype: 'waterlogging',
      metrics: [{ metric: 'waterDepth', unit: 'cm' }],
    });
  });
});
