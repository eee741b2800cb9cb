import 'fake-indexeddb/auto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GridCell } from '@shared/schemas/geo.schema';
import type { Worker } from '@shared/schemas/worker.schema';
import type { Photo, WorkOrder } from '@shared/schemas/workOrder.schema';
import { Outbox, httpTransport, type OutboxTransport } from '../../../client/src/features/worker/outbox';
import { tinyJpeg } from '../../fixtures/jpegWithExif';
import { createActor, type Actor } from '../../helpers/accessActors';
import { startTestServer, type TestServer } from '../../helpers/server';

/**
 * The offline queue's HTTP transport against a real CityOps server: a grid worker's
 * commands, uploads and patrol reports, refusals mapped from the API's error bodies, and
 * replays with the same idempotency key. (Node has no cookie jar: the worker's token goes
 * in an Authorization header; the admin's requests are plain `fetch`.)
 */
describe('httpTransport against a real server', () => {
  let server: TestServer;
  let worker: Actor;
  let workerRecord: Worker;
  let otherWorker: Worker;
  let site: [number, number];
  let transport: OutboxTransport;

  const key = () => crypto.randomUUID().replaceAll('-', '');

  /** 立案 by the admin, dispatched at once to the worker. */
  async function dispatchedCase(title: string): Promise<WorkOrder> {
    const res = await fetch(`${server.url}/api/v1/work-orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        category: 'event.other.other',
        title,
        location: site,
        assigneeId: workerRecord.id,
      }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const order = (await res.json()) as WorkOrder;
    expect(order).toMatchObject({ state: 'dispatched', assigneeId: workerRecord.id });
    return order;
  }

  beforeAll(async () => {
    server = await startTestServer();
    const { items } = (await (await fetch(`${server.url}/api/v1/workers`)).json()) as { items: Worker[] };
    const [first, second] = items.filter((w) => w.gridCellIds.length > 0);
    if (!first || !second) throw new Error('the roster needs two workers with grid cells');
    workerRecord = first;
    otherWorker = second;
    const cell = (await (
      await fetch(`${server.url}/api/v1/grid-cells/${workerRecord.gridCellIds[0]}`)
    ).json()) as GridCell;
    site = cell.centroid;
    worker = await createActor(server.url, { role: 'worker', workerId: workerRecord.id });
    transport = httpTransport(server.url, { headers: { authorization: `Bearer ${worker.token}` } });
  });

  afterAll(async () => {
    await server?.stop();
    server?.cleanup();
  });

  it('accepts a case, maps a second accept to a 409 state refusal, and answers a replay with 200', async () => {
    const order = await dispatchedCase('井盖缺失');
    const actionId = key();
    // The server keeps a doneAt between the previous entry (the dispatch) and now.
    const doneAt = order.updatedAt;

    const accepted = await transport.command(order.id, 'accept', { actionId, doneAt });
    if (!accepted.ok) throw new Error(`accept refused: ${JSON.stringify(accepted)}`);
    expect(accepted.data).toMatchObject({ id: order.id, state: 'accepted' });
    expect(accepted.data.timeline.at(-1)).toMatchObject({ action: 'accept', actionId, doneAt });

    const again = await transport.command(order.id, 'accept', { actionId: key() });
    expect(again).toEqual({
      ok: false,
      status: 409,
      code: 'conflict',
      reason: 'state',
      message: expect.stringContaining(`case ${order.id} is accepted`),
    });

    const replay = await transport.command(order.id, 'accept', { actionId, doneAt });
    expect(replay).toMatchObject({ ok: true, data: { id: order.id, version: accepted.data.version } });
  });

  it('uploads a photo with its client key once, whatever number of times it is sent', async () => {
    const clientKey = key();
    const photo = {
      blob: new Blob([new Uint8Array(tinyJpeg())], { type: 'image/jpeg' }),
      mime: 'image/jpeg',
      clientKey,
      lng: site[0],
      lat: site[1],
      accuracyM: 8,
      takenAt: Date.now() - 30_000,
    };

    const first = await transport.uploadPhoto(photo);
    const second = await transport.uploadPhoto(photo);

    if (!first.ok) throw new Error(`upload refused: ${JSON.stringify(first)}`);
    expect(second).toEqual(first);
    // Only its uploader sees a photo not yet attached to a case.
    const stored = await fetch(`${server.url}/api/v1/photos/${first.data.id}`, {
      headers: { authorization: `Bearer ${worker.token}` },
    });
    expect(stored.status).toBe(200);
    expect((await stored.arrayBuffer()).byteLength).toBe(tinyJpeg().length);
    expect(first.data).toMatchObject({ location: site, locationSource: 'device', takenAt: photo.takenAt });
    expect((first.data as Photo).uploadedBy).toBe(worker.user.id);
  });

  it('maps a refused upload to its status, code and reason', async () => {
    const result = await transport.uploadPhoto({
      blob: new Blob(['not an image'], { type: 'text/plain' }),
      mime: 'text/plain',
      clientKey: key(),
    });

    expect(result).toMatchObject({
      ok: false,
      status: 415,
      code: 'unsupported_media_type',
      reason: 'unsupported_type',
    });
  });

  it('files a patrol report once per action id', async () => {
    const body = { category: 'event.other.other', title: '占道经营', location: site, actionId: key() };

    const first = await transport.create(body);
    const second = await transport.create(body);

    if (!first.ok) throw new Error(`patrol report refused: ${JSON.stringify(first)}`);
    expect(first.data).toMatchObject({ source: 'worker', title: '占道经营' });
    expect(second).toMatchObject({ ok: true, data: { id: first.data.id } });
  });

  it('files a patrol report with photos once however often it is replayed, spending one case number', async () => {
    const upload = await transport.uploadPhoto({
      blob: new Blob([new Uint8Array(tinyJpeg())], { type: 'image/jpeg' }),
      mime: 'image/jpeg',
      clientKey: key(),
      lng: site[0],
      lat: site[1],
    });
    if (!upload.ok) throw new Error(`upload refused: ${JSON.stringify(upload)}`);
    const body = {
      category: 'event.other.other',
      title: '井盖破损',
      location: site,
      photoIds: [upload.data.id],
      actionId: key(),
    };

    const first = await transport.create(body);
    const replays = [await transport.create(body), await transport.create(body)];
    const next = await transport.create({ ...body, photoIds: [], actionId: key() });

    if (!first.ok || !next.ok) throw new Error(`patrol report refused: ${JSON.stringify([first, next])}`);
    expect(first.data).toMatchObject({ source: 'worker', photoIds: [upload.data.id] });
    for (const replay of replays) expect(replay).toMatchObject({ ok: true, data: { id: first.data.id } });
    const number = (id: string) => Number(id.split('-').at(-1));
    expect(number(next.data.id)).toBe(number(first.data.id) + 1);
  });

  it('reports a server it cannot reach as a network failure', async () => {
    const unreachable = httpTransport('http://127.0.0.1:9', { timeoutMs: 5_000 });

    const result = await unreachable.command('WO-1', 'accept', {});

    expect(result).toMatchObject({ ok: false, status: 0, code: 'network' });
  });

  it('explains to the worker that a case queued offline went to someone else meanwhile', async () => {
    const outbox = await Outbox.open(`outbox-${crypto.randomUUID()}`);
    try {
      const order = await dispatchedCase('垃圾满溢');
      const accept = await outbox.enqueueCommand(order.id, 'accept', {});
      const note = await outbox.enqueueCommand(order.id, 'note', { note: '已到现场附近' });
      const reassigned = await fetch(`${server.url}/api/v1/work-orders/${order.id}/reassign`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ assigneeId: otherWorker.id, reason: '原网格员离线，改派' }),
      });
      expect(reassigned.status, await reassigned.clone().text()).toBe(200);

      const report = await outbox.flush(transport);

      expect(report.conflicts.map((e) => [e.id, e.problem?.status, e.problem?.reason])).toEqual([
        [accept.id, 409, 'reassigned'],
        [note.id, 409, 'blocked'],
      ]);
      expect(report.conflicts[0]?.problem?.explanation.zh).toBe(
        '接单：您离线期间，该案卷已被改派给其他网格员，此操作未生效。',
      );
      expect(report.conflicts[0]?.problem?.explanation.en).toContain(`worker ${otherWorker.id}`);
    } finally {
      outbox.close();
    }
  });
});

/** Answers a phone gets from things in the way (a proxy, a captive portal, an overloaded server). */
describe('httpTransport facing answers that are not the API', () => {
  let stub: Server;
  let base: string;
  const answers: Record<string, { status: number; type: string; body: string } | 'hang'> = {
    '/api/v1/work-orders/WO-503/accept': { status: 503, type: 'application/json', body: '{"error":{}}' },
    '/api/v1/work-orders/WO-PORTAL/accept': {
      status: 200,
      type: 'text/html',
      body: '<html>登录 Wi-Fi</html>',
    },
    '/api/v1/photos': { status: 413, type: 'text/html', body: '<html>413 Request Entity Too Large</html>' },
    '/api/v1/work-orders/WO-SLOW/accept': 'hang',
  };

  beforeAll(async () => {
    stub = createServer((req, res) => {
      const answer = answers[(req.url ?? '').split('?')[0] ?? ''];
      if (answer === 'hang') return;
      const { status, type, body } = answer ?? { status: 404, type: 'text/plain', body: 'no' };
      res.writeHead(status, { 'content-type': type }).end(body);
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    stub.closeAllConnections();
    await new Promise((resolve) => stub.close(resolve));
  });

  it('retries later after a 503', async () => {
    expect(await httpTransport(base).command('WO-503', 'accept', {})).toMatchObject({
      ok: false,
      status: 0,
      code: 'network',
    });
  });

  it("retries later after a 200 that is not the API's JSON (a captive portal)", async () => {
    expect(await httpTransport(base).command('WO-PORTAL', 'accept', {})).toMatchObject({
      ok: false,
      status: 0,
      code: 'network',
    });
  });

  it('retries later when no answer comes in time', async () => {
    expect(await httpTransport(base, { timeoutMs: 200 }).command('WO-SLOW', 'accept', {})).toEqual({
      ok: false,
      status: 0,
      code: 'network',
      message: 'no answer within 200 ms',
    });
  });

  it("names a proxy's 413 page by its status", async () => {
    const result = await httpTransport(base).uploadPhoto({
      blob: new Blob(['x']),
      mime: 'image/jpeg',
      clientKey: 'abcdefgh12345678',
    });
    expect(result).toEqual({
      ok: false,
      status: 413,
      code: 'payload_too_large',
      message: '/api/v1/photos: HTTP 413',
    });
  });
});
