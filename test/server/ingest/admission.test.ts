import { request, type ClientRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { IngestStats } from '../../../shared/schemas/ingest.schema';
import { deviceFor, rawFetch } from '../../helpers/auth';
import { getJson, useTestServer } from '../../helpers/server';

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
