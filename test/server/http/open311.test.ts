import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASE_CATEGORIES } from '../../../shared/domain/caseCategories';
import type { AuditPage } from '../../../shared/schemas/audit.schema';
import type { GridCell } from '../../../shared/schemas/geo.schema';
import type { Worker } from '../../../shared/schemas/worker.schema';
import type { Photo, WorkOrder } from '../../../shared/schemas/workOrder.schema';
import type {
  GeoReportService,
  Open311Created,
  Open311Key,
  Open311ServiceRequest,
} from '../../../shared/schemas/open311.schema';
import { createActor, requestAs, type Actor } from '../../helpers/accessActors';
import { rawFetch } from '../../helpers/auth';
import { tinyPng } from '../../fixtures/jpegWithExif';
import {
  connectClient,
  startTestServer,
  waitFor,
  type TestServer,
  type TestSocket,
} from '../../helpers/server';

type Open311Errors = Array<{ code: number; description: string }>;

/** The reporter's personal data: it must never reach the work-order API or the wall. */
const REPORTER = {
  email: 'li.hua.reporter@example.cn',
  device_id: 'device-7f3a9c-reporter',
  account_id: 'acct-20261121-li',
  first_name: 'Hua-Reporter',
  last_name: 'Li-Reporter',
  phone: '13900001111',
};

describe('Open311 GeoReport v2 endpoint', () => {
  let server: TestServer;
  let base: string;
  let apiKey: string;
  let keyId: string;
  let site: [number, number];
  let workerRecord: Worker;
  let worker: Actor;
  let wall: TestSocket;
  const wallSaw: string[] = [];

  /** An Open311 client: no session, only what the spec defines. */
  async function open311<T>(
    path: string,
    init: { method?: string; form?: Record<string, string>; json?: unknown; contentType?: string } = {},
  ): Promise<{ status: number; body: T; text: string }> {
    const headers = new Headers();
    let body: string | undefined;
    if (init.form) {
      headers.set('content-type', 'application/x-www-form-urlencoded');
      body = new URLSearchParams(init.form).toString();
    } else if (init.json !== undefined) {
      headers.set('content-type', init.contentType ?? 'application/json');
      body = JSON.stringify(init.json);
    }
    const res = await rawFetch(`${base}${path}`, {
      method: init.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text) as T, text };
  }

  const submit = (fields: Record<string, string>) =>
    open311<Open311Created[] & Open311Errors>('/open311/v2/requests.json', { form: fields });

  const valid = (extra: Record<string, string> = {}): Record<string, string> => ({
    api_key: apiKey,
    service_code: '101',
    lat: String(site[1]),
    long: String(site[0]),
    description: '人行道上的井盖缺失，行人容易踩空',
    ...extra,
  });

  async function issueKey(name: string): Promise<{ key: Open311Key; secret: string }> {
    const res = await fetch(`${server.url}/api/v1/open311/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as { key: Open311Key; secret: string };
  }

  async function adminGet<T>(path: string): Promise<{ status: number; body: T; text: string }> {
    const res = await fetch(`${server.url}${path}`);
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text) as T, text };
  }

  /** The case behind a request, as an administrator sees it through the work-order API. */
  async function caseOf(id: string): Promise<WorkOrder> {
    const res = await adminGet<{ order: WorkOrder }>(`/api/v1/work-orders/${id}`);
    expect(res.status, res.text).toBe(200);
    return res.body.order;
  }

  async function adminPost<T>(path: string, body: unknown): Promise<T> {
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status, `${path}: ${await res.clone().text()}`).toBeLessThan(300);
    return (await res.json()) as T;
  }

  async function created(fields: Record<string, string>): Promise<string> {
    const res = await submit(fields);
    expect(res.status, res.text).toBe(201);
    return res.body[0]!.service_request_id;
  }

  beforeAll(async () => {
    server = await startTestServer();
    base = server.url;
    const issued = await issueKey('12345 热线 App');
    apiKey = issued.secret;
    keyId = issued.key.id;
    const workers = (await (await fetch(`${server.url}/api/v1/workers`)).json()) as { items: Worker[] };
    workerRecord = workers.items.find((w) => w.gridCellIds.length > 0)!;
    const cell = (await (
      await fetch(`${server.url}/api/v1/grid-cells/${workerRecord.gridCellIds[0]}`)
    ).json()) as GridCell;
    site = cell.centroid;
    worker = await createActor(server.url, { role: 'worker', workerId: workerRecord.id });
    ({ socket: wall } = await connectClient(server.url, { kind: 'city' }));
    wall.on('workOrder:created', (o) => wallSaw.push(JSON.stringify(o)));
    wall.on('workOrder:updated', (c) => wallSaw.push(JSON.stringify(c)));
  });

  afterAll(async () => {
    wall?.disconnect();
    await server?.stop();
    server?.cleanup();
  });

  describe('services.json', () => {
    it('lists every case category as a realtime service without metadata', async () => {
      const res = await open311<GeoReportService[]>('/open311/v2/services.json');
      expect(res.status).toBe(200);
      expect(res.body.map((s) => s.service_code)).toEqual(CASE_CATEGORIES.map((c) => c.serviceCode));
      expect(res.body[0]).toEqual({
        service_code: '101',
        service_name: '井盖',
        description: expect.stringContaining('Manhole cover'),
        metadata: false,
        type: 'realtime',
        keywords: 'manhole,井盖,cover',
        group: '公用设施',
      });
    });

    it('serves only JSON: another format is refused in the Open311 error shape', async () => {
      const res = await open311<Open311Errors>('/open311/v2/services.xml');
      expect(res.status).toBe(400);
      expect(res.body).toEqual([{ code: 400, description: expect.stringContaining('JSON') }]);
    });
  });

  describe('POST requests.json', () => {
    it('registers a form-encoded request as a citizen case at once', async () => {
      const res = await submit(valid({ ...REPORTER, media_url: 'https://img.example.cn/manhole.jpg' }));
      expect(res.status, res.text).toBe(201);
      expect(res.body).toEqual([
        {
          service_request_id: expect.stringMatching(/^WO-\d{8}-\d{4}$/),
          service_notice: expect.stringContaining('处置时限'),
          account_id: REPORTER.account_id,
        },
      ]);
      const id = res.body[0]!.service_request_id;
      expect(await caseOf(id)).toMatchObject({
        source: 'citizen',
        sourceRef: `open311:${keyId}`,
        category: 'component.public-facility.manhole',
        state: 'registered',
        location: site,
        gridCellId: workerRecord.gridCellIds[0],
        title: '井盖：人行道上的井盖缺失，行人容易踩空',
        description: '人行道上的井盖缺失，行人容易踩空',
      });
    });

    it('takes a JSON body with numeric coordinates as well', async () => {
      const res = await open311<Open311Created[]>('/open311/v2/requests.json', {
        json: {
          api_key: apiKey,
          service_code: '203',
          lat: site[1],
          long: site[0],
          address_string: '文三路 90 号门口',
          description: '路边堆放的装修垃圾',
        },
      });
      expect(res.status, res.text).toBe(201);
      expect(await caseOf(res.body[0]!.service_request_id)).toMatchObject({
        source: 'citizen',
        category: 'event.city-appearance.litter',
        address: '文三路 90 号门口',
        location: site,
      });
      expect(res.body[0]!.account_id).toBeNull();
    });

    it.each([
      ['a missing api_key', { api_key: '' }, 400, 'api_key'],
      ['a wrong api_key', { api_key: 'not-a-key-of-ours' }, 403, 'api_key'],
      ['a missing service_code', { service_code: '' }, 400, 'service_code'],
      ['an unknown service_code', { service_code: '777' }, 400, 'service_code'],
      ['a lat out of range', { lat: '91' }, 400, 'lat'],
      ['a long that is not a number', { long: 'east' }, 400, 'long'],
      ['a location outside the city grid', { lat: '0.5', long: '0.5' }, 400, 'lat/long'],
      ['no location at all', { lat: '', long: '' }, 400, 'lat and long'],
      [
        'an address_string without lat/long',
        { lat: '', long: '', address_string: '文三路' },
        400,
        'geocoder',
      ],
      ['a description over 4000 characters', { description: '井'.repeat(4001) }, 400, 'description'],
      ['a media_url that is not http(s)', { media_url: 'javascript:alert(1)' }, 400, 'media_url'],
    ])('refuses %s with the Open311 error naming it', async (_what, change, status, named) => {
      const fields = valid(change as Record<string, string>);
      for (const [k, v] of Object.entries(fields)) if (v === '') delete fields[k];
      const res = await submit(fields);
      expect(res.status, res.text).toBe(status);
      expect(res.body).toEqual([{ code: status, description: expect.stringContaining(named) }]);
    });

    it('refuses a body that is neither form-encoded nor JSON, and one over 64 KB, in the Open311 shape', async () => {
      const plain = await open311<Open311Errors>('/open311/v2/requests.json', {
        json: 'api_key=x',
        contentType: 'text/plain',
      });
      expect(plain.status).toBe(415);
      expect(plain.body).toEqual([{ code: 415, description: expect.stringContaining('form-urlencoded') }]);
      const huge = await submit(valid({ description: 'x'.repeat(70_000) }));
      expect(huge.status).toBe(413);
      expect(huge.body).toEqual([{ code: 413, description: expect.stringContaining('64 KB') }]);
    });

    it('accepts a description of exactly 4000 characters', async () => {
      expect((await submit(valid({ description: '井'.repeat(4000) }))).status).toBe(201);
    });

    it('refuses a revoked key with 403, and the revocation is audited', async () => {
      const { key, secret } = await issueKey('retired partner app');
      expect((await submit(valid({ api_key: secret }))).status).toBe(201);
      const revoked = await adminPost<Open311Key>(`/api/v1/open311/keys/${key.id}/revoke`, {});
      expect(revoked.revokedAt).toEqual(expect.any(Number));
      const res = await submit(valid({ api_key: secret }));
      expect(res.status).toBe(403);
      expect(res.body).toEqual([{ code: 403, description: expect.stringContaining('api_key') }]);
      const again = await fetch(`${server.url}/api/v1/open311/keys/${key.id}/revoke`, { method: 'POST' });
      expect(again.status).toBe(409);
      const audit = await adminGet<AuditPage>(`/api/v1/audit?action=open311.key&targetId=${key.id}`);
      expect(audit.body.items.map((e) => e.action).sort()).toEqual([
        'open311.key.issue',
        'open311.key.revoke',
      ]);
    });

    it('lists keys without their secrets or hashes', async () => {
      const res = await adminGet<{ items: Open311Key[] }>('/api/v1/open311/keys');
      expect(res.status).toBe(200);
      expect(res.body.items.find((k) => k.id === keyId)).toMatchObject({
        name: '12345 热线 App',
        revokedAt: null,
      });
      expect(res.text).not.toContain(apiKey);
      expect(res.text).not.toMatch(/[0-9a-f]{64}/);
      expect(res.text).not.toMatch(/hash/i);
    });

    it('keeps the key management for open311:manage (an operator is refused)', async () => {
      const operator = await createActor(server.url, { role: 'operator' });
      const res = await requestAs(server.url, '/api/v1/open311/keys', operator.token, {
        method: 'POST',
        body: { name: 'sneaky' },
      });
      expect(res.status).toBe(403);
    });
  });

  describe('GET requests.json and requests/{id}.json', () => {
    let manhole: string;
    let litter: string;
    let operatorCase: string;

    beforeAll(async () => {
      manhole = await created(valid());
      litter = await created(valid({ service_code: '203', description: '垃圾 litter' }));
      const order = await adminPost<WorkOrder>('/api/v1/work-orders', {
        category: 'component.public-facility.manhole',
        title: '操作员立案',
        location: site,
      });
      operatorCase = order.id;
    });

    it('answers one request by id as an array with the spec fields', async () => {
      const res = await open311<Open311ServiceRequest[]>(`/open311/v2/requests/${manhole}.json`);
      expect(res.status).toBe(200);
      expect(res.body).toHaveLength(1);
      const r = res.body[0]!;
      expect(r).toMatchObject({
        service_request_id: manhole,
        status: 'open',
        status_notes: '已立案 · Registered',
        service_name: '井盖',
        service_code: '101',
        description: '人行道上的井盖缺失，行人容易踩空',
        lat: site[1],
        long: site[0],
        zipcode: null,
      });
      for (const field of ['requested_datetime', 'updated_datetime', 'expected_datetime'] as const)
        expect(r[field]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
      const order = await caseOf(manhole);
      expect(Date.parse(r.expected_datetime)).toBe(Math.floor(order.deadlineAt / 1000) * 1000);
    });

    it('answers 404 for an unknown id and for a case no citizen reported', async () => {
      for (const id of ['WO-20000101-0001', operatorCase]) {
        const res = await open311<Open311Errors>(`/open311/v2/requests/${id}.json`);
        expect(res.status).toBe(404);
        expect(res.body).toEqual([{ code: 404, description: expect.stringContaining(id) }]);
      }
    });

    it('finds several requests by comma-separated ids, leaving out cases no citizen reported', async () => {
      const res = await open311<Open311ServiceRequest[]>(
        `/open311/v2/requests.json?service_request_id=${manhole},${litter},${operatorCase}`,
      );
      expect(res.status).toBe(200);
      expect(res.body.map((r) => r.service_request_id).sort()).toEqual([manhole, litter].sort());
    });

    it('lists only citizen cases of the last 90 days by default, newest first', async () => {
      const res = await open311<Open311ServiceRequest[]>('/open311/v2/requests.json');
      expect(res.status).toBe(200);
      const ids = res.body.map((r) => r.service_request_id);
      expect(ids).toContain(manhole);
      expect(ids).toContain(litter);
      expect(ids).not.toContain(operatorCase);
      const times = res.body.map((r) => Date.parse(r.requested_datetime));
      expect(times).toEqual([...times].sort((a, b) => b - a));
    });

    it('filters by service_code', async () => {
      const res = await open311<Open311ServiceRequest[]>('/open311/v2/requests.json?service_code=203');
      expect(res.body.map((r) => r.service_request_id)).toContain(litter);
      expect(res.body.every((r) => r.service_code === '203')).toBe(true);
      const unknown = await open311<Open311Errors>('/open311/v2/requests.json?service_code=777');
      expect(unknown.status).toBe(400);
      expect(unknown.body[0]!.description).toContain('service_code');
    });

    it('filters by a date range and refuses one over 90 days', async () => {
      const now = Date.now();
      const iso = (t: number) => new Date(t).toISOString();
      const around = await open311<Open311ServiceRequest[]>(
        `/open311/v2/requests.json?start_date=${iso(now - 3_600_000)}&end_date=${iso(now + 3_600_000)}`,
      );
      expect(around.body.map((r) => r.service_request_id)).toContain(manhole);
      const before = await open311<Open311ServiceRequest[]>(
        `/open311/v2/requests.json?start_date=2020-01-01&end_date=2020-03-01`,
      );
      expect(before.status).toBe(200);
      expect(before.body).toEqual([]);
      const tooLong = await open311<Open311Errors>(
        `/open311/v2/requests.json?start_date=2020-01-01&end_date=2020-06-01`,
      );
      expect(tooLong.status).toBe(400);
      expect(tooLong.body).toEqual([{ code: 400, description: expect.stringContaining('90 days') }]);
      const garbled = await open311<Open311Errors>('/open311/v2/requests.json?start_date=yesterday');
      expect(garbled.status).toBe(400);
      expect(garbled.body[0]!.description).toContain('start_date');
    });

    it('filters by status', async () => {
      const open = await open311<Open311ServiceRequest[]>('/open311/v2/requests.json?status=open');
      expect(open.body.map((r) => r.service_request_id)).toContain(manhole);
      expect(open.body.every((r) => r.status === 'open')).toBe(true);
      const bad = await open311<Open311Errors>('/open311/v2/requests.json?status=pending');
      expect(bad.status).toBe(400);
      expect(bad.body[0]!.description).toContain('status');
    });
  });

  describe('the life of a request', () => {
    it('turns closed once the case is verified closed, without the verifier’s comment', async () => {
      const id = await created(valid({ ...REPORTER }));
      await adminPost(`/api/v1/work-orders/${id}/dispatch`, { assigneeId: workerRecord.id });
      const dispatched = await open311<Open311ServiceRequest[]>(`/open311/v2/requests/${id}.json`);
      expect(dispatched.body[0]).toMatchObject({ status: 'open', status_notes: '已派遣 · Dispatched' });

      const as = (path: string, body: unknown) =>
        requestAs<WorkOrder>(server.url, path, worker.token, { method: 'POST', body });
      expect((await as(`/api/v1/work-orders/${id}/accept`, {})).status).toBe(200);
      const checkIn = await as(`/api/v1/work-orders/${id}/checkIn`, {
        method: 'qr',
        code: `cityops:site:${id}`,
      });
      expect(checkIn.status, checkIn.text).toBe(200);
      const upload = await rawFetch(`${server.url}/api/v1/photos`, {
        method: 'POST',
        headers: { authorization: `Bearer ${worker.token}`, 'content-type': 'image/png' },
        body: new Uint8Array(tinyPng()),
      });
      expect(upload.status, await upload.clone().text()).toBe(201);
      const photo = (await upload.json()) as Photo;
      const reported = await as(`/api/v1/work-orders/${id}/report`, {
        note: '已盖好井盖',
        photoIds: [photo.id],
      });
      expect(reported.status, reported.text).toBe(200);
      const stillOpen = await open311<Open311ServiceRequest[]>(`/open311/v2/requests/${id}.json`);
      expect(stillOpen.body[0]).toMatchObject({ status: 'open', status_notes: '待核实 · Reported' });

      await adminPost(`/api/v1/work-orders/${id}/verify`, {
        result: 'pass',
        comment: '现场复核，井盖已更换',
      });
      const closed = await open311<Open311ServiceRequest[]>(`/open311/v2/requests/${id}.json`);
      expect(closed.body[0]).toMatchObject({ status: 'closed', status_notes: '已结案 · Closed' });
      expect(closed.text).not.toContain('现场复核');
      const list = await open311<Open311ServiceRequest[]>('/open311/v2/requests.json?status=closed');
      expect(list.body.map((r) => r.service_request_id)).toContain(id);
      expect(list.body.every((r) => r.status === 'closed')).toBe(true);
    });

    it('says why a cancelled case was closed in fixed words, never the operator’s note', async () => {
      const id = await created(valid());
      await adminPost(`/api/v1/work-orders/${id}/cancel`, {
        reason: 'false-alarm',
        note: '报警人系恶作剧，已告知派出所',
      });
      const res = await open311<Open311ServiceRequest[]>(`/open311/v2/requests/${id}.json`);
      expect(res.body[0]).toMatchObject({
        status: 'closed',
        status_notes: '已作废：经核实为误报 · Cancelled: reported in error',
      });
      expect(res.text).not.toContain('恶作剧');
    });

    it('never lets the reporter’s personal data into the work-order API or the wall', async () => {
      const id = await created(valid({ ...REPORTER, media_url: 'https://img.example.cn/p.jpg' }));
      await waitFor(() => wallSaw.some((s) => s.includes(id)), 5000, 'wall push of the case');
      const detail = await adminGet(`/api/v1/work-orders/${id}`);
      const list = await adminGet('/api/v1/work-orders?source=citizen&limit=500');
      expect([detail.status, list.status]).toEqual([200, 200]);
      expect(list.text).toContain(id);
      const seen = [detail.text, list.text, ...wallSaw].join('\n');
      for (const value of Object.values(REPORTER)) expect(seen).not.toContain(value);
      expect(seen).not.toContain('img.example.cn');
      const mine = await open311<Open311ServiceRequest[]>(`/open311/v2/requests/${id}.json`);
      expect(mine.body[0]!.media_url).toBe('https://img.example.cn/p.jpg');
      for (const value of Object.values(REPORTER)) expect(mine.text).not.toContain(value);
    });
  });
});
