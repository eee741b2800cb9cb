import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../shared/schemas/alert.schema';
import type { GridCell } from '../../../shared/schemas/geo.schema';
import type { Incident } from '../../../shared/schemas/incident.schema';
import type { Snapshot } from '../../../shared/schemas/live.schema';
import type { Silence } from '../../../shared/schemas/silence.schema';
import type { Sensor } from '../../../shared/schemas/sensor.schema';
import { cellNeighbours } from '../../../server/src/domain/alerts/correlation';
import { createActor, requestAs } from '../../helpers/accessActors';
import {
  connectClient,
  getJson,
  postJson,
  startTestServer,
  waitFor,
  type TestServer,
  type TestSocket,
} from '../../helpers/server';

interface Received {
  event: string;
  alert?: Alert;
  incident?: Incident;
}

async function listAll<T>(url: string, path: string): Promise<T[]> {
  const out: T[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await getJson<{ items: T[] }>(
      `${url}${path}${path.includes('?') ? '&' : '?'}limit=1000&offset=${offset}`,
    );
    out.push(...page.body.items);
    if (page.body.items.length < 1000) return out;
  }
}

async function send(
  server: TestServer,
  sensorId: string,
  observedAt: number,
  values: Record<string, number>,
) {
  const res = await postJson(`${server.url}/api/v1/readings`, {
    readings: [{ sensorId, observedAt, values }],
  });
  expect(res.status).toBe(200);
}

function recorder(socket: TestSocket): Received[] {
  const got: Received[] = [];
  socket.on('alert:raised', (alert) => got.push({ event: 'alert:raised', alert }));
  socket.on('alert:updated', (alert) => got.push({ event: 'alert:updated', alert }));
  socket.on('incident:opened', (incident) => got.push({ event: 'incident:opened', incident }));
  socket.on('incident:updated', (incident) => got.push({ event: 'incident:updated', incident }));
  return got;
}

/** Silences and inhibition: muted alerts are stored and visible as muted, announced when the mute ends. */
describe('silences and inhibition end to end', () => {
  let server: TestServer;
  let wall: TestSocket;
  let got: Received[];
  let sensors: Sensor[];

  const alertEvents = (sensorId: string) => got.filter((r) => r.alert?.subject.id === sensorId);

  beforeAll(async () => {
    server = await startTestServer();
    sensors = await listAll<Sensor>(server.url, '/api/v1/sensors?kind=grid-event');
    ({ socket: wall } = await connectClient(server.url, { kind: 'city' }));
    got = recorder(wall);
  });

  afterAll(async () => {
    wall?.disconnect();
    await server?.stop();
    server?.cleanup();
  });

  it('mutes a sensor under a maintenance silence, lists it as muted, and announces it when the silence ends', async () => {
    const smoke = sensors.filter((s) => s.subtype === 'smoke')[0]!;
    const now = Date.now();
    const created = await postJson<Silence>(`${server.url}/api/v1/silences`, {
      matchers: { sensorId: [smoke.id] },
      schedule: { type: 'once', startsAt: new Date(now - 60_000).toISOString(), endsAt: now + 3_600_000 },
      comment: '烟感检修 smoke detector maintenance',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ state: 'active', createdBy: expect.any(String) });

    await send(server, smoke.id, now - 30_000, { smoke: 12 });
    const raised = await waitFor(
      () => alertEvents(smoke.id).find((r) => r.event === 'alert:raised'),
      10_000,
      'muted alert raised',
    );
    expect(raised.alert).toMatchObject({
      ruleId: 'grid-smoke',
      severity: 'red',
      state: 'firing',
      suppressed: { by: 'silence', id: created.body.id, reason: '烟感检修 smoke detector maintenance' },
    });
    // Muted alerts are not grouped into incidents on the wall.
    expect(raised.alert!.incidentId).toBeUndefined();

    const muted = await getJson<{ items: Alert[]; total: number }>(
      `${server.url}/api/v1/alerts?suppressed=true&subjectId=${smoke.id}`,
    );
    expect(muted.body.total).toBe(1);
    const announced = await getJson<{ total: number }>(
      `${server.url}/api/v1/alerts?suppressed=false&subjectId=${smoke.id}`,
    );
    expect(announced.body.total).toBe(0);

    const expired = await requestAs<Silence>(
      server.url,
      `/api/v1/silences/${created.body.id}`,
      server.token,
      {
        method: 'DELETE',
      },
    );
    expect(expired.status).toBe(200);
    expect(expired.body.state).toBe('expired');

    const released = await waitFor(
      () => alertEvents(smoke.id).find((r) => r.event === 'alert:updated' && !r.alert!.suppressed),
      10_000,
      'alert announced after the silence ended',
    );
    expect(released.alert!.state).toBe('firing');
    expect(released.alert!.incidentId).toEqual(expect.any(String));

    const detail = await getJson<{ events: Array<{ type: string; data?: Record<string, unknown> }> }>(
      `${server.url}/api/v1/alerts/${raised.alert!.id}`,
    );
    const types = detail.body.events.map((e) => e.type);
    expect(types).toEqual(['firing', 'suppressed', 'unsuppressed', 'correlated']);
    expect(detail.body.events[1]!.data).toMatchObject({ by: 'silence', id: created.body.id });

    const audit = await getJson<{ items: Array<{ action: string; target: { id: string } }> }>(
      `${server.url}/api/v1/audit?targetType=silence`,
    );
    expect(
      audit.body.items
        .filter((e) => e.target.id === created.body.id)
        .map((e) => e.action)
        .sort(),
    ).toEqual(['silence.create', 'silence.expire']);
    const listed = await getJson<{ items: Silence[] }>(`${server.url}/api/v1/silences?state=expired`);
    expect(listed.body.items.map((s) => s.id)).toContain(created.body.id);
  });

  it('tells a recurring window that is open now from one that is not', async () => {
    const smoke = sensors.filter((s) => s.subtype === 'smoke')[1]!;
    const day = ((new Date().getUTCDay() + 6) % 7) + 1; // ISO weekday, UTC
    const other = (day % 7) + 1;
    const make = (days: number[]) =>
      postJson<Silence>(`${server.url}/api/v1/silences`, {
        matchers: { sensorId: [smoke.id] },
        schedule: { type: 'weekly', days, start: '00:00', end: '23:59', timeZone: 'UTC' },
        comment: 'weekly maintenance',
      });
    const today = await make([day]);
    const tomorrow = await make([other]);
    expect(today.body.state).toBe(
      new Date().getUTCHours() * 60 + new Date().getUTCMinutes() < 1439 ? 'active' : 'scheduled',
    );
    expect(tomorrow.body.state).toBe('scheduled');
    for (const s of [today.body, tomorrow.body])
      await requestAs(server.url, `/api/v1/silences/${s.id}`, server.token, { method: 'DELETE' });
  });

  it('mutes streetlight faults in the cell of a power outage and announces them when power returns', async () => {
    const feeders = sensors.filter((s) => s.subtype === 'feeder');
    const lights = sensors.filter((s) => s.subtype === 'streetlight');
    const feeder = feeders.find((f) => lights.some((l) => l.gridCellId === f.gridCellId))!;
    expect(feeder).toBeDefined();
    const light = lights.find((l) => l.gridCellId === feeder.gridCellId)!;
    const elsewhere = lights.find((l) => l.gridCellId !== feeder.gridCellId)!;
    const t0 = Date.now() - 120_000;

    await send(server, feeder.id, t0, { feederOnline: 0 });
    const outage = await waitFor(
      () => alertEvents(feeder.id).find((r) => r.event === 'alert:raised'),
      10_000,
      'power outage alert',
    );
    expect(outage.alert).toMatchObject({ ruleId: 'grid-feeder-offline', state: 'firing' });
    expect(outage.alert!.suppressed).toBeUndefined();

    await send(server, light.id, t0 + 10_000, { lampFault: 1 });
    await send(server, elsewhere.id, t0 + 10_000, { lampFault: 1 });
    const inhibited = await waitFor(
      () => alertEvents(light.id).find((r) => r.event === 'alert:raised'),
      10_000,
      'streetlight alert in the outage cell',
    );
    expect(inhibited.alert!.suppressed).toMatchObject({ by: 'inhibition', id: outage.alert!.id });
    const control = await waitFor(
      () => alertEvents(elsewhere.id).find((r) => r.event === 'alert:raised'),
      10_000,
      'streetlight alert elsewhere',
    );
    expect(control.alert!.suppressed).toBeUndefined();

    await send(server, feeder.id, t0 + 20_000, { feederOnline: 1 });
    const released = await waitFor(
      () => alertEvents(light.id).find((r) => r.event === 'alert:updated' && !r.alert!.suppressed),
      10_000,
      'streetlight alert announced after power returned',
    );
    expect(released.alert!.state).toBe('firing');
  });

  it('applies a new inhibition rule to alerts already open, and audits it', async () => {
    // A bin and a smoke detector sharing a cell (not the detectors used above).
    const smokes = sensors.filter((s) => s.subtype === 'smoke').slice(2);
    const bin = sensors.find(
      (s) => s.subtype === 'waste-bin' && smokes.some((d) => d.gridCellId === s.gridCellId),
    )!;
    const smoke = smokes.find((d) => d.gridCellId === bin.gridCellId)!;
    const t0 = Date.now() - 60_000;
    await send(server, bin.id, t0, { fillLevel: 95 });
    const raised = await waitFor(
      () => alertEvents(bin.id).find((r) => r.event === 'alert:raised'),
      10_000,
      'bin alert',
    );
    expect(raised.alert!.suppressed).toBeUndefined();
    // A fire in the same cell explains a bin nobody empties: mute bins while it burns.
    const created = await postJson<{ id: string }>(`${server.url}/api/v1/inhibitions`, {
      id: 'fire-mutes-bins',
      name: { zh: '火警抑制垃圾桶满溢', en: 'Fire mutes bins' },
      source: { ruleId: ['grid-smoke'] },
      target: { ruleId: ['grid-bin-full'] },
      equal: ['gridCellId'],
    });
    expect(created.status).toBe(201);
    await send(server, smoke.id, t0 + 1_000, { smoke: 9 });
    const muted = await waitFor(
      () => alertEvents(bin.id).find((r) => r.event === 'alert:updated' && r.alert!.suppressed),
      10_000,
      'bin alert muted by the new rule',
    );
    expect(muted.alert!.suppressed).toMatchObject({
      by: 'inhibition',
      reason: expect.stringContaining('火警'),
    });
    const invalid = await postJson<{ error: { details: Array<{ path: string }> } }>(
      `${server.url}/api/v1/inhibitions`,
      { name: { zh: 'x', en: 'x' }, source: {}, target: { ruleId: ['a'] } },
    );
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.details.map((d) => d.path)).toContain('source');
    const audit = await getJson<{ items: Array<{ action: string }> }>(
      `${server.url}/api/v1/audit?targetType=inhibition`,
    );
    expect(audit.body.items.map((e) => e.action)).toContain('inhibition.create');
  });

  it('refuses bad silences with the field and the reason, and keeps district operators inside their districts', async () => {
    const bad = await postJson<{ error: { details: Array<{ path: string; message: string }> } }>(
      `${server.url}/api/v1/silences`,
      {
        matchers: { sensorId: ['x'] },
        schedule: { type: 'once', startsAt: 2_000_000, endsAt: 1_000_000 },
        comment: 'backwards',
      },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toContainEqual(
      expect.objectContaining({ path: 'schedule.endsAt', message: 'endsAt must be after startsAt' }),
    );

    const district = sensors[0]!.districtId!;
    const operator = await createActor(server.url, { role: 'operator', districtIds: [district] });
    const cityWide = await requestAs<{ error: { message: string } }>(
      server.url,
      '/api/v1/silences',
      operator.token,
      {
        method: 'POST',
        body: {
          matchers: { ruleKind: ['noData'] },
          schedule: { type: 'once', startsAt: Date.now(), endsAt: Date.now() + 60_000 },
          comment: 'too wide',
        },
      },
    );
    expect(cityWide.status).toBe(403);
    expect(cityWide.body.error.message).toMatch(/^matchers: /);
    // Asking for a district outside their reach gives nothing (not everything).
    const otherDistrict = got.map((r) => r.alert?.districtId).find((d) => d && d !== district)!;
    const allThere = await getJson<{ total: number }>(
      `${server.url}/api/v1/alerts?districtId=${otherDistrict}`,
    );
    expect(allThere.body.total).toBeGreaterThan(0);
    const outside = await requestAs<{ total: number }>(
      server.url,
      `/api/v1/alerts?districtId=${otherDistrict}`,
      operator.token,
    );
    expect(outside.body.total).toBe(0);
    const outsideIncidents = await requestAs<{ total: number }>(
      server.url,
      `/api/v1/incidents?districtId=${otherDistrict}`,
      operator.token,
    );
    expect(outsideIncidents.body.total).toBe(0);
    const inside = await requestAs<Silence>(server.url, '/api/v1/silences', operator.token, {
      method: 'POST',
      body: {
        matchers: { districtId: [district], ruleKind: ['noData'] },
        schedule: { type: 'once', startsAt: Date.now(), endsAt: Date.now() + 60_000 },
        comment: '区内设备维护',
      },
    });
    expect(inside.status).toBe(201);
    expect(inside.body.createdByName).toBe(operator.user.displayName);
    const viewer = await createActor(server.url, { role: 'viewer' });
    const denied = await requestAs(server.url, '/api/v1/silences', viewer.token, {
      method: 'POST',
      body: inside.body,
    });
    expect(denied.status).toBe(403);
  });
});

/** Correlation: alerts close in place and time are one incident, on the wall and after a restart. */
describe('incidents end to end', () => {
  it('groups alerts in the same and neighbouring cells into one incident, keeps a far one apart, and goes on after a restart', async () => {
    let server = await startTestServer();
    const dir = server.dir;
    let wall: TestSocket | undefined;
    try {
      const sensors = await listAll<Sensor>(server.url, '/api/v1/sensors?kind=grid-event');
      const cells = await listAll<GridCell>(server.url, '/api/v1/grid-cells');
      const neighbours = cellNeighbours(cells);
      const smokeByCell = new Map<string, Sensor[]>();
      for (const s of sensors)
        if (s.subtype === 'smoke' && s.gridCellId)
          smokeByCell.set(s.gridCellId, [...(smokeByCell.get(s.gridCellId) ?? []), s]);
      // A cell with two smoke detectors and a neighbouring cell with one; a third far away.
      const [cellA, [a1, a2]] = [...smokeByCell].find(
        ([cell, list]) => list.length >= 2 && [...neighbours.get(cell)!].some((n) => smokeByCell.has(n)),
      )!;
      const cellB = [...neighbours.get(cellA)!].find((n) => smokeByCell.has(n))!;
      const b = smokeByCell.get(cellB)![0]!;
      const near = new Set([cellA, cellB, ...neighbours.get(cellA)!, ...neighbours.get(cellB)!]);
      const far = sensors.find(
        (s) =>
          s.subtype === 'smoke' &&
          s.gridCellId &&
          ![...near].some((c) => neighbours.get(c)!.has(s.gridCellId!)) &&
          !near.has(s.gridCellId),
      )!;

      ({ socket: wall } = await connectClient(server.url, { kind: 'city' }));
      const got = recorder(wall);
      const t0 = Date.now() - 120_000;
      await send(server, a1!.id, t0, { smoke: 12 });
      const opened = await waitFor(
        () => got.find((r) => r.event === 'incident:opened' && r.incident!.alertIds.length === 1),
        10_000,
        'incident opened',
      );
      const incidentId = opened.incident!.id;
      expect(opened.incident).toMatchObject({ state: 'open', severity: 'red', gridCellIds: [cellA] });

      await send(server, b.id, t0 + 5_000, { smoke: 8 });
      await send(server, far.id, t0 + 6_000, { smoke: 8 });
      const grown = await waitFor(
        () =>
          got.find(
            (r) =>
              r.event === 'incident:updated' &&
              r.incident!.id === incidentId &&
              r.incident!.alertIds.length === 2,
          ),
        10_000,
        'neighbouring alert joined',
      );
      expect(grown.incident!.gridCellIds.sort()).toEqual([cellA, cellB].sort());
      expect(grown.incident!.title.zh).toMatch(/等 2 条告警$/);
      const apart = await waitFor(
        () =>
          got.find((r) => r.event === 'incident:opened' && r.incident!.gridCellIds.includes(far.gridCellId!)),
        10_000,
        'far alert in its own incident',
      );
      expect(apart.incident!.id).not.toBe(incidentId);

      const detail = await getJson<{ incident: Incident; alerts: Alert[] }>(
        `${server.url}/api/v1/incidents/${incidentId}`,
      );
      expect(detail.body.alerts.map((a) => a.subject.id).sort()).toEqual([a1!.id, b.id].sort());
      expect(detail.body.alerts.every((a) => a.incidentId === incidentId)).toBe(true);
      const byIncident = await getJson<{ total: number }>(
        `${server.url}/api/v1/alerts?incidentId=${incidentId}`,
      );
      expect(byIncident.body.total).toBe(2);

      // A dashboard connecting now starts from the open incidents.
      const late = await connectClient(server.url, { kind: 'city' });
      late.socket.disconnect();
      const snapshot: Snapshot = late.snapshot;
      expect(snapshot.openIncidents.map((i) => i.id)).toEqual(
        expect.arrayContaining([incidentId, apart.incident!.id]),
      );

      // A silence made before the restart still holds after it.
      const quiet = sensors.find(
        (s) => s.subtype === 'smoke' && ![a1!.id, a2!.id, b.id, far.id].includes(s.id),
      )!;
      const silence = await postJson<Silence>(`${server.url}/api/v1/silences`, {
        matchers: { sensorId: [quiet.id] },
        schedule: { type: 'once', startsAt: Date.now() - 1000, endsAt: Date.now() + 3_600_000 },
        comment: 'across a restart',
      });
      expect(silence.status).toBe(201);

      wall.disconnect();
      wall = undefined;
      await server.stop();
      server = await startTestServer({}, dir);
      const after = await getJson<Incident>(`${server.url}/api/v1/incidents/${incidentId}`);
      expect(after.status).toBe(200);

      ({ socket: wall } = await connectClient(server.url, { kind: 'city' }));
      const got2 = recorder(wall);
      await send(server, a2!.id, t0 + 60_000, { smoke: 7 });
      await send(server, quiet.id, t0 + 60_000, { smoke: 7 });
      const mutedAfter = await waitFor(
        () => got2.find((r) => r.event === 'alert:raised' && r.alert!.subject.id === quiet.id),
        10_000,
        'alert under a silence made before the restart',
      );
      expect(mutedAfter.alert!.suppressed).toMatchObject({ by: 'silence', id: silence.body.id });
      const joined = await waitFor(
        () => got2.find((r) => r.event === 'incident:updated' && r.incident!.alertIds.length === 3),
        10_000,
        'alert after restart joins the incident',
      );
      expect(joined.incident!.id).toBe(incidentId);

      // Smoke clears everywhere: the incident resolves once all its alerts have.
      for (const s of [a1!, a2!, b]) await send(server, s.id, t0 + 90_000, { smoke: 0 });
      const resolved = await waitFor(
        () =>
          got2.find(
            (r) =>
              r.event === 'incident:updated' &&
              r.incident!.id === incidentId &&
              r.incident!.state === 'resolved',
          ),
        10_000,
        'incident resolved',
      );
      expect(resolved.incident!.openAlertIds).toEqual([]);
      const open = await getJson<{ items: Incident[] }>(`${server.url}/api/v1/incidents?state=open`);
      expect(open.body.items.map((i) => i.id)).not.toContain(incidentId);
    } finally {
      wall?.disconnect();
      await server.stop();
      server.cleanup();
    }
  });
});
