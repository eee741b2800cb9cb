import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiErrorBody } from '../../../shared/schemas/errors.schema';
import type { GridCell } from '../../../shared/schemas/geo.schema';
import type { Worker } from '../../../shared/schemas/worker.schema';
import type {
  DispatchSuggestion,
  KpiRow,
  Photo,
  WorkOrder,
  WorkOrderDetail,
} from '../../../shared/schemas/workOrder.schema';
import { tinyJpeg } from '../../fixtures/jpegWithExif';
import { createActor, requestAs, type Actor, type Answer } from '../../helpers/accessActors';
import { rawFetch } from '../../helpers/auth';
import {
  connectClient,
  startTestServer,
  waitFor,
  type TestServer,
  type TestSocket,
} from '../../helpers/server';

/**
 * Reach applied to work orders: an operator limited to one district, grid workers and the
 * wall see and act on the cases of their part of the city only — suggestions, the workers they
 * may hand a case to, the cases, their photos and the KPIs pushed live — while a worker keeps
 * what is theirs: a patrol report filed anywhere, and the answer to an action on a case taken
 * from them.
 */
const KPI_PUSH = 'kpis:updated';

interface List<T> {
  items: T[];
}
interface KpisPush {
  from: number;
  to: number;
  city: KpiRow;
  districts: KpiRow[];
}

describe('work-order reach of a district operator, grid workers and the wall', () => {
  let server: TestServer;
  let roster: Worker[];
  let district: string;
  /** Two workers of the operator's district with cells of their own, and one of another district. */
  let workerA: Worker;
  let workerB: Worker;
  let outsider: Worker;
  /** A cell of worker B that worker A does not cover; a cell of the other district. */
  let cellB: GridCell;
  let cellOut: GridCell;
  let operator: Actor;
  let userA: Actor;
  let userB: Actor;
  let viewer: Actor;
  const sockets: TestSocket[] = [];

  const as = <T>(actor: Actor | null, path: string, body?: unknown) =>
    requestAs<T>(
      server.url,
      path,
      actor?.token ?? server.token,
      body === undefined ? {} : { method: 'POST', body },
    );
  const cell = async (id: string) =>
    (await requestAs<GridCell>(server.url, `/api/v1/grid-cells/${id}`, server.token)).body;

  /** 立案 (by the admin unless an actor is given) at the centre of `at`. */
  async function newCase(at: GridCell, extra: Record<string, unknown> = {}, actor: Actor | null = null) {
    const res = await as<WorkOrder>(actor, '/api/v1/work-orders', {
      category: 'event.city-appearance.litter',
      title: '路边暴露垃圾',
      location: at.centroid,
      ...extra,
    });
    expect(res.status, res.text).toBe(201);
    return res.body;
  }

  async function upload(actor: Actor | null): Promise<Photo> {
    const res = await rawFetch(`${server.url}/api/v1/photos`, {
      method: 'POST',
      headers: { authorization: `Bearer ${actor?.token ?? server.token}`, 'content-type': 'image/jpeg' },
      body: new Uint8Array(tinyJpeg()),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as Photo;
  }

  function expectRefusal(answer: Answer<unknown>, status: number, detail: Record<string, unknown>): void {
    expect(answer.status, answer.text).toBe(status);
    expect((answer.body as ApiErrorBody).error.details?.[0]).toMatchObject(detail);
  }

  beforeAll(async () => {
    server = await startTestServer();
    roster = (await requestAs<List<Worker>>(server.url, '/api/v1/workers', server.token)).body.items;
    // A district with two workers whose cells differ, and a worker of another district.
    const pair = roster
      .flatMap((a) => roster.map((b) => [a, b] as const))
      .find(
        ([a, b]) =>
          a.id !== b.id &&
          a.districtId === b.districtId &&
          b.gridCellIds.some((c) => !a.gridCellIds.includes(c)),
      );
    if (!pair) throw new Error('the roster needs two workers of one district with different cells');
    [workerA, workerB] = pair;
    district = workerA.districtId;
    outsider = roster.find((w) => w.districtId !== district)!;
    cellB = await cell(workerB.gridCellIds.find((c) => !workerA.gridCellIds.includes(c))!);
    cellOut = await cell(outsider.gridCellIds[0]!);
    operator = await createActor(server.url, { role: 'operator', districtIds: [district] });
    userA = await createActor(server.url, { role: 'worker', workerId: workerA.id });
    userB = await createActor(server.url, { role: 'worker', workerId: workerB.id });
    viewer = await createActor(server.url, { role: 'viewer' });
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await server?.stop();
    server?.cleanup();
  });

  it('suggests only workers of the operator’s districts', async () => {
    const order = await newCase(cellB, {}, operator);
    const path = `/api/v1/work-orders/${order.id}/suggestions?limit=50`;

    const mine = await as<List<DispatchSuggestion>>(operator, path);
    const all = await as<List<DispatchSuggestion>>(null, path);

    expect(mine.status, mine.text).toBe(200);
    const districtOf = new Map(roster.map((w) => [w.id, w.districtId]));
    expect(all.body.items.some((s) => districtOf.get(s.workerId) !== district)).toBe(true);
    expect(mine.body.items.length).toBeGreaterThan(0);
    expect(mine.body.items.filter((s) => districtOf.get(s.workerId) !== district)).toEqual([]);
    expect(mine.body.items.map((s) => s.rank)).toEqual(mine.body.items.map((_, i) => i + 1));
  });

  it('refuses to hand a case to a worker outside the operator’s districts, naming assigneeId', async () => {
    const order = await newCase(cellB, {}, operator);
    const outside = { path: 'assigneeId', reason: 'outside-reach' };

    expectRefusal(
      await as(operator, `/api/v1/work-orders/${order.id}/dispatch`, { assigneeId: outsider.id }),
      403,
      outside,
    );
    const before = (await as<List<WorkOrder>>(null, '/api/v1/work-orders?limit=500')).body.items.length;
    expectRefusal(
      await as(operator, '/api/v1/work-orders', {
        category: 'event.city-appearance.litter',
        title: '路边暴露垃圾',
        location: cellB.centroid,
        assigneeId: outsider.id,
      }),
      403,
      outside,
    );
    expect((await as<List<WorkOrder>>(null, '/api/v1/work-orders?limit=500')).body.items).toHaveLength(
      before,
    );

    const dispatched = await as<WorkOrder>(operator, `/api/v1/work-orders/${order.id}/dispatch`, {
      assigneeId: workerB.id,
    });
    expect(dispatched.status, dispatched.text).toBe(200);
    expectRefusal(
      await as(operator, `/api/v1/work-orders/${order.id}/reassign`, {
        assigneeId: outsider.id,
        reason: '跨区支援',
      }),
      403,
      outside,
    );
  });

  it('answers a case of another district, its commands and its photos as not found', async () => {
    const photo = await upload(null);
    const order = await newCase(cellOut, { photoIds: [photo.id] });

    const answers = await Promise.all([
      as(operator, `/api/v1/work-orders/${order.id}`),
      as(operator, `/api/v1/work-orders/${order.id}/suggestions`),
      as(operator, `/api/v1/work-orders/${order.id}/note`, { note: '看一眼' }),
      as(operator, `/api/v1/work-orders/${order.id}/cancel`, { reason: 'duplicate' }),
      as(operator, `/api/v1/photos/${photo.id}`),
    ]);

    expect(answers.map((a) => a.status)).toEqual([404, 404, 404, 404, 404]);
    expect((await as<WorkOrder>(null, `/api/v1/work-orders/${order.id}/note`, { note: '仍在' })).status).toBe(
      200,
    );
  });

  it('shows a grid worker the cases in their cells and those assigned to them, no others', async () => {
    const inCell = await newCase(await cell(workerA.gridCellIds[0]!));
    const elsewhere = await newCase(cellOut);
    const assigned = await newCase(cellOut, { assigneeId: workerA.id });

    const list = await as<List<WorkOrder>>(userA, '/api/v1/work-orders?limit=500');
    const ids = list.body.items.map((o) => o.id);

    expect(ids).toEqual(expect.arrayContaining([inCell.id, assigned.id]));
    expect(ids).not.toContain(elsewhere.id);
    for (const o of list.body.items)
      expect(workerA.gridCellIds.includes(o.gridCellId) || o.assigneeId === workerA.id).toBe(true);
    expect((await as(userA, `/api/v1/work-orders/${elsewhere.id}`)).status).toBe(404);
    expect((await as(userA, `/api/v1/work-orders/${assigned.id}`)).status).toBe(200);
  });

  it('lets a grid worker follow the patrol report they filed outside their cells', async () => {
    const report = await newCase(cellOut, { title: '占道经营' }, userA);
    expect(report).toMatchObject({ source: 'worker', sourceRef: workerA.id, gridCellId: cellOut.id });

    const own = await as<WorkOrderDetail>(userA, `/api/v1/work-orders/${report.id}`);

    expect(own.status, own.text).toBe(200);
    expect(own.body.order.id).toBe(report.id);
    expect((await as(userB, `/api/v1/work-orders/${report.id}`)).status).toBe(404);
  });

  it('explains to a worker that their case went to another cell’s worker, and answers their replay', async () => {
    const order = await newCase(cellB, { assigneeId: workerA.id });
    const accepted = await as<WorkOrder>(userA, `/api/v1/work-orders/${order.id}/accept`, {
      actionId: 'scoping-accept-0001',
    });
    expect(accepted.status, accepted.text).toBe(200);
    const reassigned = await as<WorkOrder>(null, `/api/v1/work-orders/${order.id}/reassign`, {
      assigneeId: workerB.id,
      reason: '就近处置',
    });
    expect(reassigned.status, reassigned.text).toBe(200);

    const late = await as(userA, `/api/v1/work-orders/${order.id}/checkIn`, {
      method: 'qr',
      code: `cityops:site:${order.id}`,
      actionId: 'scoping-checkin-0001',
    });
    const replay = await as<WorkOrder>(userA, `/api/v1/work-orders/${order.id}/accept`, {
      actionId: 'scoping-accept-0001',
    });

    expectRefusal(late, 409, { reason: 'reassigned' });
    expect(late.text).toContain(workerB.id);
    expect(replay.status, replay.text).toBe(200);
    expect(replay.body).toMatchObject({
      id: order.id,
      version: reassigned.body.version,
      assigneeId: workerB.id,
    });
    // The case itself stays out of their sight.
    expect((await as(userA, `/api/v1/work-orders/${order.id}`)).status).toBe(404);
  });

  it('shows case photos to cleared roles and the assigned worker only; others learn they were withheld', async () => {
    const photo = await upload(null);
    const order = await newCase(cellB, { photoIds: [photo.id], assigneeId: workerA.id });
    const photoOf = async (actor: Actor) =>
      (
        await rawFetch(`${server.url}/api/v1/photos/${photo.id}`, {
          headers: { authorization: `Bearer ${actor.token}` },
        })
      ).status;
    const detailOf = (actor: Actor) => as<WorkOrderDetail>(actor, `/api/v1/work-orders/${order.id}`);

    expect(await photoOf(viewer)).toBe(404);
    expect(await photoOf(userB)).toBe(404);
    expect(await photoOf(operator)).toBe(200);
    expect(await photoOf(userA)).toBe(200);

    for (const withheld of [await detailOf(viewer), await detailOf(userB)]) {
      expect(withheld.status, withheld.text).toBe(200);
      expect(withheld.body).toMatchObject({ photos: [], photosWithheld: true });
      expect(withheld.text).not.toContain(photo.sha256);
    }
    for (const shown of [await detailOf(operator), await detailOf(userA)]) {
      expect(shown.body.photos.map((p) => p.id)).toEqual([photo.id]);
      expect(shown.body.photosWithheld).toBe(false);
    }
  });

  it('pushes a district’s wall only its own KPI row, and the city room every row', async () => {
    await newCase(cellB);
    await newCase(cellOut);
    const wall = (
      await connectClient(server.url, { kind: 'district', id: district }, { token: operator.token })
    ).socket;
    const city = (await connectClient(server.url, { kind: 'city' })).socket;
    sockets.push(wall, city);
    const got: { wall: KpisPush[]; city: KpisPush[] } = { wall: [], city: [] };
    wall.on(KPI_PUSH, (k) => got.wall.push(k));
    city.on(KPI_PUSH, (k) => got.city.push(k));

    await server.services.workOrders.pushKpis();
    await waitFor(() => got.wall.length > 0 && got.city.length > 0, 5000, 'KPI pushes');

    const [ours] = got.wall;
    expect(ours!.districts.map((r) => r.key)).toEqual([district]);
    expect(ours!.city).toEqual(ours!.districts[0]);
    const [all] = got.city;
    expect(all!.city.key).toBe('all');
    expect(all!.districts.map((r) => r.key)).toEqual(expect.arrayContaining([district, outsider.districtId]));
    expect(all!.districts.find((r) => r.key === district)).toEqual(ours!.city);
  });
});
