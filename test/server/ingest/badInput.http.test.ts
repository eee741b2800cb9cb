import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestResultSchema } from '../../../shared/schemas/ingest.schema';
import { MAX_READINGS_PER_BATCH } from '../../../shared/schemas/reading.schema';
import { SensorSchema } from '../../../shared/schemas/sensor.schema';
import {
  BAD_READINGS,
  MALFORMED_JSON,
  NOT_READING_BODIES,
  freshTime,
  goodReading,
  readingsBatch,
} from '../../helpers/badPayloads';
import {
  expectReady,
  ingestStats,
  latestOf,
  readApiError,
  rawHistory,
  rejectionDelta,
} from '../../helpers/ingestChecks';
import { startTestServer, type TestServer } from '../../helpers/server';

/** POST raw text to /api/v1/readings. */
function post(server: TestServer, body: string, contentType = 'application/json'): Promise<Response> {
  return fetch(`${server.url}/api/v1/readings`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
}

/** The server is ready and stores a good reading right after the bad input. */
async function expectStillAccepting(server: TestServer): Promise<void> {
  await expectReady(server.url);
  const reading = goodReading();
  const res = await post(server, JSON.stringify({ readings: [reading] }));
  expect(res.status).toBe(200);
  expect(IngestResultSchema.parse(await res.json())).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
  expect(await latestOf(server.url, reading.sensorId)).toMatchObject({ observedAt: reading.observedAt });
}

async function stopped(server: TestServer | undefined): Promise<void> {
  if (!server) return;
  await server.stop();
  server.cleanup();
}

describe('POST /api/v1/readings with bad input', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => stopped(server));

  for (const bad of BAD_READINGS) {
    it(`refuses ${bad.what} with 422 and ${bad.reason}, counts it, and keeps accepting`, async () => {
      const before = await ingestStats(server.url);

      const res = await post(server, `{"readings":[${bad.json(Date.now())}]}`);

      expect(res.status).toBe(422);
      const { error } = await readApiError(res);
      expect(error.code).toBe('invalid_request');
      expect(error.details).toEqual([
        {
          path: ['readings.0', bad.path].filter(Boolean).join('.'),
          reason: bad.reason,
          message: expect.any(String),
        },
      ]);
      expect(rejectionDelta(before, await ingestStats(server.url))).toEqual({
        byReason: { [bad.reason]: 1 },
        http: 1,
        mqtt: 0,
      });
      await expectStillAccepting(server);
    });
  }

  it('refuses a body that is not JSON with 400 malformed_json, counts it, and keeps accepting', async () => {
    const before = await ingestStats(server.url);

    const res = await post(server, MALFORMED_JSON);

    expect(res.status).toBe(400);
    const { error } = await readApiError(res);
    expect(error.code).toBe('malformed_json');
    expect(error.details).toEqual([{ path: '', reason: 'malformed_json', message: expect.any(String) }]);
    expect(rejectionDelta(before, await ingestStats(server.url))).toEqual({
      byReason: { malformed_json: 1 },
      http: 1,
      mqtt: 0,
    });
    await expectStillAccepting(server);
  });

  for (const body of NOT_READING_BODIES) {
    it(`refuses the body ${body} with 400 invalid_shape naming readings, counts it, and keeps accepting`, async () => {
      const before = await ingestStats(server.url);

      const res = await post(server, body);

      expect(res.status).toBe(400);
      const { error } = await readApiError(res);
      expect(error.code).toBe('invalid_request');
      expect(error.details).toEqual([
        { path: 'readings', reason: 'invalid_shape', message: expect.any(String) },
      ]);
      expect(rejectionDelta(before, await ingestStats(server.url))).toEqual({
        byReason: { invalid_shape: 1 },
        http: 1,
        mqtt: 0,
      });
      await expectStillAccepting(server);
    });
  }

  it('refuses a batch of 5001 readings with 413 batch_too_large, counting every reading, and keeps accepting', async () => {
    const before = await ingestStats(server.url);

    const res = await post(server, JSON.stringify({ readings: readingsBatch(MAX_READINGS_PER_BATCH + 1) }));

    expect(res.status).toBe(413);
    const { error } = await readApiError(res);
    expect(error.code).toBe('payload_too_large');
    expect(error.details).toEqual([
      { path: 'readings', reason: 'batch_too_large', message: expect.any(String) },
    ]);
    expect(rejectionDelta(before, await ingestStats(server.url))).toEqual({
      byReason: { batch_too_large: MAX_READINGS_PER_BATCH + 1 },
      http: MAX_READINGS_PER_BATCH + 1,
      mqtt: 0,
    });
    await expectStillAccepting(server);
  });

  it('accepts a batch of exactly 5000 readings', async () => {
    const res = await post(server, JSON.stringify({ readings: readingsBatch(MAX_READINGS_PER_BATCH) }));

    expect(res.status).toBe(200);
    expect(IngestResultSchema.parse(await res.json())).toEqual({
      accepted: MAX_READINGS_PER_BATCH,
      duplicates: 0,
      rejected: [],
    });
  });

  for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
    it(`refuses and counts a ${contentType} body with 415 and keeps accepting`, async () => {
      const before = await ingestStats(server.url);
      const res = await post(server, JSON.stringify({ readings: [goodReading()] }), contentType);

      expect(res.status).toBe(415);
      const { error } = await readApiError(res);
      expect(error.code).toBe('unsupported_media_type');
      expect(error.details[0]?.reason).toBe('unsupported_media_type');
      expect(rejectionDelta(before, await ingestStats(server.url))).toEqual({
        byReason: { unsupported_media_type: 1 },
        http: 1,
        mqtt: 0,
      });
      await expectStillAccepting(server);
    });
  }

  for (const [what, encoding, body, status, reason] of [
    ['an unknown content encoding', 'x-fuzz', Buffer.from('{}'), 415, 'unsupported_media_type'],
    ['gzip data that is not gzip', 'gzip', Buffer.from('{"readings":[]}'), 400, 'malformed_json'],
    [
      'truncated brotli data',
      'br',
      brotliCompressSync(Buffer.from('{"readings":[1,2,3]}')).subarray(0, 3),
      400,
      'malformed_json',
    ],
  ] as const) {
    it(`refuses and counts a body with ${what} (${status} ${reason}), and keeps accepting`, async () => {
      const before = await ingestStats(server.url);
      const res = await fetch(`${server.url}/api/v1/readings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': encoding },
        body,
      });

      expect(res.status).toBe(status);
      const { error } = await readApiError(res);
      expect(error.details).toEqual([{ path: '', reason, message: expect.stringContaining(encoding) }]);
      expect(rejectionDelta(before, await ingestStats(server.url))).toEqual({
        byReason: { [reason]: 1 },
        http: 1,
        mqtt: 0,
      });
      await expectStillAccepting(server);
    });
  }

  it('reads a gzip-compressed body like a plain one', async () => {
    const reading = goodReading();
    const res = await fetch(`${server.url}/api/v1/readings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ readings: [reading] })),
    });

    expect(res.status).toBe(200);
    expect(IngestResultSchema.parse(await res.json())).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    expect(await latestOf(server.url, reading.sensorId)).toMatchObject({ observedAt: reading.observedAt });
  });

  it('stores the good readings of a mixed batch and lists each bad one with index, reason, path and message', async () => {
    const before = await ingestStats(server.url);
    const t1 = freshTime();
    const t2 = freshTime();
    const body = {
      readings: [
        { sensorId: 'TRF-0001', observedAt: t1, values: { speed: 31 } },
        { sensorId: 'AQ-001', observedAt: t1, values: { pm25: '12' } },
        { sensorId: 'TRF-0001', observedAt: t2, values: { speed: 32 } },
        { sensorId: 'TRF-0001', observedAt: t2 + 1, values: { occupancy: 1.5 } },
      ],
    };

    const res = await post(server, JSON.stringify(body));

    expect(res.status).toBe(200);
    expect(IngestResultSchema.parse(await res.json())).toEqual({
      accepted: 2,
      duplicates: 0,
      rejected: [
        { index: 1, reason: 'invalid_field', path: 'values.pm25', message: expect.any(String) },
        { index: 3, reason: 'out_of_range', path: 'values.occupancy', message: expect.any(String) },
      ],
    });
    expect(rejectionDelta(before, await ingestStats(server.url))).toEqual({
      byReason: { invalid_field: 1, out_of_range: 1 },
      http: 2,
      mqtt: 0,
    });
    expect(await rawHistory(server.url, 'TRF-0001', 'speed', t1, t2)).toEqual([
      { t: t1, value: 31 },
      { t: t2, value: 32 },
    ]);
  });

  it('answers a batch with no good reading with 422 whose details name each reading path and reason', async () => {
    const before = await ingestStats(server.url);
    const now = Date.now();
    const body = `{"readings":[
      {"sensorId":"TRF-0001","observedAt":${now},"values":{"occupancy":1.5}},
      {"sensorId":"AQ-001","observedAt":${now},"values":{"pm25":"12"}},
      {"sensorId":"AQ-001","observedAt":${now},"values":{"pm25":1e999}}]}`;

    const res = await post(server, body);

    expect(res.status).toBe(422);
    const { error } = await readApiError(res);
    expect(error.code).toBe('invalid_request');
    expect(error.details).toEqual([
      { path: 'readings.0.values.occupancy', reason: 'out_of_range', message: expect.any(String) },
      { path: 'readings.1.values.pm25', reason: 'invalid_field', message: expect.any(String) },
      { path: 'readings.2.values.pm25', reason: 'non_finite', message: expect.any(String) },
    ]);
    expect(rejectionDelta(before, await ingestStats(server.url))).toEqual({
      byReason: { out_of_range: 1, invalid_field: 1, non_finite: 1 },
      http: 3,
      mqtt: 0,
    });
    await expectStillAccepting(server);
  });
});

describe('POST /api/v1/readings with MAX_PAYLOAD_BYTES=2048', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ MAX_PAYLOAD_BYTES: '2048' });
  });
  afterAll(() => stopped(server));

  // Just over the limit, and far over it (where the body is not even read to the end).
  for (const bytes of [2049, 50_000]) {
    it(`refuses a ${bytes}-byte body with 413 payload_too_large, counts it, and keeps accepting`, async () => {
      const before = await ingestStats(server.url);
      const reading = JSON.stringify(goodReading());
      const body = `{"readings":[${reading}],"pad":"${'x'.repeat(bytes - reading.length - 24)}"}`;
      expect(Buffer.byteLength(body)).toBe(bytes);

      const res = await post(server, body);

      expect(res.status).toBe(413);
      const { error } = await readApiError(res);
      expect(error.code).toBe('payload_too_large');
      expect(error.details).toEqual([{ path: '', reason: 'payload_too_large', message: expect.any(String) }]);
      expect(rejectionDelta(before, await ingestStats(server.url))).toEqual({
        byReason: { payload_too_large: 1 },
        http: 1,
        mqtt: 0,
      });
      await expectStillAccepting(server);
    });
  }
});

describe('POST /api/v1/readings with AUTO_REGISTER_SENSORS=true', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ AUTO_REGISTER_SENSORS: 'true' });
  });
  afterAll(() => stopped(server));

  it('accepts a reading of an unknown sensor and registers it with the kind its metrics suggest', async () => {
    const before = await ingestStats(server.url);
    const observedAt = freshTime();

    const res = await post(
      server,
      JSON.stringify({ readings: [{ sensorId: 'AQ-NEW-1', observedAt, values: { pm25: 35 } }] }),
    );

    expect(res.status).toBe(200);
    expect(IngestResultSchema.parse(await res.json())).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    expect(rejectionDelta(before, await ingestStats(server.url))).toEqual({ byReason: {}, http: 0, mqtt: 0 });
    const sensorRes = await fetch(`${server.url}/api/v1/sensors/AQ-NEW-1`);
    expect(sensorRes.status).toBe(200);
    expect(SensorSchema.parse(await sensorRes.json())).toMatchObject({
      id: 'AQ-NEW-1',
      autoRegistered: true,
      kind: 'air',
      subtype: 'aq-station',
      metrics: [{ metric: 'pm25', unit: 'µg/m³' }],
      location: null,
    });
    expect(await latestOf(server.url, 'AQ-NEW-1')).toMatchObject({ observedAt, values: { pm25: 35 } });
  });

  it('still refuses a metric outside the catalog from an unknown sensor', async () => {
    const before = await ingestStats(server.url);

    const res = await post(
      server,
      JSON.stringify({
        readings: [{ sensorId: 'ODD-1', observedAt: freshTime(), values: { radiation: 3 } }],
      }),
    );

    expect(res.status).toBe(422);
    expect((await readApiError(res)).error.details).toEqual([
      { path: 'readings.0.values.radiation', reason: 'unknown_metric', message: expect.any(String) },
    ]);
    expect(rejectionDelta(before, await ingestStats(server.url))).toEqual({
      byReason: { unknown_metric: 1 },
      http: 1,
      mqtt: 0,
    });
    expect((await fetch(`${server.url}/api/v1/sensors/ODD-1`)).status).toBe(404);
  });
});
