import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../shared/schemas/alert.schema';
import type { Rule } from '../../../shared/schemas/rule.schema';
import type { Sensor } from '../../../shared/schemas/sensor.schema';
import { readingsTopic } from '../../../shared/version';
import { connectMqtt, publishJson } from '../../helpers/mqtt';
import {
  connectClient,
  getJson,
  postJson,
  startTestServer,
  waitFor,
  type TestServer,
  type TestSocket,
} from '../../helpers/server';

/** Alerts from real readings: MQTT in, rule engine, SQLite, socket clients and the REST API out. */
describe('alerting end to end', () => {
  let server: TestServer;
  let mqtt: MqttClient;
  let wall: TestSocket;
  const received: Array<{ event: 'raised' | 'updated'; alert: Alert }> = [];
  let sensors: Sensor[];

  const bySubtype = (subtype: string, n = 0) => sensors.filter((s) => s.subtype === subtype)[n]!;
  const alertsOf = (sensorId: string) => received.filter((r) => r.alert.subject.id === sensorId);

  beforeAll(async () => {
    server = await startTestServer();
    mqtt = await connectMqtt(server.mqttUrl);
    sensors = [];
    for (let offset = 0; ; offset += 500) {
      const page = await getJson<{ items: Sensor[] }>(
        `${server.url}/api/v1/sensors?limit=500&offset=${offset}`,
      );
      sensors.push(...page.body.items);
      if (page.body.items.length < 500) break;
    }
    ({ socket: wall } = await connectClient(server.url, { kind: 'city' }));
    wall.on('alert:raised', (alert) => received.push({ event: 'raised', alert }));
    wall.on('alert:updated', (alert) => received.push({ event: 'updated', alert }));
  });

  afterAll(async () => {
    wall?.disconnect();
    await mqtt?.endAsync();
    await server?.stop();
    server?.cleanup();
  });

  it('raises a red fire alert on the wall when a smoke detector reports smoke, and resolves it when the air clears', async () => {
    const smoke = bySubtype('smoke');
    const t0 = Date.now() - 60_000;
    await publishJson(mqtt, readingsTopic(smoke.id), {
      sensorId: smoke.id,
      observedAt: t0,
      values: { smoke: 12 },
    });
    const raised = await waitFor(
      () => alertsOf(smoke.id).find((r) => r.event === 'raised'),
      10_000,
      'alert:raised',
    );
    expect(raised.alert).toMatchObject({
      ruleId: 'grid-smoke',
      severity: 'red',
      state: 'firing',
      subject: { type: 'sensor', id: smoke.id },
      value: 12,
      districtId: smoke.districtId,
      gridCellId: smoke.gridCellId,
    });
    expect(raised.alert.title.zh).toContain('烟感报警');

    // Between the clear value (2) and the raise value (5): still firing (hysteresis in value).
    await publishJson(mqtt, readingsTopic(smoke.id), {
      sensorId: smoke.id,
      observedAt: t0 + 10_000,
      values: { smoke: 3 },
    });
    await publishJson(mqtt, readingsTopic(smoke.id), {
      sensorId: smoke.id,
      observedAt: t0 + 20_000,
      values: { smoke: 1 },
    });
    const resolved = await waitFor(
      () => alertsOf(smoke.id).find((r) => r.alert.state === 'resolved'),
      10_000,
      'resolution',
    );
    expect(resolved.alert.id).toBe(raised.alert.id);
    expect(resolved.alert.resolvedAt).toBe(t0 + 20_000);
    expect(alertsOf(smoke.id).filter((r) => r.event === 'raised')).toHaveLength(1);
  });

  it('records an acknowledgement with its comment and author, audits it, and lists the alert in history', async () => {
    const manhole = bySubtype('manhole');
    await postJson(`${server.url}/api/v1/readings`, {
      readings: [{ sensorId: manhole.id, observedAt: Date.now() - 5_000, values: { tilt: 30 } }],
    });
    const raised = await waitFor(
      () => alertsOf(manhole.id).find((r) => r.event === 'raised'),
      10_000,
      'raise',
    );
    const ack = await postJson<Alert>(`${server.url}/api/v1/alerts/${raised.alert.id}/acknowledge`, {
      comment: '已通知网格员到场',
    });
    expect(ack.status).toBe(200);
    expect(ack.body.state).toBe('acknowledged');
    expect(ack.body.acknowledged).toMatchObject({ by: expect.any(String), comment: '已通知网格员到场' });
    await waitFor(
      () => alertsOf(manhole.id).find((r) => r.alert.state === 'acknowledged'),
      10_000,
      'ack pushed',
    );

    const again = await postJson(`${server.url}/api/v1/alerts/${raised.alert.id}/acknowledge`, {});
    expect(again.status).toBe(409);
    const closeEarly = await postJson(`${server.url}/api/v1/alerts/${raised.alert.id}/close`, {});
    expect(closeEarly.status).toBe(409);

    const detail = await getJson<{ alert: Alert; events: Array<{ type: string; actor: string }> }>(
      `${server.url}/api/v1/alerts/${raised.alert.id}`,
    );
    expect(detail.body.events.map((e) => e.type)).toEqual(['firing', 'correlated', 'acknowledged']);
    const audit = await getJson<{ items: Array<{ action: string; target: { id: string } }> }>(
      `${server.url}/api/v1/audit?action=alert.acknowledge`,
    );
    expect(audit.body.items.some((e) => e.target.id === raised.alert.id)).toBe(true);

    const history = await getJson<{ items: Alert[]; total: number }>(
      `${server.url}/api/v1/alerts?state=acknowledged&severity=orange,red&ruleId=grid-manhole-tilt`,
    );
    expect(history.body.items.map((a) => a.id)).toContain(raised.alert.id);
    const none = await getJson<{ total: number }>(
      `${server.url}/api/v1/alerts?ruleId=grid-manhole-tilt&severity=blue`,
    );
    expect(none.body.total).toBe(0);

    // Clears, then an operator closes it.
    await postJson(`${server.url}/api/v1/readings`, {
      readings: [{ sensorId: manhole.id, observedAt: Date.now() - 1_000, values: { tilt: 1 } }],
    });
    await waitFor(() => alertsOf(manhole.id).find((r) => r.alert.state === 'resolved'), 10_000, 'resolve');
    const closed = await postJson<Alert>(`${server.url}/api/v1/alerts/${raised.alert.id}/close`, {
      comment: '井盖已复位',
    });
    expect(closed.status).toBe(200);
    expect(closed.body.closed).toMatchObject({ reason: 'operator', comment: '井盖已复位' });

    const stats = await getJson<{
      rows: Array<{ total: number; acknowledged: number; mttaSeconds: number | null }>;
    }>(`${server.url}/api/v1/alerts/stats?period=day`);
    expect(stats.status).toBe(200);
    expect(stats.body.rows.reduce((n, r) => n + r.acknowledged, 0)).toBeGreaterThanOrEqual(1);
    expect(stats.body.rows.some((r) => r.mttaSeconds !== null && r.mttaSeconds >= 0)).toBe(true);
  });

  it('opens exactly one alert when many breaching readings of one sensor arrive at once over HTTP and MQTT', async () => {
    const bin = bySubtype('waste-bin');
    const base = Date.now() - 120_000;
    const posts = Array.from({ length: 40 }, (_, i) =>
      i % 2 === 0
        ? postJson(`${server.url}/api/v1/readings`, {
            readings: [{ sensorId: bin.id, observedAt: base + i * 1000, values: { fillLevel: 95 } }],
          })
        : publishJson(mqtt, readingsTopic(bin.id), {
            sensorId: bin.id,
            observedAt: base + i * 1000,
            values: { fillLevel: 97 },
          }),
    );
    await Promise.all(posts);
    await waitFor(() => alertsOf(bin.id).length > 0, 10_000, 'alert');
    // Give any duplicate the time to show up.
    await new Promise((r) => setTimeout(r, 300));
    const stored = await getJson<{ items: Alert[]; total: number }>(
      `${server.url}/api/v1/alerts?subjectId=${bin.id}`,
    );
    expect(stored.body.total).toBe(1);
    expect(alertsOf(bin.id).filter((r) => r.event === 'raised')).toHaveLength(1);
  });

  it('versions rule changes with who and why, refuses invalid ones field by field, and applies them live', async () => {
    const gauge = bySubtype('waterlogging', 1);
    const invalid = await postJson<{ error: { code: string; details: Array<{ path: string }> } }>(
      `${server.url}/api/v1/rules`,
      {
        reason: 'test',
        rule: {
          id: 'test-water',
          name: { zh: '测试积水', en: 'Test water' },
          kind: 'threshold',
          scope: { sensorIds: [gauge.id] },
          params: { metric: 'waterDepth', levels: [{ severity: 'red', op: '>', value: 5, clear: 9 }] },
        },
      },
    );
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.details.map((d) => d.path)).toContain('rule.params.levels.0.clear');

    const draft = {
      id: 'test-water',
      name: { zh: '测试积水', en: 'Test water' },
      kind: 'threshold',
      scope: { sensorIds: [gauge.id] },
      params: { metric: 'waterDepth', levels: [{ severity: 'yellow', op: '>', value: 300 }] },
    };
    const created = await postJson<Rule>(`${server.url}/api/v1/rules`, { reason: 'rehearsal', rule: draft });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ version: 1, reason: 'rehearsal', updatedBy: expect.any(String) });

    // 8 cm is below the first version's level: nothing.
    await postJson(`${server.url}/api/v1/readings`, {
      readings: [{ sensorId: gauge.id, observedAt: Date.now() - 30_000, values: { waterDepth: 8 } }],
    });
    const put = await fetch(`${server.url}/api/v1/rules/test-water`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        reason: 'lower the level for the drill',
        expectedVersion: 1,
        rule: {
          ...draft,
          params: { metric: 'waterDepth', levels: [{ severity: 'yellow', op: '>', value: 5 }] },
        },
      }),
    });
    expect(put.status).toBe(200);
    const stale = await fetch(`${server.url}/api/v1/rules/test-water`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'stale edit', expectedVersion: 1, rule: draft }),
    });
    expect(stale.status).toBe(409);

    await postJson(`${server.url}/api/v1/readings`, {
      readings: [{ sensorId: gauge.id, observedAt: Date.now() - 20_000, values: { waterDepth: 8 } }],
    });
    const raised = await waitFor(
      () => alertsOf(gauge.id).find((r) => r.alert.ruleId === 'test-water' && r.event === 'raised'),
      10_000,
      'alert of the new version',
    );
    expect(raised.alert.ruleVersion).toBe(2);

    const versions = await getJson<{ items: Rule[] }>(`${server.url}/api/v1/rules/test-water/versions`);
    expect(versions.body.items.map((v) => [v.version, v.reason])).toEqual([
      [2, 'lower the level for the drill'],
      [1, 'rehearsal'],
    ]);

    // Disabling the rule resolves its open alert.
    const patch = await fetch(`${server.url}/api/v1/rules/test-water`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: false, reason: 'drill over' }),
    });
    expect(patch.status).toBe(200);
    await waitFor(
      () => alertsOf(gauge.id).find((r) => r.alert.ruleId === 'test-water' && r.alert.state === 'resolved'),
      10_000,
      'resolution on disable',
    );
    const audit = await getJson<{ items: Array<{ action: string }> }>(
      `${server.url}/api/v1/audit?targetType=rule`,
    );
    expect(audit.body.items.map((e) => e.action)).toEqual(
      expect.arrayContaining(['rule.create', 'rule.update', 'rule.disable']),
    );
  });
});

describe('alerting across a restart', () => {
  it('resumes a pending `for` timer after a restart and fires when the duration is complete', async () => {
    let server = await startTestServer();
    const dir = server.dir;
    try {
      const page = await getJson<{ items: Sensor[] }>(
        `${server.url}/api/v1/sensors?kind=grid-event&limit=1000`,
      );
      const feeder = page.body.items.find((s) => s.subtype === 'feeder')!;
      const t0 = Date.now() - 10 * 60_000;
      // Overload for 5 minutes is required (grid-feeder-overload: for 5m); the first reading starts the timer.
      await postJson(`${server.url}/api/v1/readings`, {
        readings: [{ sensorId: feeder.id, observedAt: t0, values: { feederLoad: 130 } }],
      });
      const pending = await waitFor(
        async () => {
          const r = await getJson<{ items: Alert[] }>(
            `${server.url}/api/v1/alerts?subjectId=${feeder.id}&state=pending`,
          );
          return r.body.items[0];
        },
        10_000,
        'pending alert',
      );
      expect(pending.severity).toBe('orange');
      await server.stop();

      server = await startTestServer({}, dir);
      await postJson(`${server.url}/api/v1/readings`, {
        readings: [{ sensorId: feeder.id, observedAt: t0 + 6 * 60_000, values: { feederLoad: 125 } }],
      });
      const firing = await waitFor(
        async () => {
          const r = await getJson<{ items: Alert[] }>(
            `${server.url}/api/v1/alerts?subjectId=${feeder.id}&state=firing`,
          );
          return r.body.items[0];
        },
        10_000,
        'firing alert after restart',
      );
      expect(firing.id).toBe(pending.id);
      expect(firing.startsAt).toBe(t0);
      expect(firing.firingAt).toBe(t0 + 6 * 60_000);
    } finally {
      await server.stop();
      server.cleanup();
    }
  });
});
