import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildOpenApi } from '../../../server/src/http/openapi';
import { MAX_READINGS_PER_BATCH } from '../../../shared/schemas/reading.schema';
import { rawFetch, signIn, testPassword } from '../../helpers/auth';
import { startTestServer } from '../../helpers/server';
import { tinyPng } from '../../fixtures/jpegWithExif';
import { ROUTE_ACCESS } from '../../../server/src/http/routeAccess';

interface Operation {
  parameters?: Array<{ name: string; in: string; required: boolean }>;
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: JsonSchema }> }>;
}
interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  enum?: unknown[];
}
type Doc = { openapi: string; info: { version: string }; paths: Record<string, Record<string, Operation>> };

const doc = buildOpenApi('9.9.9') as Doc;

/** Every route of the API (see docs: GET endpoints and the readings ingest). */
/** Every route of the server, from the access table every router is guarded by. */
const ROUTES: Array<[method: string, path: string]> = Object.keys(ROUTE_ACCESS).map((key) => {
  const [method, path] = key.split(' ') as [string, string];
  return [method.toLowerCase(), path.replace(/:(\w+)/g, '{$1}')];
});

const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => ({ method, path, op })),
);

function operation(method: string, path: string): Operation {
  const op = doc.paths[path]?.[method];
  if (!op) throw new Error(`${method.toUpperCase()} ${path} is not documented`);
  return op;
}

describe('buildOpenApi', () => {
  it('is an OpenAPI 3.0 document carrying the given version', () => {
    expect(doc.openapi).toMatch(/^3\.0\.\d+$/);
    expect(doc.info.version).toBe('9.9.9');
  });

  it('documents every route of the API with its method, and nothing else', () => {
    expect(operations.map((o) => [o.method, o.path]).sort()).toEqual([...ROUTES].sort());
  });

  it('limits the readings of one POST /api/v1/readings body to 1..5000', () => {
    const body = operation('post', '/api/v1/readings').requestBody?.content['application/json']?.schema;
    expect(body?.required).toContain('readings');
    expect(body?.properties?.['readings']).toMatchObject({
      type: 'array',
      minItems: 1,
      maxItems: MAX_READINGS_PER_BATCH,
    });
    expect(body?.properties?.['readings']?.items?.required).toEqual(
      expect.arrayContaining(['sensorId', 'observedAt', 'values']),
    );
  });

  it('lists every refusal of POST /api/v1/readings', () => {
    expect(Object.keys(operation('post', '/api/v1/readings').responses).sort()).toEqual(
      ['200', '400', '413', '415', '422', '503'].sort(),
    );
  });

  it('describes every documented error response with the error body', () => {
    const errors = operations.flatMap(({ method, path, op }) =>
      Object.entries(op.responses)
        .filter(([status, r]) => Number(status) >= 400 && r.content)
        .map(([status, r]) => ({
          where: `${method} ${path} ${status}`,
          schema: r.content?.['application/json']?.schema,
        })),
    );
    expect(errors.length).toBeGreaterThan(10);
    for (const { where, schema } of errors) {
      const error = schema?.properties?.['error'];
      expect(error?.required, where).toEqual(expect.arrayContaining(['code', 'message', 'details']));
      expect(error?.properties?.['code']?.enum, where).toContain('not_found');
    }
  });

  it('answers 404 where a route names a resource by id', () => {
    for (const [method, path] of ROUTES.filter(([, p]) => p.includes('{id}'))) {
      expect(Object.keys(operation(method, path).responses), path).toContain('404');
    }
  });

  it('takes the history query from the schema the route parses with: metric required, the rest optional', () => {
    const params = operation('get', '/api/v1/sensors/{id}/history').parameters ?? [];
    expect(params.map((p) => [p.name, p.in, p.required])).toEqual([
      ['id', 'path', true],
      ['metric', 'query', true],
      ['from', 'query', false],
      ['to', 'query', false],
      ['resolution', 'query', false],
      ['maxPoints', 'query', false],
    ]);
  });
});

describe('GET /api/openapi.json', () => {
  it('serves the same document, with the package version, and every documented GET route answers', async () => {
    const server = await startTestServer();
    try {
      const res = await fetch(`${server.url}/api/openapi.json`);
      expect(res.status).toBe(200);
      const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
        version: string;
      };
      expect(await res.json()).toEqual(JSON.parse(JSON.stringify(buildOpenApi(pkg.version))));

      const ids: Record<string, string> = {
        '/api/v1/districts/{id}': '330102',
        '/api/v1/sensors/{id}': 'TRF-0001',
        '/api/v1/sensors/{id}/history': 'TRF-0001',
      };
      const cells = (await (await fetch(`${server.url}/api/v1/grid-cells?limit=1`)).json()) as {
        items: Array<{ id: string; centroid: [number, number] }>;
      };
      ids['/api/v1/grid-cells/{id}'] = cells.items[0]?.id ?? 'none';
      const created = await fetch(`${server.url}/api/v1/work-orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          category: 'component.public-facility.manhole',
          title: 'Manhole cover missing',
          location: cells.items[0]?.centroid,
        }),
      });
      expect(created.status, await created.clone().text()).toBe(201);
      const workOrderId = ((await created.json()) as { id: string }).id;
      ids['/api/v1/work-orders/{id}'] = workOrderId;
      ids['/api/v1/work-orders/{id}/suggestions'] = workOrderId;
      // A citizen's report through Open311, with a key the admin issues.
      const key = await fetch(`${server.url}/api/v1/open311/keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'OpenAPI test client' }),
      });
      expect(key.status).toBe(201);
      const [lng, lat] = cells.items[0]!.centroid;
      const citizen = await fetch(`${server.url}/open311/v2/requests.json`, {
        method: 'POST',
        body: new URLSearchParams({
          api_key: ((await key.json()) as { secret: string }).secret,
          service_code: '101',
          lat: String(lat),
          long: String(lng),
        }),
      });
      expect(citizen.status, await citizen.clone().text()).toBe(201);
      ids['/open311/v2/requests/{id}.json'] = (
        (await citizen.json()) as Array<{ service_request_id: string }>
      )[0]!.service_request_id;
      const photo = await fetch(`${server.url}/api/v1/photos`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: new Uint8Array(tinyPng()),
      });
      expect(photo.status, await photo.clone().text()).toBe(201);
      ids['/api/v1/photos/{id}'] = ((await photo.json()) as { id: string }).id;
      // A grid worker's own tasks are asked for by a grid worker on the roster.
      const password = testPassword();
      const worker = await fetch(`${server.url}/api/v1/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          username: `worker-${Date.now()}`,
          displayName: 'Grid worker',
          role: 'worker',
          workerId: 'W-0001',
          password,
        }),
      });
      expect(worker.status).toBe(201);
      const workerName = ((await worker.json()) as { username: string }).username;
      const workerToken = await signIn(server.url, workerName, password);
      const asWorker = new Set(['/api/v1/me/work-orders']);
      ids['/api/v1/rules/{id}'] = 'device-offline';
      ids['/api/v1/rules/{id}/versions'] = 'device-offline';
      // A smoke reading above the default fire-alarm level raises an alert at once (no pending time).
      const gridSensors = (await (
        await fetch(`${server.url}/api/v1/sensors?kind=grid-event&limit=1000`)
      ).json()) as {
        items: Array<{ id: string; subtype: string }>;
      };
      const smokeId = gridSensors.items.find((s) => s.subtype === 'smoke')!.id;
      const posted = await fetch(`${server.url}/api/v1/readings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          readings: [{ sensorId: smokeId, observedAt: Date.now(), values: { smoke: 30 } }],
        }),
      });
      expect(posted.status).toBe(200);
      let alertId: string | undefined;
      for (let i = 0; i < 100 && !alertId; i++) {
        const page = (await (await fetch(`${server.url}/api/v1/alerts?subjectId=${smokeId}`)).json()) as {
          items: Array<{ id: string }>;
        };
        alertId = page.items[0]?.id;
        if (!alertId) await new Promise((r) => setTimeout(r, 50));
      }
      ids['/api/v1/alerts/{id}'] = alertId ?? 'none';
      for (const [method, path] of ROUTES.filter(([m]) => m === 'get')) {
        const query = path.endsWith('/history') ? '?metric=speed' : '';
        const answer = asWorker.has(path)
          ? await rawFetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${workerToken}` } })
          : await fetch(`${server.url}${path.replace('{id}', ids[path] ?? '')}${query}`);
        expect(answer.status, `${method} ${path}`).toBe(200);
      }
    } finally {
      await server.stop();
      server.cleanup();
    }
  });
});
