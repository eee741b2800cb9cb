import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../shared/schemas/alert.schema';
import type { Sensor } from '../../../shared/schemas/sensor.schema';
import type { Worker } from '../../../shared/schemas/worker.schema';
import type {
  KpiResponse,
  KpiRow,
  Photo,
  TimelineEntry,
  WorkOrder,
} from '../../../shared/schemas/workOrder.schema';
import { readingsTopic } from '../../../shared/version';
import { createActor, requestAs, type Actor } from '../../helpers/accessActors';
import { rawFetch } from '../../helpers/auth';
import { jpegWithExif } from '../../fixtures/jpegWithExif';
import { connectMqtt, publishJson } from '../../helpers/mqtt';
import {
  connectClient,
  startTestServer,
  waitFor,
  type TestServer,
  type TestSocket,
} from '../../helpers/server';

/**
 * The closed loop of the issue, with real parts only: a smoke spike over MQTT raises an alert,
 * an operator dispatches it in one action, a grid worker's socket.io client is told, the
 * worker accepts, checks in with the site's QR code, uploads a photo and reports; the
 * operator sends it back once (the sensor still breaching), the worker reports again after
 * the smoke clears, the operator passes it; the alert closes with the case and the KPIs and
 * the wall show it.
 */
describe('work order closed loop: alert → dispatch → worker → verify with one rework → KPIs', () => {
  let server: TestServer;
  let mqtt: MqttClient;
  let operator: Actor;
  let worker: Actor;
  let workerRecord: Worker;
  let smoke: Sensor;
  /** Where the smoke detector is, [lng, lat]. */
  let site: [number, number];
  let workerSocket: TestSocket;
  let wall: TestSocket;
  const pushed: {
    assigned: WorkOrder[];
    workerUpdates: Array<{ order: WorkOrder; entry: TimelineEntry }>;
    wallUpdates: Array<{ order: WorkOrder; entry: TimelineEntry }>;
    wallCreated: WorkOrder[];
    alerts: Alert[];
    kpis: KpiRow[];
  } = { assigned: [], workerUpdates: [], wallUpdates: [], wallCreated: [], alerts: [], kpis: [] };

  const as = <T>(actor: Actor, path: string, body?: unknown) =>
    requestAs<T>(server.url, path, actor.token, body === undefined ? {} : { method: 'POST', body });

  async function uploadPhoto(actor: Actor, bytes: Buffer, key: string): Promise<Photo> {
    const res = await rawFetch(`${server.url}/api/v1/photos?lng=${site[0]}&lat=${site[1]}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${actor.token}`,
        'content-type': 'image/jpeg',
        'x-client-key': key,
      },
      body: new Uint8Array(bytes),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as Photo;
  }

  beforeAll(async () => {
    server = await startTestServer({ KPI_PUSH_MS: '200' });
    mqtt = await connectMqtt(server.mqttUrl);
    const sensors = (await (
      await fetch(`${server.url}/api/v1/sensors?kind=grid-event&limit=5000`)
    ).json()) as {
      items: Sensor[];
    };
    const workers = (await (await fetch(`${server.url}/api/v1/workers`)).json()) as { items: Worker[] };
    // A smoke detector in a cell some grid worker covers.
    for (const s of sensors.items.filter((x) => x.subtype === 'smoke')) {
      const w = workers.items.find((x) => s.gridCellId && x.gridCellIds.includes(s.gridCellId));
      if (w) {
        smoke = s;
        workerRecord = w;
        break;
      }
    }
    expect(smoke, 'a smoke detector in a covered cell').toBeDefined();
    site = smoke.location as [number, number];
    operator = await createActor(server.url, { role: 'operator' });
    worker = await createActor(server.url, { role: 'worker', workerId: workerRecord.id });
    ({ socket: workerSocket } = await connectClient(server.url, undefined, { token: worker.token }));
    workerSocket.on('workOrder:assigned', (o) => pushed.assigned.push(o));
    workerSocket.on('workOrder:updated', (c) => pushed.workerUpdates.push(c));
    ({ socket: wall } = await connectClient(server.url, { kind: 'city' }));
    wall.on('workOrder:created', (o) => pushed.wallCreated.push(o));
    wall.on('workOrder:updated', (c) => pushed.wallUpdates.push(c));
    wall.on('alert:raised', (a) => pushed.alerts.push(a));
    wall.on('alert:updated', (a) => pushed.alerts.push(a));
    wall.on('kpis:updated', (k) => pushed.kpis.push(k.city));
  });

  afterAll(async () => {
    workerSocket?.disconnect();
    wall?.disconnect();
    await mqtt?.endAsync();
    await server?.stop();
    server?.cleanup();
  });

  it('runs the whole loop and every party sees it', async () => {
    const t0 = Date.now() - 60_000;
    await publishJson(mqtt, readingsTopic(smoke.id), {
      sensorId: smoke.id,
      observedAt: t0,
      values: { smoke: 12 },
    });
    const alert = await waitFor(
      () => pushed.alerts.find((a) => a.subject.id === smoke.id && a.state === 'firing'),
      10_000,
      'fire alert',
    );

    // One action: the operator dispatches the alert to the covering worker.
    const dispatched = await as<WorkOrder>(operator, `/api/v1/alerts/${alert.id}/dispatch`, {
      assigneeId: workerRecord.id,
      note: '请立即到场核查烟感报警',
    });
    expect(dispatched.status, dispatched.text).toBe(201);
    const order = dispatched.body;
    expect(order).toMatchObject({
      source: 'alert',
      alertId: alert.id,
      sensorId: smoke.id,
      category: 'event.emergency.fire',
      urgency: 'emergency',
      state: 'dispatched',
      assigneeId: workerRecord.id,
      gridCellId: smoke.gridCellId,
      stage: 'response',
    });
    expect(order.dueAt! - order.timeline[1]!.at).toBe(15 * 60_000);
    const linked = await requestAs<{ alert: Alert }>(
      server.url,
      `/api/v1/alerts/${alert.id}`,
      operator.token,
    );
    expect(linked.body.alert.workOrderId).toBe(order.id);

    // The worker's phone is told at once; the wall sees the case appear and move.
    const assigned = await waitFor(
      () => pushed.assigned.find((o) => o.id === order.id),
      5000,
      'assigned push',
    );
    expect(assigned.state).toBe('dispatched');
    await waitFor(() => pushed.wallCreated.find((o) => o.id === order.id), 5000, 'wall: created');

    const accepted = await as<WorkOrder>(worker, `/api/v1/work-orders/${order.id}/accept`, {});
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body.state).toBe('accepted');
    const wrongCode = await as(worker, `/api/v1/work-orders/${order.id}/checkIn`, {
      method: 'qr',
      code: 'SMK-nope',
    });
    expect(wrongCode.status).toBe(400);
    expect(wrongCode.text).toContain('wrong-code');
    const checkedIn = await as<WorkOrder>(worker, `/api/v1/work-orders/${order.id}/checkIn`, {
      method: 'qr',
      code: smoke.id,
    });
    expect(checkedIn.body.state).toBe('handling');

    const reportWithout = await as(worker, `/api/v1/work-orders/${order.id}/report`, { note: '已处理' });
    expect(reportWithout.status).toBe(400);
    expect(reportWithout.text).toContain('photoIds');
    const photo1 = await uploadPhoto(
      worker,
      jpegWithExif({
        lng: site[0],
        lat: site[1],
        dateTimeOriginal: '2026:11:21 10:15:00',
      }),
      'e2e-photo-0001',
    );
    expect(photo1).toMatchObject({ mime: 'image/jpeg', locationSource: 'exif', takenAtSource: 'exif' });
    expect(photo1.takenAt).toBe(Date.UTC(2026, 10, 21, 2, 15, 0));
    // The offline queue may send the same upload twice: one photo.
    const again = await uploadPhoto(worker, jpegWithExif({ lng: site[0], lat: site[1] }), 'e2e-photo-0001');
    expect(again.id).toBe(photo1.id);
    const reported = await as<WorkOrder>(worker, `/api/v1/work-orders/${order.id}/report`, {
      note: '现场为厨房油烟，已通风',
      photoIds: [photo1.id],
    });
    expect(reported.status, reported.text).toBe(200);
    expect(reported.body.state).toBe('reported');

    // The verifier sees the sensor still breaching and sends the case back.
    const detail = await requestAs<{ order: WorkOrder; stillBreaching: boolean; photos: Photo[] }>(
      server.url,
      `/api/v1/work-orders/${order.id}`,
      operator.token,
    );
    expect(detail.body.stillBreaching).toBe(true);
    expect(detail.body.photos.map((p) => p.id)).toEqual([photo1.id]);
    const failed = await as<WorkOrder>(operator, `/api/v1/work-orders/${order.id}/verify`, {
      result: 'fail',
      comment: '烟感仍在报警，请排查烟源',
    });
    expect(failed.body).toMatchObject({ state: 'handling', reworkCount: 1, stillBreaching: true });
    const rework = await waitFor(
      () => pushed.workerUpdates.find((u) => u.order.id === order.id && u.entry.action === 'verify'),
      5000,
      'rework pushed to the worker',
    );
    expect(rework.entry.data).toMatchObject({ result: 'fail' });

    // The smoke clears; the worker reports again with a new photo.
    await publishJson(mqtt, readingsTopic(smoke.id), {
      sensorId: smoke.id,
      observedAt: t0 + 20_000,
      values: { smoke: 1 },
    });
    await waitFor(
      () => pushed.alerts.find((a) => a.id === alert.id && a.state === 'resolved'),
      10_000,
      'alert resolved',
    );
    const photo2 = await uploadPhoto(worker, jpegWithExif({}), 'e2e-photo-0002');
    expect(photo2.locationSource).toBe('device');
    const reportedAgain = await as<WorkOrder>(worker, `/api/v1/work-orders/${order.id}/report`, {
      note: '烟源已排除，烟感恢复正常',
      photoIds: [photo2.id],
    });
    expect(reportedAgain.body.state).toBe('reported');
    const passed = await as<WorkOrder>(operator, `/api/v1/work-orders/${order.id}/verify`, {
      result: 'pass',
      comment: '核实通过',
    });
    expect(passed.body).toMatchObject({ state: 'closed', stage: null, dueAt: null });
    expect(passed.body.stillBreaching).toBeUndefined();
    expect(passed.body.photoIds).toEqual([photo1.id, photo2.id]);

    // Closing the case closed its alert.
    const closedAlert = await waitFor(
      () => pushed.alerts.find((a) => a.id === alert.id && a.state === 'closed'),
      5000,
      'alert closed by the case',
    );
    expect(closedAlert.closed).toMatchObject({ reason: 'work-order' });

    // The citizen's rating, entered by the operator.
    const evaluated = await as<WorkOrder>(operator, `/api/v1/work-orders/${order.id}/evaluate`, {
      stars: 4,
      by: 'citizen',
      comment: '处理及时',
    });
    expect(evaluated.body.state).toBe('evaluated');

    const timeline = evaluated.body.timeline.map((e) => `${e.action}:${e.to}`);
    expect(timeline).toEqual([
      'register:registered',
      'dispatch:dispatched',
      'accept:accepted',
      'checkIn:handling',
      'report:reported',
      'verify:handling',
      'report:reported',
      'verify:closed',
      'evaluate:evaluated',
    ]);
    expect(evaluated.body.timeline.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);

    // KPIs from the timeline, per worker.
    const kpis = await requestAs<KpiResponse>(
      server.url,
      `/api/v1/work-orders/kpis?groupBy=worker&from=${Date.now() - 3_600_000}&to=${Date.now() + 1000}`,
      operator.token,
    );
    expect(kpis.status, kpis.text).toBe(200);
    const row = kpis.body.rows.find((r) => r.key === workerRecord.id);
    expect(row).toMatchObject({
      registered: 1,
      due: 1,
      closed: 1,
      closeRate: 1,
      handled: 1,
      reworked: 1,
      reworkRate: 1,
      ratingAvg: 4,
      ratings: 1,
    });
    const accept = evaluated.body.timeline[2]!;
    const dispatch = evaluated.body.timeline[1]!;
    expect(row!.responseAvgS).toBe(Math.round((accept.at - dispatch.at) / 1000));

    // The wall got the KPIs pushed, with this case closed.
    await waitFor(() => pushed.kpis.find((k) => k.closed >= 1 && k.reworked >= 1), 5000, 'KPIs on the wall');
    // Every step reached the wall in order.
    const steps = pushed.wallUpdates.filter((u) => u.order.id === order.id).map((u) => u.entry.seq);
    expect(steps).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);

    // Every transition is audited with its actor.
    const audit = await requestAs<{ items: Array<{ action: string; actor: { id: string } }> }>(
      server.url,
      `/api/v1/audit?targetType=workOrder&targetId=${order.id}&limit=50`,
      server.token,
    );
    expect(audit.body.items.map((e) => e.action).reverse()).toEqual([
      'workOrder.register',
      'workOrder.dispatch',
      'workOrder.accept',
      'workOrder.checkIn',
      'workOrder.report',
      'workOrder.verify',
      'workOrder.report',
      'workOrder.verify',
      'workOrder.evaluate',
    ]);
    expect(audit.body.items.find((e) => e.action === 'workOrder.accept')?.actor.id).toBe(worker.user.id);
  }, 60_000);

  it('refuses a second case for an alert already being handled', async () => {
    const t0 = Date.now() - 30_000;
    const other = (await (await fetch(`${server.url}/api/v1/sensors?kind=grid-event&limit=5000`)).json()) as {
      items: Sensor[];
    };
    const manhole = other.items.find((s) => s.subtype === 'manhole')!;
    await publishJson(mqtt, readingsTopic(manhole.id), {
      sensorId: manhole.id,
      observedAt: t0,
      values: { tilt: 40 },
    });
    const alert = await waitFor(
      () => pushed.alerts.find((a) => a.subject.id === manhole.id && a.state === 'firing'),
      10_000,
      'manhole alert',
    );
    const first = await as<WorkOrder>(operator, `/api/v1/alerts/${alert.id}/dispatch`, {});
    expect(first.status, first.text).toBe(201);
    expect(first.body.category).toBe('component.public-facility.manhole');
    const second = await as(operator, `/api/v1/alerts/${alert.id}/dispatch`, {});
    expect(second.status).toBe(409);
    expect(second.text).toContain(first.body.id);
  });

  it('makes one case of two dispatches of an alert at once, and none for a worker not on the roster', async () => {
    const sensors = (await (
      await fetch(`${server.url}/api/v1/sensors?kind=grid-event&limit=5000`)
    ).json()) as { items: Sensor[] };
    const manhole = sensors.items.filter((s) => s.subtype === 'manhole').at(-1)!;
    await publishJson(mqtt, readingsTopic(manhole.id), {
      sensorId: manhole.id,
      observedAt: Date.now() - 20_000,
      values: { tilt: 40 },
    });
    const alert = await waitFor(
      () => pushed.alerts.find((a) => a.subject.id === manhole.id && a.state === 'firing'),
      10_000,
      'manhole alert',
    );
    const casesOf = async () =>
      (
        await as<{ items: WorkOrder[] }>(operator, '/api/v1/work-orders?source=alert&limit=500')
      ).body.items.filter((o) => o.alertId === alert.id);

    const unknown = await as<{ error: { details: Array<{ path: string; reason: string }> } }>(
      operator,
      `/api/v1/alerts/${alert.id}/dispatch`,
      { assigneeId: 'W-NOBODY' },
    );
    expect(unknown.status, unknown.text).toBe(400);
    expect(unknown.body.error.details[0]).toMatchObject({ path: 'assigneeId', reason: 'unknown-worker' });
    expect(await casesOf()).toEqual([]);

    const answers = await Promise.all([
      as<WorkOrder>(operator, `/api/v1/alerts/${alert.id}/dispatch`, {}),
      as<WorkOrder>(operator, `/api/v1/alerts/${alert.id}/dispatch`, {}),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
    const made = answers.find((a) => a.status === 201)!.body;
    expect(answers.find((a) => a.status === 409)!.text).toContain(made.id);
    expect((await casesOf()).map((o) => o.id)).toEqual([made.id]);
    // The alert's link to its open case is not overwritten by another link either.
    const relink = await as(operator, `/api/v1/alerts/${alert.id}/work-order`, {
      workOrderId: 'WO-20300101-0001',
    });
    expect(relink.status, relink.text).toBe(409);
    expect(relink.text).toContain(made.id);
    const linked = await as<{ alert: Alert; events: Array<{ type: string }> }>(
      operator,
      `/api/v1/alerts/${alert.id}`,
    );
    expect(linked.body.alert.workOrderId).toBe(made.id);
    // Linking it again to the same case (a repeated request, a repair on start) changes nothing.
    const again = await as(operator, `/api/v1/alerts/${alert.id}/work-order`, { workOrderId: made.id });
    expect(again.status, again.text).toBe(200);
    const after = await as<{ events: Array<{ type: string }> }>(operator, `/api/v1/alerts/${alert.id}`);
    expect(after.body.events.filter((e) => e.type === 'linked')).toHaveLength(
      linked.body.events.filter((e) => e.type === 'linked').length,
    );
  });
});
