import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { readApiError } from '../../helpers/ingestChecks';
import { useTestServer } from '../../helpers/server';

describe('HTTP error bodies', () => {
  const server = useTestServer();

  /** Request `path` and read the error body, checking its status. */
  async function errorOf(path: string, status: number, init: RequestInit = {}) {
    const res = await fetch(`${server().url}${path}`, init);
    expect(res.status, path).toBe(status);
    return (await readApiError(res)).error;
  }

  it('answers an unknown API route with 404 not_found naming it', async () => {
    const error = await errorOf('/api/v1/spaceships', 404);
    expect(error).toEqual({
      code: 'not_found',
      message: expect.stringContaining('/api/v1/spaceships'),
      details: [],
    });
  });

  it('answers an unknown method on a known API path with 404 not_found', async () => {
    const error = await errorOf('/api/v1/sensors', 404, { method: 'DELETE' });
    expect(error.code).toBe('not_found');
    expect(error.message).toContain('DELETE');
  });

  it('answers a route outside the API with a JSON 404 when no client is built', async () => {
    expect((await errorOf('/no-such-page', 404)).code).toBe('not_found');
    expect((await errorOf('/', 404)).code).toBe('not_found');
  });

  it('answers a POST outside the API with a JSON 404', async () => {
    const error = await errorOf('/upload', 404, { method: 'POST', body: 'x' });
    expect(error.code).toBe('not_found');
  });

  it.each([
    ['/api/v1/sensors?limit=0', 'limit'],
    ['/api/v1/sensors?limit=5001', 'limit'],
    ['/api/v1/sensors?offset=-1', 'offset'],
    ['/api/v1/sensors?kind=spaceship', 'kind'],
    ['/api/v1/sensors?districtId=hz', 'districtId'],
    ['/api/v1/grid-cells?limit=abc', 'limit'],
    ['/api/v1/readings/latest?gridCellId=42', 'gridCellId'],
  ])('answers %s with 400 invalid_request naming %s', async (path, field) => {
    const error = await errorOf(path, 400);
    expect(error.code).toBe('invalid_request');
    expect(error.details).toEqual([{ path: field, message: expect.any(String) }]);
  });

  it('answers an unknown query parameter with 400 naming it', async () => {
    const error = await errorOf('/api/v1/sensors?colour=red', 400);
    expect(error.code).toBe('invalid_request');
    expect(error.details).toEqual([{ path: 'colour', message: expect.stringContaining('colour') }]);
  });

  it('names every bad query parameter at once', async () => {
    const error = await errorOf('/api/v1/sensors?limit=0&kind=spaceship', 400);
    expect(error.details.map((d) => d.path).sort()).toEqual(['kind', 'limit']);
  });

  it('answers history of a metric the sensor does not report with 400 naming metric', async () => {
    const error = await errorOf('/api/v1/sensors/TRF-0001/history?metric=pm25', 400);
    expect(error).toEqual({
      code: 'invalid_request',
      message: expect.stringContaining('pm25'),
      details: [{ path: 'metric', message: expect.any(String) }],
    });
  });

  it.each([
    ['/api/v1/sensors/TRF-0001/history', 'metric'],
    ['/api/v1/sensors/TRF-0001/history?metric=speed&maxPoints=5', 'maxPoints'],
    ['/api/v1/sensors/TRF-0001/history?metric=speed&resolution=1d', 'resolution'],
    ['/api/v1/sensors/TRF-0001/history?metric=speed&from=yesterday', 'from'],
    [
      '/api/v1/sensors/TRF-0001/history?metric=speed&from=2026-11-21T09:00:00Z&to=2026-11-21T08:00:00Z',
      'from',
    ],
  ])('answers %s with 400 naming %s', async (path, field) => {
    const error = await errorOf(path, 400);
    expect(error.code).toBe('invalid_request');
    expect(error.details.map((d) => d.path)).toEqual([field]);
  });

  it('answers history of an unknown sensor with 404 not_found', async () => {
    const error = await errorOf('/api/v1/sensors/NOPE-404/history?metric=speed', 404);
    expect(error.code).toBe('not_found');
    expect(error.message).toContain('NOPE-404');
  });

  it.each(['/api/v1/sensors/NOPE-404', '/api/v1/districts/999999', '/api/v1/grid-cells/000000000000000'])(
    'answers %s with 404 not_found',
    async (path) => {
      expect((await errorOf(path, 404)).code).toBe('not_found');
    },
  );

  it('answers a path with broken percent-encoding with 400, not a crash', async () => {
    const error = await errorOf('/api/v1/sensors/%E0%A4%A', 400);
    expect(error.code).toBe('invalid_request');
  });

  it('answers a malformed JSON body with 400 malformed_json', async () => {
    const error = await errorOf('/api/v1/readings', 400, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"readings": [',
    });
    expect(error.code).toBe('malformed_json');
  });

  /** POST `body` to the management API's rules route (64 KB JSON limit). */
  const postRules = (body: string, headers: Record<string, string> = {}) =>
    errorOfPost('/api/v1/rules', body, { 'content-type': 'application/json', ...headers });
  async function errorOfPost(path: string, body: string, headers: Record<string, string>) {
    const res = await fetch(`${server().url}${path}`, { method: 'POST', headers, body });
    return { status: res.status, error: (await readApiError(res)).error };
  }

  it('names the whole body in the details of a body refused as a whole, without echoing it', async () => {
    expect(await postRules(`{"reason":"${'x'.repeat(70_000)}"}`)).toEqual({
      status: 413,
      error: {
        code: 'payload_too_large',
        message: expect.any(String),
        details: [{ path: '', message: 'the body is larger than 65536 bytes' }],
      },
    });
    expect(await postRules('{"rule": Error: /secret.ts}')).toEqual({
      status: 400,
      error: {
        code: 'malformed_json',
        message: 'request body is not valid JSON',
        details: [{ path: '', message: 'not valid JSON' }],
      },
    });
    expect((await postRules('{"rule": ')).error.details).toEqual([
      { path: '', message: 'the JSON ends too early' },
    ]);
    expect((await postRules('{"rule": 1,')).error.details).toEqual([
      { path: '', message: 'not valid JSON at character 11' },
    ]);
    expect(await postRules('{}', { 'content-encoding': 'x-fuzz' })).toEqual({
      status: 415,
      error: {
        code: 'unsupported_media_type',
        message: expect.stringContaining('x-fuzz'),
        details: [{ path: '', message: expect.stringContaining('x-fuzz') }],
      },
    });
  });

  it('answers a request whose headers pass 16 KB with a JSON 431, before any route runs', async () => {
    const { status, text } = await rawHttp(
      `GET /api/v1/sensors HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`,
    );
    expect(status).toBe(431);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toEqual({
      error: {
        code: 'invalid_request',
        message: expect.stringContaining('16 KB'),
        details: [{ path: '', message: expect.stringContaining('16 KB') }],
      },
    });
  });

  it('answers bytes that are not HTTP with a JSON 400', async () => {
    const { status, text } = await rawHttp(
      'GET /api/v1/sensors HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0000b\r\n\r\n',
    );
    expect(status).toBe(400);
    expect(text).toContain('"code":"invalid_request"');
    expect(text).toMatch(/\r\nContent-Type: application\/json/);
  });

  /** Send raw bytes on a new connection; resolve with the status and the whole answer once the server closes. */
  function rawHttp(request: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const socket = connect(server().port, '127.0.0.1');
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
      socket.on('error', reject);
      socket.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]), text }));
      socket.end(request, 'latin1');
    });
  }
});
