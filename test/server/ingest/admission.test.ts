import { request, type ClientRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { IngestStats } from '../../../shared/schemas/ingest.schema';
import { deviceFor, rawFetch } from '../../helpers/auth';
import { connect } from 'mqtt';
import { connectMqtt, publishJson } from '../../helpers/mqtt';
import { getJson, useTestServer, waitFor } from '../../helpers/server';
import { readingsTopic } from '../../../shared/version';

const T0 = Date.now() - 60_000;

function body(observedAt: number): string {
  return JSON.stringify({ readings: [{ sensorId: 'AQ-001', observedAt, values: { pm25: 30 } }] });
}

/** A request whose headers are sent and whose body is not finished: it stays in progress. */
function heldRequest(
  url: string,
  apiKey: string,
  text: string,
): { req: ClientRequest; status: Promise<number> } {
  const req = request(`${url}/api/v1/readings`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      'x-device-key': apiKey,
    },
  });
  const status = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
  req.write(text.slice(0, 10));
  return { req, status };
}

describe('HTTP ingest admission (INGEST_HTTP_MAX_CONCURRENT)', () => {
  const server = useTestServer({ INGEST_HTTP_MAX_CONCURRENT: '2' });
  const post = (observedAt: number) =>
    rawFetch(`${server().url}/api/v1/readings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-device-key': deviceFor(server().mqttUrl)!.apiKey },
      body: body(observedAt),
    });

  it('refuses a request past the bound at once with 503 overloaded and Retry-After, counted, then admits again', async () => {
    const apiKey = deviceFor(server().mqttUrl)!.apiKey;
    const first = body(T0);
    const second = body(T0 + 1);
    const held = [heldRequest(server().url, apiKey, first), heldRequest(server().url, apiKey, second)];
    // Both held requests have reached the route (the admission counts them) before the third is sent.
    await new Promise((r) => setTimeout(r, 200));

    const refused = await post(T0 + 2);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    const err = (await refused.json()) as { error: { code: string; details: Array<{ reason: string }> } };
    expect(err.error.code).toBe('overloaded');
    expect(err.error.details[0]!.reason).toBe('overloaded');

    held[0]!.req.end(first.slice(10));
    held[1]!.req.end(second.slice(10));
    expect(await Promise.all(held.map((h) => h.status))).toEqual([200, 200]);

    // The slots are free again: the refused reading goes in when sent again.
    expect((await post(T0 + 2)).status).toBe(200);
    const stats = (await getJson<IngestStats>(`${server().url}/api/v1/ingest/stats`)).body;
    expect(stats.rejectedByReason['overloaded']).toBe(1);
    expect(stats.byPath.http.accepted).toBe(3);
  });

  it('frees the slot of a client that gives up mid-body', async () => {
    const apiKey = deviceFor(server().mqttUrl)!.apiKey;
    for (let i = 0; i < 3; i++) {
      const held = heldRequest(server().url, apiKey, body(T0 + 100 + i));
      held.status.catch(() => {});
      await new Promise((r) => setTimeout(r, 100));
      held.req.destroy();
    }
    await new Promise((r) => setTimeout(r, 200));
    expect((await post(T0 + 200)).status).toBe(200);
  });
});

/** The test gateway's credential of a broker, as mqtt.js options. */
function deviceOptions(mqttUrl: string) {
  const device = deviceFor(mqttUrl)!;
  return { username: device.username, password: device.password };
}

describe('MQTT connection cap (MQTT_MAX_CONNECTIONS)', () => {
  const server = useTestServer({ MQTT_MAX_CONNECTIONS: '3' });
  const stats = async () => (await getJson<IngestStats>(`${server().url}/api/v1/ingest/stats`)).body;

  it('closes connections past the cap at once, counts them, and takes new ones when one leaves', async () => {
    const before = (await stats()).mqttConnections!;
    expect(before).toMatchObject({ open: 0, max: 3 });
    const clients = await Promise.all([1, 2, 3].map(() => connectMqtt(server().mqttUrl)));
    // The fourth is closed before the broker reads its CONNECT.
    const fourth = connect(server().mqttUrl, { ...deviceOptions(server().mqttUrl), reconnectPeriod: 0 });
    const outcome = await new Promise<string>((resolve) => {
      fourth.once('connect', () => resolve('connected'));
      fourth.once('close', () => resolve('closed'));
    });
    fourth.end(true);
    expect(outcome).toBe('closed');
    expect((await stats()).mqttConnections).toEqual({ open: 3, max: 3, refused: before.refused + 1 });

    // One leaves: the next device gets its place and can publish.
    await clients[0]!.endAsync();
    await waitFor(async () => (await stats()).mqttConnections!.open === 2, 5000, 'the connection to close');
    const next = await connectMqtt(server().mqttUrl);
    await publishJson(next, readingsTopic('AQ-001'), {
      sensorId: 'AQ-001',
      observedAt: T0 + 5,
      values: { pm25: 31 },
    });
    expect((await stats()).mqttConnections).toEqual({ open: 3, max: 3, refused: before.refused + 1 });
    await Promise.all([next, ...clients.slice(1)].map((c) => c.endAsync()));
  });
});
