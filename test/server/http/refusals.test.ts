import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { HttpRefusalsSchema } from '../../../shared/schemas/httpRefusals.schema';
import { routeKeyOf } from '../../../server/src/http/refusalCounting';
import { rawFetch } from '../../helpers/auth';
import { countsAdded, httpRefusals } from '../../helpers/cityOpsApi';
import { useTestServer } from '../../helpers/server';

describe('routeKeyOf', () => {
  it('names the ROUTE_ACCESS route a request addressed, with its parameters', () => {
    expect(routeKeyOf('GET', '/api/v1/sensors/AQ-001?x=1')).toBe('GET /api/v1/sensors/:id');
    expect(routeKeyOf('POST', '/api/v1/rules/')).toBe('POST /api/v1/rules');
    expect(routeKeyOf('HEAD', '/api/v1/sensors')).toBe('GET /api/v1/sensors');
    expect(routeKeyOf('GET', '/open311/v2/requests/330-17.json')).toBe('GET /open311/v2/requests/:id.json');
    expect(routeKeyOf('GET', '/open311/v2/requests/330-17.xml')).toBe('unmatched');
    expect(routeKeyOf('DELETE', '/api/v1/sensors')).toBe('unmatched');
    expect(routeKeyOf('GET', '/api/v1/sensors/a/b/c')).toBe('unmatched');
  });
});

describe('GET /api/v1/http/refusals', () => {
  const server = useTestServer();

  it('counts every refused request by status, reason and route, whichever handler refused it', async () => {
    const url = server().url;
    const before = await httpRefusals(url);

    // A rule that breaks its schema (the API's error handler).
    const badRule = await fetch(`${url}/api/v1/rules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'x', kind: 'threshold', params: { metric: 42 } }),
    });
    expect(badRule.status).toBe(400);
    // Body that is not JSON; an unknown route; no session.
    const notJson = await fetch(`${url}/api/v1/rules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"id":',
    });
    expect(notJson.status).toBe(400);
    expect((await fetch(`${url}/api/v1/spaceships`)).status).toBe(404);
    expect((await rawFetch(`${url}/api/v1/sensors`)).status).toBe(401);
    // Open311 answers in its own format.
    const open311 = await rawFetch(`${url}/open311/v2/requests.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'api_key=not-a-key&service_code=nope',
    });
    expect(open311.status).toBe(403);
    // Bytes Node's HTTP parser refuses before any route.
    const parser = await new Promise<string>((resolve, reject) => {
      const socket = connect(server().port, '127.0.0.1');
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
      socket.on('error', reject);
      socket.on('close', () => resolve(text));
      socket.end('GET /api/v1/sensors HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0000b\r\n\r\n', 'latin1');
    });
    expect(parser).toMatch(/^HTTP\/1\.1 400/);
    // A request that succeeds is not counted.
    expect((await fetch(`${url}/api/v1/sensors`)).status).toBe(200);

    const after = HttpRefusalsSchema.parse(await httpRefusals(url));
    expect(after.total - before.total).toBe(6);
    expect(countsAdded(before.byStatus, after.byStatus)).toEqual({ '400': 3, '401': 1, '403': 1, '404': 1 });
    expect(countsAdded(before.byReason, after.byReason)).toEqual({
      invalid_request: 2,
      malformed_json: 1,
      not_found: 1,
      unauthorized: 1,
      forbidden: 1,
    });
    const routes = Object.fromEntries(
      Object.entries(after.byRoute).map(([route, counts]) => [
        route,
        countsAdded(before.byRoute[route] ?? {}, counts),
      ]),
    );
    expect(routes).toMatchObject({
      'POST /api/v1/rules': { invalid_request: 1, malformed_json: 1 },
      unmatched: { not_found: 1 },
      'GET /api/v1/sensors': { unauthorized: 1 },
      'POST /open311/v2/requests.json': { forbidden: 1 },
      unparsed: { invalid_request: 1 },
    });
  });

  it('needs a session (and audit:read: the access matrix checks every role)', async () => {
    expect((await rawFetch(`${server().url}/api/v1/http/refusals`)).status).toBe(401);
  });
});
