import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readApiError } from '../../helpers/ingestChecks';
import { startTestServer, type TestServer } from '../../helpers/server';

describe('HTTP error bodies', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
    server.cleanup();
  });

  /** Request `path` and read the error body, checking its status. */
  async function errorOf(path: string, status: number, init: RequestInit = {}) {
    const res = await fetch(`${server.url}${path}`, init);
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
});
