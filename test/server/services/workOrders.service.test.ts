import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../../shared/schemas/alert.schema';
import type { AuditOrigin } from '../../../shared/schemas/audit.schema';
import type { LngLat } from '../../../shared/schemas/common.schema';
import type { GridCell } from '../../../shared/schemas/geo.schema';
import type { Incident } from '../../../shared/schemas/incident.schema';
import type { Worker } from '../../../shared/schemas/worker.schema';
import type { WorkOrder } from '../../../shared/schemas/workOrder.schema';
import { decide, type Actor } from '../../../server/src/domain/workOrders/stateMachine';
import { DEFAULT_POLICY } from '../../../server/src/domain/workOrders/sla';
import { migrate, openDatabase, type SqliteDatabase } from '../../../server/src/persistence/sqlite/database';
import { SqlitePhotoRepository } from '../../../server/src/persistence/sqlite/photos.repository';
import {
  SqliteSettingsRepository,
  SqliteWorkerPositionRepository,
} from '../../../server/src/persistence/sqlite/settings.repository';
import { SqliteWorkOrderRepository } from '../../../server/src/persistence/sqlite/workOrders.repository';
import type { AlertingService } from '../../../server/src/services/alerting.service';
import type { AuditService } from '../../../server/src/services/audit.service';
import type { CatalogService } from '../../../server/src/services/catalog.service';
import { DomainEvents, type DomainEventMap } from '../../../server/src/services/events';
import type { IncidentService } from '../../../server/src/services/incidents.service';
import { WorkOrderError, WorkOrderService } from '../../../server/src/services/workOrders.service';

/**
 * WorkOrderService over a real SQLite store (in memory) with the rest faked: what only the
 * service decides — its open-case mirror, who is told a case was withdrawn, the worker's recent
 * tasks, what a failure after a stored change does, the offline age bound.
 */
const MIN = 60_000;
const DAY = 24 * 60 * MIN;
/** 10:00 on 21 Nov 2026 in Shanghai (UTC+8). */
const T0 = Date.UTC(2026, 10, 21, 2, 0);
const SITE: LngLat = [120.15, 30.27];
const ORIGIN: AuditOrigin = { via: 'http', ip: '10.0.0.1' };
const LITTER = 'event.city-appearance.litter';

const CELL: GridCell = {
  id: '330106001001001',
  districtId: '330106',
  streetCode: '330106001',
  communityCode: '330106001001',
  centroid: SITE,
  polygon: [
    [
      [120.14, 30.26],
      [120.16, 30.26],
      [120.16, 30.28],
      [120.14, 30.28],
      [120.14, 30.26],
    ],
  ],
} as GridCell;

const worker = (id: string): Worker => ({
  id,
  name: `网格员 ${id}`,
  phone: '13800000000',
  districtId: CELL.districtId,
  gridCellIds: [CELL.id],
  skills: ['waste-bin'],
  shift: { start: '00:00', end: '23:59' },
  location: SITE,
});
const WORKERS = [worker('w-1'), worker('w-2')];

const OPERATOR: Actor = { id: 'u-op', name: '值班员', role: 'operator', workerId: null };
const WORKER_1: Actor = { id: 'u-w1', name: 'w-1', role: 'worker', workerId: 'w-1' };

const databases: SqliteDatabase[] = [];
afterEach(() => {
  for (const db of databases.splice(0)) db.close();
});

function setup(alerting: Partial<AlertingService> = {}, incidents: Partial<IncidentService> = {}) {
  const db = openDatabase(':memory:', { synchronous: 'NORMAL' });
  databases.push(db);
  migrate(db);
  const clock = { now: T0 };
  const orders = new SqliteWorkOrderRepository(db);
  const events = new DomainEvents();
  const updates: Array<DomainEventMap['workOrder.updated']> = [];
  events.on('workOrder.updated', (e) => updates.push(e));
  const errors: string[] = [];
  const catalog = {
    worker: (id: string) => WORKERS.find((w) => w.id === id),
    listWorkers: () => WORKERS,
    cellAt: () => CELL,
    gridCell: (id: string) => (id === CELL.id ? CELL : undefined),
    sensor: () => undefined,
    district: () => undefined,
  };
  const service = new WorkOrderService({
    orders,
    photos: new SqlitePhotoRepository(db),
    positions: new SqliteWorkerPositionRepository(db),
    settingsRepo: new SqliteSettingsRepository(db),
    catalog: catalog as unknown as CatalogService,
    alerting: alerting as AlertingService,
    incidents: { alertsOf: async () => [], ...incidents } as IncidentService,
    audit: { record: async () => ({}) } as unknown as AuditService,
    events,
    neighbours: new Map(),
    clock: () => clock.now,
    settings: { tickMs: 0, maxPhotoBytes: 1_000_000, kpiPushMs: 0 },
    onError: (message) => errors.push(message),
  });
  return { service, orders, clock, updates, errors };
}

const litter = (extra: Record<string, unknown> = {}) => ({
  category: LITTER,
  title: '路边暴露垃圾',
  location: SITE,
  photoIds: [],
  ...extra,
});

describe('the open-case mirror', () => {
  it('does not take back a case closed while an overdue check was reading an older version of it', async () => {
    const { service, orders, clock } = setup();
    await service.start();
    const order = await service.create(litter({ assigneeId: 'w-1' }) as never, OPERATOR, ORIGIN);
    expect(order).toMatchObject({ state: 'dispatched', dueAt: T0 + 30 * MIN });
    // Another node records the worker's accept: the store moves on, this node's mirror does not.
    const accepted = decide(order, { action: 'accept' }, WORKER_1, {
      now: T0 + 10 * MIN,
      policy: DEFAULT_POLICY,
      workerExists: () => true,
    });
    if (!accepted.ok) throw new Error(accepted.refusal.message);
    expect(await orders.update(accepted.order)).toBe(true);
    clock.now = T0 + 31 * MIN;
    // The overdue check reads the accepted case; before it goes on, an operator cancels the case.
    const realFind = orders.find.bind(orders);
    let raced = false;
    orders.find = async (id: string): Promise<WorkOrder | null> => {
      const read = await realFind(id);
      if (!raced) {
        raced = true;
        await service.command(id, { action: 'cancel', reason: 'duplicate', note: '' }, OPERATOR, ORIGIN);
      }
      return read;
    };

    await service.tick();

    expect((await realFind(order.id))?.state).toBe('cancelled');
    expect(service.openOrders().map((o) => o.id)).not.toContain(order.id);
  });
});

describe('who is told a case was withdrawn', () => {
  it('tells a worker who had the case in hand, not one who had returned it', async () => {
    const { service, updates } = setup();
    await service.start();
    const order = await service.create(litter({ assigneeId: 'w-1' }) as never, OPERATOR, ORIGIN);
    await service.command(
      order.id,
      { action: 'return', reason: 'wrong-location', note: '' },
      WORKER_1,
      ORIGIN,
    );
    await service.command(order.id, { action: 'dispatch', assigneeId: 'w-2' }, OPERATOR, ORIGIN);
    await service.command(
      order.id,
      { action: 'reassign', assigneeId: 'w-1', reason: '就近' },
      OPERATOR,
      ORIGIN,
    );

    const changes = updates.filter((u) => u.order.id === order.id);
    expect(changes.map((u) => [u.entry.action, u.previousAssigneeId ?? null])).toEqual([
      ['dispatch', null],
      ['return', null],
      ['dispatch', null],
      ['reassign', 'w-2'],
    ]);
  });
});

describe("a grid worker's tasks", () => {
  it('lists a case finished this week however long ago it was registered', async () => {
    const { service, clock } = setup();
    await service.start();
    clock.now = T0 - 10 * DAY;
    const order = await service.create(litter({ assigneeId: 'w-1' }) as never, OPERATOR, ORIGIN);
    clock.now = T0;
    await service.command(order.id, { action: 'cancel', reason: 'not-a-case', note: '' }, OPERATOR, ORIGIN);

    const { items } = await service.tasksOf('w-1');

    expect(items.map((o) => [o.id, o.state])).toEqual([[order.id, 'cancelled']]);
  });
});

describe('after a stored change', () => {
  const alert = {
    id: 'al-1',
    state: 'firing',
    severity: 'yellow',
    subject: { type: 'sensor', id: 'gs-1' },
    ruleId: 'grid-litter',
    metric: 'fill',
    title: { zh: '垃圾满溢', en: 'Bin full' },
    location: SITE,
    gridCellId: CELL.id,
    districtId: CELL.districtId,
  } as unknown as Alert;

  it('answers a verified close and announces it even when closing the linked alert fails', async () => {
    const { service, updates, errors } = setup({
      find: async () => alert,
      linkWorkOrder: async () => alert,
      closeByWorkOrder: async () => {
        throw new Error('alert store unavailable');
      },
    });
    await service.start();
    await service.setPolicy({ ...DEFAULT_POLICY, reportNeedsPhoto: false }, OPERATOR, ORIGIN);
    const order = await service.dispatchAlert('al-1', { assigneeId: 'w-1' }, OPERATOR, ORIGIN);
    await service.command(order.id, { action: 'accept' }, WORKER_1, ORIGIN);
    await service.command(
      order.id,
      { action: 'checkIn', method: 'qr', code: `cityops:site:${order.id}` },
      WORKER_1,
      ORIGIN,
    );
    await service.command(order.id, { action: 'report', note: '已清运', photoIds: [] }, WORKER_1, ORIGIN);

    const closed = await service.command(
      order.id,
      { action: 'verify', result: 'pass', comment: '' },
      OPERATOR,
      ORIGIN,
    );

    expect(closed.state).toBe('closed');
    expect(updates.at(-1)).toMatchObject({
      order: { id: order.id, state: 'closed' },
      entry: { action: 'verify' },
    });
    expect(errors).toEqual([`closing the alerts of ${order.id} failed`]);
  });
});

describe('one-click dispatch of an alert', () => {
  const alert = {
    id: 'al-2',
    state: 'firing',
    severity: 'orange',
    subject: { type: 'sensor', id: 'mh-1' },
    ruleId: 'grid-manhole',
    metric: 'tilt',
    title: { zh: '井盖倾斜', en: 'Manhole tilted' },
    location: SITE,
    gridCellId: CELL.id,
    districtId: CELL.districtId,
  } as unknown as Alert;
  const allCases = async (orders: SqliteWorkOrderRepository) =>
    (await orders.query({ limit: 100, offset: 0 })).items;

  it('makes one case when two dispatches read the alert unlinked at once', async () => {
    const { service, orders } = setup({ find: async () => alert, linkWorkOrder: async () => alert });
    await service.start();

    const results = await Promise.allSettled([
      service.dispatchAlert(alert.id, {}, OPERATOR, ORIGIN),
      service.dispatchAlert(alert.id, {}, OPERATOR, ORIGIN),
    ]);

    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = results.find((r) => r.status === 'rejected')!.reason as unknown;
    expect(refused).toMatchObject({ code: 'conflict', reason: 'already-dispatched' });
    expect((await allCases(orders)).map((o) => o.alertId)).toEqual([alert.id]);
  });

  it('checks the worker before it makes a case, and links the alert before it dispatches', async () => {
    const linkedAt: number[] = [];
    const { service, orders, updates } = setup({
      find: async () => alert,
      linkWorkOrder: async () => {
        linkedAt.push(updates.length);
        return alert;
      },
    });
    await service.start();
    const refusal = (p: Promise<unknown>) =>
      p.then(
        () => null,
        (e: unknown) => e,
      );
    const outside = { worker: (w: Worker) => w.id === 'w-1', cell: () => true };

    expect(
      await refusal(service.dispatchAlert(alert.id, { assigneeId: 'w-9' }, OPERATOR, ORIGIN)),
    ).toMatchObject({
      code: 'invalid_request',
      reason: 'unknown-worker',
      path: 'assigneeId',
    });
    expect(
      await refusal(service.dispatchAlert(alert.id, { assigneeId: 'w-2' }, OPERATOR, ORIGIN, outside)),
    ).toMatchObject({ code: 'forbidden', path: 'assigneeId' });
    expect(await allCases(orders)).toEqual([]);
    expect(linkedAt).toEqual([]);

    const order = await service.dispatchAlert(alert.id, { assigneeId: 'w-1' }, OPERATOR, ORIGIN, outside);
    expect(order).toMatchObject({ state: 'dispatched', assigneeId: 'w-1', alertId: alert.id });
    expect(linkedAt).toEqual([0]);
  });

  it('links an alert to its case on start when the process died between storing the case and the link', async () => {
    let alive = false;
    let current: Alert = { ...alert };
    const links: Array<[string, string]> = [];
    const { service, orders, errors } = setup({
      find: async () => current,
      linkWorkOrder: async (id: string, workOrderId: string) => {
        if (!alive) throw new Error('the process died before the link was written');
        links.push([id, workOrderId]);
        current = { ...current, workOrderId };
        return current;
      },
    });
    await service.start();
    await expect(service.dispatchAlert(alert.id, {}, OPERATOR, ORIGIN)).rejects.toThrow('process died');
    const [stored] = await allCases(orders);
    expect(stored).toMatchObject({ alertId: alert.id, state: 'registered' });
    expect(links).toEqual([]);

    // The restart: the open case is found and its alert linked to it.
    alive = true;
    service.stop();
    await service.start();
    expect(await service.relinkAlerts()).toBe(1);
    expect(links).toEqual([[alert.id, stored!.id]]);
    expect(errors).toEqual([
      expect.stringContaining(`alert ${alert.id} was not linked to its case ${stored!.id}`),
    ]);
    // Already linked: another start changes nothing.
    service.stop();
    await service.start();
    expect(await service.relinkAlerts()).toBe(0);
    expect(links).toHaveLength(1);
  });
});

describe('one-click dispatch of an incident', () => {
  const incident = {
    id: 'inc-1',
    state: 'open',
    severity: 'red',
    title: { zh: '多处烟感报警', en: 'Several smoke alarms' },
    location: SITE,
    gridCellIds: [CELL.id],
    districtIds: [CELL.districtId],
  } as unknown as Incident;

  it('answers an incident whose site is outside the caller’s cells as not found, and makes no case', async () => {
    const { service, orders } = setup({}, { find: async () => incident });
    await service.start();
    const elsewhere = { worker: () => true, cell: (c: { id: string }) => c.id !== CELL.id };

    const refused = await service.dispatchIncident(incident.id, {}, OPERATOR, ORIGIN, elsewhere).then(
      () => null,
      (e: unknown) => e,
    );

    expect(refused).toMatchObject({ code: 'not_found' });
    expect((await orders.query({ limit: 10, offset: 0 })).total).toBe(0);
    const order = await service.dispatchIncident(incident.id, {}, OPERATOR, ORIGIN, {
      worker: () => true,
      cell: () => true,
    });
    expect(order).toMatchObject({ source: 'incident', gridCellId: CELL.id });
  });

  it('links on start the open alerts of a case’s incident that a kill left without a case', async () => {
    const alertOf = (id: string, state = 'firing') =>
      ({
        id,
        state,
        severity: 'red',
        incidentId: incident.id,
        subject: { type: 'sensor', id: `sm-${id}` },
        ruleId: 'grid-smoke',
        metric: 'smoke',
        title: { zh: '烟感报警', en: 'Smoke alarm' },
        location: SITE,
        gridCellId: CELL.id,
        districtId: CELL.districtId,
      }) as unknown as Alert;
    let alerts = [alertOf('al-a'), alertOf('al-b'), alertOf('al-c', 'closed')];
    let dead = true;
    const links: Array<[string, string]> = [];
    const { service, orders } = setup(
      {
        find: async (id: string) => alerts.find((a) => a.id === id) ?? null,
        linkWorkOrder: async (id: string, workOrderId: string) => {
          // The process dies after linking the first alert of the incident.
          if (dead && links.length > 0) throw new Error('the process died');
          links.push([id, workOrderId]);
          alerts = alerts.map((a) => (a.id === id ? { ...a, workOrderId } : a));
          return alerts.find((a) => a.id === id)!;
        },
      },
      { find: async () => incident, alertsOf: async () => alerts.filter((a) => a.state !== 'closed') },
    );
    await service.start();
    await expect(service.dispatchIncident(incident.id, {}, OPERATOR, ORIGIN)).rejects.toThrow('process died');
    const [stored] = (await orders.query({ limit: 10, offset: 0 })).items;
    expect(stored).toMatchObject({ incidentId: incident.id, state: 'registered' });
    expect(links).toEqual([['al-a', stored!.id]]);

    // The restart links the rest of the incident's open alerts; the closed one stays as it was.
    dead = false;
    service.stop();
    await service.start();
    expect(await service.relinkAlerts()).toBe(1);
    expect(links).toEqual([
      ['al-a', stored!.id],
      ['al-b', stored!.id],
    ]);
    expect(alerts.map((a) => a.workOrderId)).toEqual([stored!.id, stored!.id, undefined]);
  });
});

describe('offline registrations', () => {
  it('refuses a patrol report queued more than 7 days ago, naming doneAt', async () => {
    const { service } = setup();
    await service.start();
    const err = await service.create(litter({ doneAt: T0 - 8 * DAY }) as never, WORKER_1, ORIGIN).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkOrderError);
    expect(err).toMatchObject({ code: 'invalid_request', reason: 'too-old', path: 'doneAt' });
    const taken = await service.create(litter({ doneAt: T0 - 6 * DAY }) as never, WORKER_1, ORIGIN);
    expect(taken.createdAt).toBe(T0 - 6 * DAY);
  });
});
