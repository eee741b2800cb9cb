import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceFor, rawFetch } from '../../helpers/auth';
import { ingestStats } from '../../helpers/ingestChecks';
import { startTestServer, type TestServer } from '../../helpers/server';

describe('hardening', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ INGEST_HTTP_REQUESTS_PER_SEC: '2' });
  });

  afterAll(async () => {
    await server.stop();
    server.cleanup();
  });

  it('sends security headers with a Content-Security-Policy that forbids inline scripts and framing', async () => {
    const res = await rawFetch(`${server.url}/api/health`);
    await res.arrayBuffer();
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toContain("frame-ancestors 'none'");
    // Plain HTTP (COOKIE_SECURE off): no upgrade of requests, no HSTS.
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(res.headers.get('strict-transport-security')).toBeNull();
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('sends no CORS headers to another origin', async () => {
    const res = await rawFetch(`${server.url}/api/health`, { headers: { origin: 'https://evil.example' } });
    await res.arrayBuffer();
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('limits HTTP ingest per device with 429 and Retry-After, and counts the refusals', async () => {
    const before = await ingestStats(server.url);
    const key = deviceFor(server.mqttUrl)!.apiKey;
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 8; i++) {
      const res = await rawFetch(`${server.url}/api/v1/readings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-device-key': key },
        body: JSON.stringify({
          readings: [
            { sensorId: 'TRF-0001', observedAt: Date.now() - 10_000 - i, values: { speed: 30 + i } },
          ],
        }),
      });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
      await res.arrayBuffer();
    }
    expect(statuses.filter((s) => s === 200).length, JSON.stringify(statuses)).toBeGreaterThanOrEqual(1);
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    const after = await ingestStats(server.url);
    expect(after.rejectedByReason.rate_limited - before.rejectedByReason.rate_limited).toBe(
      statuses.filter((s) => s === 429).length,
    );
  });
});
