import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../shared/schemas/alert.schema';
import type { GridCell } from '../../../shared/schemas/geo.schema';
import type { Sensor } from '../../../shared/schemas/sensor.schema';
import type { Worker } from '../../../shared/schemas/worker.schema';
import type {
  DispatchSuggestion,
  TimelineEntry,
  WorkerPosition,
  WorkOrder,
  WorkOrderPolicy,
} from '../../../shared/schemas/workOrder.schema';
import { CASE_CATEGORIES } from '../../../shared/domain/caseCategories';
import { createActor, requestAs, type Actor } from '../../helpers/accessActors';
import {
  connectClient,
  startTestServer,
  waitFor,
  type TestServer,
  type TestSocket,
} from '../../helpers/server';

const MINUTE = 60_000;
/** 10:00 in Hangzhou (UTC+8) on a future day: the day shift (08:00–20:00) is on duty. */
const DAY_START = Date.UTC(2030, 4, 14, 2, 0, 0);

/**
 * Dispatch, stage timers and the policy on a real server running on a virtual clock: time
 * moves only when the test says so, and the overdue check runs when the test ticks it.
 */
describe('work orders: suggestions, auto-dispatch, reassignment, overdue flags, positions', () => {
  let now = DAY_START;
  let server: TestServer;
  let operator: Actor;
  let supervisor: Actor;
  let cell: GridCell;
  let covering: Worker[];
  let wall: TestSocket;
  const wallUpdates: Array<{ order: WorkOrder; entry: TimelineEntry }> = [];

  const call = <T>(actor: Actor, path: string, body?: unknown, method = 'POST') =>
    requestAs<T>(server.url, path, actor.token, body === undefined ? {} : { method, body });

  async function newCase(actor: Actor, extra: Record<string, unknown> = {}): Promise<WorkOrder> {
    const res = await call<WorkOrder>(actor, '/api/v1/work-orders', {
      category: 'event.city-appearance.litter',
      title: '路边暴露垃圾',
      location: cell.centroid,
      ...extra,
    });
    expect(res.status, res.text).toBe(201);
    return res.body;
  }

  beforeAll(async () => {
    server = await startTestServer({}, undefined, { virtualClock: () => now });
    operator = await createActor(server.url, { role: 'operator' });
    supervisor = await createActor(server.url, { role: 'supervisor' });
    const workers = (await (await fetch(`${server.url}/api/v1/workers`)).json()) as { items: Worker[] };
    // A cell of a day-shift worker, and a second day-shift worker of the same district to reassign to.
    const dayShift = workers.items.filter((w) => w.shift.start === '08:00');
    const first = dayShift.find((w) => dayShift.some((o) => o.id !== w.id && o.districtId === w.districtId))!;
    const second = dayShift.find((o) => o.id !== first.id && o.districtId === first.districtId)!;
    covering = [first, second];
    const cellId = first.gridCellIds[0]!;
    cell = (await (await fetch(`${server.url}/api/v1/grid-cells/${cellId}`)).json()) as GridCell;
    ({ socket: wall } = await connectClient(server.url, { kind: 'city' }));
    wall.on('workOrder:updated', (u) => wallUpdates.push(u));
  });

  afterAll(async () => {
    wall?.disconnect();
    await server?.stop();
    server?.cleanup();
  });

  it('ranks the workers who cover the cell first and says why', async () => {
    const order = await newCase(operator);
    expect(order.state).toBe('registered');
    const res = await call<{ items: DispatchSuggestion[] }>(
      operator,
      `/api/v1/work-orders/${order.id}/suggestions?limit=10`,
      undefined,
    );
    expect(res.status, res.text).toBe(200);
    const items = res.body.items;
    expect(items).toHaveLength(10);
    expect(items.map((s) => s.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(items[0]).toMatchObject({ workerId: covering[0]!.id, coverage: 'cell', onDuty: true });
    expect(items[0]!.reasons.map((r) => r.zh)).toContain('负责该网格');
    // Scores never go down the list.
    for (let i = 1; i < items.length; i++)
      expect(items[i]!.score).toBeGreaterThanOrEqual(items[i - 1]!.score);
  });

  it('dispatches on its own when the policy says so, to a covering worker on duty with the skill', async () => {
    const [first] = covering;
    // A category needing a skill the cell's day-shift worker has.
    const category = CASE_CATEGORIES.find((c) => c.skill && first!.skills.includes(c.skill))!;
    const policy = (await call<WorkOrderPolicy>(operator, '/api/v1/work-order-policy', undefined)).body;
    const forbidden = await call(
      operator,
      '/api/v1/work-order-policy',
      { ...policy, autoDispatch: [] },
      'PUT',
    );
    expect(forbidden.status).toBe(403);
    const changed = await call<WorkOrderPolicy>(
      supervisor,
      '/api/v1/work-order-policy',
      { ...policy, autoDispatch: [category.id] },
      'PUT',
    );
    expect(changed.status, changed.text).toBe(200);
    const manual = await newCase(operator);
    expect(manual.state).toBe('registered');
    const order = await newCase(operator, { category: category.id });
    expect(order.state).toBe('dispatched');
    expect(order.timeline[1]).toMatchObject({ action: 'dispatch', by: 'system' });
    const workers = (await (await fetch(`${server.url}/api/v1/workers`)).json()) as { items: Worker[] };
    const assignee = workers.items.find((w) => w.id === order.assigneeId)!;
    expect(assignee.skills).toContain(category.skill);
    expect(assignee.gridCellIds).toContain(cell.id);
    const invalid = await call(
      supervisor,
      '/api/v1/work-order-policy',
      { ...policy, checkInRadiusM: 1 },
      'PUT',
    );
    expect(invalid.status).toBe(400);
    expect(invalid.text).toContain('checkInRadiusM');
    expect((await call(supervisor, '/api/v1/work-order-policy', policy, 'PUT')).status).toBe(200);
  });

  it('flags a case whose response time ran out, once, to the wall and the overdue list', async () => {
    const [first] = covering;
    const order = await newCase(operator, { assigneeId: first!.id, urgency: 'normal' });
    expect(order).toMatchObject({ state: 'dispatched', stage: 'response', overdueAt: null });
    expect(order.dueAt).toBe(now + 30 * MINUTE);

    now += 29 * MINUTE;
    await server.services.workOrders.tick();
    expect(
      (await call<{ order: WorkOrder }>(operator, `/api/v1/work-orders/${order.id}`, undefined)).body.order
        .overdueAt,
    ).toBeNull();

    now += 2 * MINUTE;
    await server.services.workOrders.tick();
    await server.services.workOrders.tick();
    const flagged = (await call<{ order: WorkOrder }>(operator, `/api/v1/work-orders/${order.id}`, undefined))
      .body.order;
    expect(flagged.overdueAt).toBe(now);
    expect(flagged.timeline.filter((e) => e.action === 'overdue')).toEqual([
      expect.objectContaining({
        action: 'overdue',
        by: 'system',
        data: { stage: 'response', dueAt: order.dueAt },
      }),
    ]);
    const update = await waitFor(
      () => wallUpdates.find((u) => u.order.id === order.id && u.entry.action === 'overdue'),
      5000,
      'overdue on the wall',
    );
    expect(update.order.overdueAt).toBe(now);
    const overdue = await call<{ items: WorkOrder[] }>(
      operator,
      '/api/v1/work-orders?overdue=true',
      undefined,
    );
    expect(overdue.body.items.map((o) => o.id)).toContain(order.id);
  });

  it('keeps history through a reassignment and tells the old worker why their action no longer counts', async () => {
    const [first, second] = covering;
    const firstUser = await createActor(server.url, { role: 'worker', workerId: first!.id });
    const secondUser = await createActor(server.url, { role: 'worker', workerId: second!.id });
    const order = await newCase(operator, { assigneeId: first!.id });
    const reassigned = await call<WorkOrder>(operator, `/api/v1/work-orders/${order.id}/reassign`, {
      assigneeId: second!.id,
      reason: '原网格员请假',
    });
    expect(reassigned.status, reassigned.text).toBe(200);
    expect(reassigned.body.timeline.at(-1)).toMatchObject({
      action: 'reassign',
      assigneeId: second!.id,
      note: '原网格员请假',
      data: { previousAssigneeId: first!.id },
    });
    const late = await call<{ error: { code: string; details: Array<{ reason: string }> } }>(
      firstUser,
      `/api/v1/work-orders/${order.id}/accept`,
      { actionId: 'offline-accept-0001', doneAt: now - MINUTE },
    );
    expect(late.status).toBe(409);
    expect(late.body.error.details[0]!.reason).toBe('reassigned');
    expect(late.text).toContain(second!.id);
    const accepted = await call<WorkOrder>(secondUser, `/api/v1/work-orders/${order.id}/accept`, {
      actionId: 'accept-second-0001',
    });
    expect(accepted.body.state).toBe('accepted');
    // The same action again (an offline queue replaying after a lost answer) changes nothing.
    const replay = await call<WorkOrder>(secondUser, `/api/v1/work-orders/${order.id}/accept`, {
      actionId: 'accept-second-0001',
    });
    expect(replay.status).toBe(200);
    expect(replay.body.version).toBe(accepted.body.version);
  });

  it('takes a worker position only on duty and shows it to dispatchers', async () => {
    const [first] = covering;
    const user = await createActor(server.url, { role: 'worker', workerId: first!.id });
    // Live positions are pushed only to roles that may read the roster (not to an engineer's wall).
    const engineer = await createActor(server.url, { role: 'engineer' });
    const { socket: dispatcherWall } = await connectClient(
      server.url,
      { kind: 'city' },
      { token: operator.token },
    );
    const { socket: engineerWall } = await connectClient(
      server.url,
      { kind: 'city' },
      { token: engineer.token },
    );
    const seenByDispatcher: WorkerPosition[] = [];
    const seenByEngineer: WorkerPosition[] = [];
    dispatcherWall.on('worker:moved', (p) => seenByDispatcher.push(p));
    engineerWall.on('worker:moved', (p) => seenByEngineer.push(p));
    const at = await call<WorkerPosition>(user, '/api/v1/me/position', {
      location: cell.centroid,
      accuracyM: 12,
    });
    expect(at.status, at.text).toBe(200);
    expect(at.body).toMatchObject({ workerId: first!.id, at: now });
    await waitFor(() => seenByDispatcher.length > 0);
    expect(seenByDispatcher[0]).toMatchObject({ workerId: first!.id, accuracyM: 12 });
    // Both sockets are in the city room; give a wrongly routed push the same time to arrive.
    await new Promise((r) => setTimeout(r, 100));
    expect(seenByEngineer).toEqual([]);
    dispatcherWall.disconnect();
    engineerWall.disconnect();
    const listed = await call<{ items: WorkerPosition[] }>(operator, '/api/v1/worker-positions', undefined);
    expect(listed.body.items).toContainEqual(expect.objectContaining({ workerId: first!.id, accuracyM: 12 }));
    const saved = now;
    now = DAY_START + 12 * 60 * MINUTE; // 22:00 in Hangzhou: the day shift is off duty
    const off = await call(user, '/api/v1/me/position', { location: cell.centroid });
    expect(off.status).toBe(409);
    expect(off.text).toContain('off duty');
    now = saved;
  });

  it('dispatches an incident as one case and closes its alerts when the case closes', async () => {
    const sensors = (await (
      await fetch(`${server.url}/api/v1/sensors?kind=grid-event&limit=5000`)
    ).json()) as {
      items: Sensor[];
    };
    // Two smoke detectors in one cell: their alerts group into one incident.
    const byCell = new Map<string, Sensor[]>();
    for (const s of sensors.items.filter((x) => x.subtype === 'smoke' && x.gridCellId))
      byCell.set(s.gridCellId!, [...(byCell.get(s.gridCellId!) ?? []), s]);
    const pair = [...byCell.values()].find((ss) => ss.length >= 2)!;
    expect(pair, 'two smoke detectors in one cell').toBeDefined();
    for (const s of pair.slice(0, 2)) {
      const posted = await fetch(`${server.url}/api/v1/readings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          readings: [{ sensorId: s.id, observedAt: now - 1000, values: { smoke: 15 } }],
        }),
      });
      expect(posted.status).toBe(200);
    }
    await server.services.alerting.settled();
    const alerts = await waitFor(
      async () => {
        const res = await call<{ items: Alert[] }>(
          operator,
          `/api/v1/alerts?ruleId=grid-smoke&limit=50`,
          undefined,
        );
        const ours = res.body.items.filter((a) => pair.slice(0, 2).some((s) => s.id === a.subject.id));
        return ours.length === 2 && ours[0]!.incidentId && ours[0]!.incidentId === ours[1]!.incidentId
          ? ours
          : undefined;
      },
      10_000,
      'two alerts in one incident',
    );
    const incidentId = alerts[0]!.incidentId!;
    const dispatched = await call<WorkOrder>(operator, `/api/v1/incidents/${incidentId}/dispatch`, {});
    expect(dispatched.status, dispatched.text).toBe(201);
    expect(dispatched.body).toMatchObject({
      source: 'incident',
      incidentId,
      category: 'event.emergency.fire',
    });
    for (const a of alerts) {
      const linked = await call<{ alert: Alert }>(operator, `/api/v1/alerts/${a.id}`, undefined);
      expect(linked.body.alert.workOrderId).toBe(dispatched.body.id);
    }
    // Drive it to a close as an operator would for a department's answer: escalate, record, verify.
    const id = dispatched.body.id;
    expect(
      (
        await call<WorkOrder>(operator, `/api/v1/work-orders/${id}/escalate`, {
          department: '消防救援支队',
          reason: '需专业处置',
        })
      ).body.state,
    ).toBe('escalated');
    expect(
      (await call<WorkOrder>(operator, `/api/v1/work-orders/${id}/report`, { note: '消防已处置完毕' })).body
        .state,
    ).toBe('reported');
    const closed = await call<WorkOrder>(operator, `/api/v1/work-orders/${id}/verify`, { result: 'pass' });
    expect(closed.body).toMatchObject({ state: 'closed', stillBreaching: true });
    for (const a of alerts) {
      const after = await call<{ alert: Alert }>(operator, `/api/v1/alerts/${a.id}`, undefined);
      expect(after.body.alert).toMatchObject({ state: 'closed', closed: { reason: 'work-order' } });
    }
  });
});
