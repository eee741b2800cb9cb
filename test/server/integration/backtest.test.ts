import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiErrorBody } from '../../../shared/schemas/errors.schema';
import type { RuleBacktestResult } from '../../../shared/schemas/rule.schema';
import type { Sensor } from '../../../shared/schemas/sensor.schema';
import { createActor, requestAs } from '../../helpers/accessActors';
import { getJson, postJson, startTestServer, type TestServer } from '../../helpers/server';

/**
 * POST /api/v1/rules/backtest against a real server: readings posted over HTTP and stored in
 * SQLite, then replayed through a rule document or a stored rule.
 */
const MINUTE = 60_000;
const DAY = 86_400_000;

/** Water depth per minute: a 2-minute rise (too short for a 5-minute `for`), then a 10-minute episode. */
const DEPTHS = [0, 0, 30, 31, 0, 0, 30, 35, 40, 55, 60, 45, 30, 30, 30, 30, 10, 5, 0, 0, 0, 0, 0, 0, 0];

/** Yellow from 27 cm, red from 50 cm, after 5 minutes. */
const depthRule = (sensorId: string, over: Record<string, unknown> = {}) => ({
  id: 'depth-trial',
  name: { zh: '积水试验', en: 'Depth trial' },
  kind: 'threshold',
  scope: { sensorIds: [sensorId] },
  params: {
    metric: 'waterDepth',
    levels: [
      { severity: 'yellow', op: '>=', value: 27, clear: 22 },
      { severity: 'red', op: '>=', value: 50, clear: 45 },
    ],
  },
  for: '5m',
  enabled: false,
  ...over,
});

describe('POST /api/v1/rules/backtest', () => {
  let server: TestServer;
  let gauge: Sensor;
  let otherDistrict: string;
  /** Minute 0 of the posted readings. */
  let t0: number;
  const at = (minute: number) => t0 + minute * MINUTE;
  const url = () => `${server.url}/api/v1/rules/backtest`;

  beforeAll(async () => {
    server = await startTestServer();
    const sensors = await getJson<{ items: Sensor[] }>(`${server.url}/api/v1/sensors?limit=2000`);
    gauge = sensors.body.items.find((s) => s.subtype === 'waterlogging')!;
    otherDistrict = sensors.body.items.find(
      (s) => s.districtId && s.districtId !== gauge.districtId,
    )!.districtId!;
    t0 = Math.floor((Date.now() - 40 * MINUTE) / MINUTE) * MINUTE;
    const posted = await postJson<{ accepted: number }>(`${server.url}/api/v1/readings`, {
      readings: DEPTHS.map((d, i) => ({ sensorId: gauge.id, observedAt: at(i), values: { waterDepth: d } })),
    });
    expect(posted.body.accepted).toBe(DEPTHS.length);
  });

  afterAll(async () => {
    await server?.stop();
    server?.cleanup();
  });

  it('replays stored readings through a rule draft and lists the alert it would have raised', async () => {
    const res = await postJson<RuleBacktestResult>(url(), {
      rule: depthRule(gauge.id),
      from: new Date(at(-1)).toISOString(),
      to: Date.now(),
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      rule: { id: 'depth-trial' },
      from: at(-1),
      replayedFrom: at(-1),
      readings: DEPTHS.length,
      sensors: 1,
      truncated: false,
      tickMs: 10_000,
      alertsTotal: 1,
      bySeverity: { red: 1, orange: 0, yellow: 0, blue: 0 },
      cancelled: 1,
      warnings: [],
    });
    expect(res.body.rule).not.toHaveProperty('version');
    // Pending from minute 6; `for` elapses at minute 11 (45 cm: red still latched until below 45).
    expect(res.body.alerts).toEqual([
      {
        subject: { type: 'sensor', id: gauge.id },
        sensorId: gauge.id,
        severity: 'red',
        maxSeverity: 'red',
        startsAt: at(6),
        firingAt: at(11),
        resolvedAt: at(16),
        value: 45,
        flapping: false,
      },
    ]);
  });

  it('replays a stored rule by id, narrowed to one sensor, with keepFiringFor resolved by the virtual clock', async () => {
    const res = await postJson<RuleBacktestResult>(url(), {
      ruleId: 'grid-waterlogging',
      sensorIds: [gauge.id],
      from: at(-1),
      to: Date.now(),
    });
    expect(res.status).toBe(200);
    expect(res.body.rule).toEqual({ id: 'grid-waterlogging', version: 1 });
    expect(res.body.sensors).toBe(1);
    // Raised at once (no `for`), held through the dry minutes 4–5 (keepFiringFor 10 m), clear from
    // minute 17 (5 cm < the blue clear value 10), resolved 10 minutes later on a clock tick.
    expect(res.body.alerts).toEqual([
      expect.objectContaining({
        severity: 'yellow',
        maxSeverity: 'red',
        startsAt: at(2),
        firingAt: at(2),
        resolvedAt: at(27),
      }),
    ]);
  });

  it('says when part of the range is older than raw retention, and refuses a range entirely before it', async () => {
    const partial = await postJson<RuleBacktestResult>(url(), {
      rule: depthRule(gauge.id),
      from: Date.now() - 4 * DAY,
      to: Date.now(),
    });
    expect(partial.status).toBe(200);
    expect(partial.body.replayedFrom).toBeGreaterThan(partial.body.from + DAY - MINUTE);
    expect(partial.body.warnings.join('\n')).toMatch(
      /raw readings are kept for 3 days .* the replay starts there/,
    );
    expect(partial.body.alertsTotal).toBe(1);

    const gone = await postJson<ApiErrorBody>(url(), {
      rule: depthRule(gauge.id),
      from: Date.now() - 10 * DAY,
      to: Date.now() - 5 * DAY,
    });
    expect(gone.status).toBe(400);
    expect(gone.body.error.details).toEqual([
      { path: 'from', message: expect.stringContaining('kept for 3 days') },
    ]);
  });

  it('refuses an invalid rule with 400 naming each field at fault', async () => {
    const res = await postJson<ApiErrorBody>(url(), {
      rule: depthRule(gauge.id, {
        params: { metric: 'waterDepth', levels: [{ severity: 'yellow', op: '>>', value: 27 }] },
      }),
      from: at(0),
      to: Date.now(),
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message).toContain('params.levels.0.op');
    expect(res.body.error.details.map((d) => d.path)).toEqual(['rule.params.levels.0.op']);
  });

  it('refuses a bad body naming the field: no rule, too long a range, unknown rule or sensor', async () => {
    const noRule = await postJson<ApiErrorBody>(url(), { from: at(0), to: Date.now() });
    expect(noRule.status).toBe(400);
    expect(noRule.body.error.details.map((d) => d.path)).toEqual(['rule']);

    const badFrom = await postJson<ApiErrorBody>(url(), {
      ruleId: 'grid-waterlogging',
      from: 'yesterday',
      to: 1,
    });
    expect(badFrom.status).toBe(400);
    expect(badFrom.body.error.details.map((d) => d.path)).toEqual(['from']);

    const long = await postJson<ApiErrorBody>(url(), { ruleId: 'grid-waterlogging', from: 0, to: 40 * DAY });
    expect(long.status).toBe(400);
    expect(long.body.error.details).toEqual([{ path: 'to', message: 'a backtest covers at most 31 days' }]);

    const unknownRule = await postJson<ApiErrorBody>(url(), {
      ruleId: 'no-such-rule',
      from: at(0),
      to: Date.now(),
    });
    expect(unknownRule.status).toBe(404);

    const unknownSensor = await postJson<ApiErrorBody>(url(), {
      ruleId: 'grid-waterlogging',
      sensorIds: [gauge.id, 'NO-SUCH-SENSOR'],
      from: at(0),
      to: Date.now(),
    });
    expect(unknownSensor.status).toBe(400);
    expect(unknownSensor.body.error.details.map((d) => d.path)).toEqual(['sensorIds.1']);
  });

  it('is refused to a viewer, allowed to an engineer, and keeps an engineer to their area', async () => {
    const body = { rule: depthRule(gauge.id), from: at(-1), to: Date.now() };
    const viewer = await createActor(server.url, { role: 'viewer' });
    const refused = await requestAs<ApiErrorBody>(server.url, '/api/v1/rules/backtest', viewer.token, {
      method: 'POST',
      body,
    });
    expect(refused.status).toBe(403);

    const engineer = await createActor(server.url, { role: 'engineer' });
    const allowed = await requestAs<RuleBacktestResult>(
      server.url,
      '/api/v1/rules/backtest',
      engineer.token,
      {
        method: 'POST',
        body,
      },
    );
    expect(allowed.status).toBe(200);
    expect(allowed.body.alertsTotal).toBe(1);

    const elsewhere = await createActor(server.url, { role: 'engineer', districtIds: [otherDistrict] });
    const outside = await requestAs<ApiErrorBody>(server.url, '/api/v1/rules/backtest', elsewhere.token, {
      method: 'POST',
      body: { ...body, sensorIds: [gauge.id] },
    });
    expect(outside.status).toBe(403);
    const unscoped = await requestAs<RuleBacktestResult>(
      server.url,
      '/api/v1/rules/backtest',
      elsewhere.token,
      {
        method: 'POST',
        body: { ...body, rule: depthRule(gauge.id, { scope: { subtypes: ['waterlogging'] } }) },
      },
    );
    expect(unscoped.status).toBe(200);
    expect(unscoped.body.alertsTotal).toBe(0);
    expect(unscoped.body.warnings.join('\n')).toContain('outside your assigned area');
  });
});
