import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestReadingStore } from '../../helpers/readingStore';
import type { Reading } from '../../../shared/schemas/reading.schema';
import { RuleBacktestBodySchema, type Rule } from '../../../shared/schemas/rule.schema';
import type { Sensor } from '../../../shared/schemas/sensor.schema';
import type { Reach } from '../../../server/src/domain/access';
import { pointInPolygon } from '../../../server/src/domain/geometry';
import { loadCityPack, resolveCityPackDir } from '../../../server/src/cityPack/cityPack.loader';
import { SqliteCatalogRepository } from '../../../server/src/persistence/sqlite/catalog.repository';
import type { SqliteDatabase } from '../../../server/src/persistence/sqlite/database';
import type { SqliteReadingStore } from '../../../server/src/persistence/sqlite/readings.store';
import {
  BacktestError,
  BacktestService,
  type BacktestSettings,
} from '../../../server/src/services/backtest.service';
import { CatalogService } from '../../../server/src/services/catalog.service';
import { DomainEvents } from '../../../server/src/services/events';
import { depthRule as fixtureDepthRule } from '../../fixtures/rules';

/**
 * The backtest use case over the real SQLite store and the Hangzhou catalog, with its limits
 * turned down: where it stops, and that it says so.
 */
const MINUTE = 60_000;
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 10, 12);
const CITY: Reach = { role: 'engineer', districtIds: null, cellIds: null };

describe('BacktestService', () => {
  let dir: string;
  let db: SqliteDatabase;
  let store: SqliteReadingStore;
  let catalog: CatalogService;
  let gauges: Sensor[];
  /** One reading a minute for 2 hours from NOW − 3 h, for three gauges; deep from minute 60. */
  const T0 = NOW - 3 * 3_600_000;

  const depthRule: Rule = fixtureDepthRule({ enabled: false, version: 4, updatedAt: T0 });

  function service(settings: Partial<BacktestSettings> = {}, clock: () => number = () => NOW) {
    return new BacktestService({
      catalog,
      store,
      rules: { get: (id) => (id === depthRule.id ? depthRule : undefined) },
      clock,
      inPolygon: pointInPolygon,
      settings: { rawRetentionMs: 3 * DAY, ...settings },
    });
  }

  const body = (over: Record<string, unknown> = {}) =>
    RuleBacktestBodySchema.parse({ ruleId: 'depth', from: T0, to: NOW, ...over });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cityops-backtest-svc-'));
    ({ db, store } = await openTestReadingStore(dir));
    const repo = new SqliteCatalogRepository(db);
    await repo.importCityPack(loadCityPack(resolveCityPackDir('hangzhou')));
    catalog = new CatalogService(repo, new DomainEvents(), () => {});
    await catalog.load();
    gauges = catalog.listSensors().filter((s) => s.subtype === 'waterlogging');
    const readings: Reading[] = [];
    for (let i = 0; i < 120; i++)
      for (const g of gauges.slice(0, 3))
        readings.push({
          sensorId: g.id,
          observedAt: T0 + i * MINUTE,
          values: { waterDepth: i >= 60 ? 30 : 0 },
        });
    await store.write(readings);
  });

  afterAll(async () => {
    await store?.close();
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('replays every gauge in the rule scope and raises one alert per deep gauge', async () => {
    const result = await service().run(body(), CITY);
    expect(result).toMatchObject({
      rule: { id: 'depth', version: 4 },
      sensors: gauges.length,
      readings: 360,
      truncated: false,
      replayedFrom: T0,
      replayedTo: NOW,
      alertsTotal: 3,
      bySeverity: { yellow: 3, red: 0, orange: 0, blue: 0 },
      warnings: [],
    });
    expect(result.alerts.map((a) => [a.sensorId, a.firingAt, a.resolvedAt])).toEqual(
      gauges.slice(0, 3).map((g) => [g.id, T0 + 60 * MINUTE, undefined]),
    );
  });

  it('stops at the reading cap on a whole minute and says where', async () => {
    // Three gauges a minute: a cap of 184 ends inside minute 61, so minutes 0–60 are replayed.
    const result = await service({ maxReadings: 184 }).run(body(), CITY);
    expect(result.truncated).toBe(true);
    expect(result.readings).toBe(183);
    expect(result.replayedTo).toBe(T0 + 61 * MINUTE);
    expect(result.alertsTotal).toBe(3);
    expect(result.warnings).toEqual([
      `more than 184 readings in the range: replayed up to ${new Date(T0 + 61 * MINUTE).toISOString()}; narrow the range or the sensors (sensorIds) for the rest`,
    ]);
  });

  it('stops when its time budget is spent, before the next page, and says where', async () => {
    let calls = 0;
    // Every look at the clock costs a minute of wall time: the budget lasts one page.
    const clock = () => NOW + calls++ * MINUTE;
    const result = await service({ timeBudgetMs: 2.5 * MINUTE }, clock).run(body(), CITY);
    expect(result.truncated).toBe(true);
    expect(result.readings).toBeGreaterThan(0);
    expect(result.readings).toBeLessThan(360);
    // Whole minutes of three gauges were replayed, up to the minute the next page starts at.
    expect(result.readings % 3).toBe(0);
    expect(result.replayedTo).toBe(T0 + (result.readings / 3) * MINUTE);
    expect(result.warnings).toEqual([
      `the replay took longer than 150 s and stopped at ${new Date(result.replayedTo).toISOString()}; narrow the range or the sensors (sensorIds) for the rest`,
    ]);
  });

  it('does not call a replay truncated when its time ran out only after the last page', async () => {
    let calls = 0;
    const clock = () => NOW + calls++ * MINUTE;
    // One page (the first minute) arrives within the budget; the budget is gone by the answer.
    const result = await service({ timeBudgetMs: 2.5 * MINUTE }, clock).run(
      body({ from: T0, to: T0 + MINUTE }),
      CITY,
    );
    expect(result).toMatchObject({ truncated: false, readings: 3, replayedTo: T0 + MINUTE, warnings: [] });
    expect(result.durationMs).toBeGreaterThan(2.5 * MINUTE);
  });

  it('lists the first alerts only, counting them all', async () => {
    const result = await service({ maxListedAlerts: 2 }).run(body(), CITY);
    expect(result.alerts).toHaveLength(2);
    expect(result.alertsTotal).toBe(3);
  });

  it('ticks coarser over long ranges', async () => {
    const result = await service({ maxTicks: 100 }).run(body(), CITY);
    expect(result.tickMs).toBe((3 * 3_600_000) / 100);
  });

  it('refuses more backtests than may run at once', async () => {
    const svc = service({ maxConcurrent: 1 });
    const first = svc.run(body(), CITY);
    await expect(svc.run(body(), CITY)).rejects.toMatchObject({ code: 'overloaded' });
    await expect(first).resolves.toMatchObject({ alertsTotal: 3 });
    await expect(svc.run(body(), CITY)).resolves.toMatchObject({ alertsTotal: 3 });
  });

  it('leaves out gauges outside the caller’s districts and says how many', async () => {
    const district = gauges[0]!.districtId!;
    const reach: Reach = { role: 'engineer', districtIds: [district], cellIds: null };
    const result = await service().run(body(), reach);
    const inDistrict = gauges.filter((g) => g.districtId === district);
    expect(result.sensors).toBe(inDistrict.length);
    expect(result.warnings).toEqual([
      `${gauges.length - inDistrict.length} sensors in the rule's scope are outside your assigned area and were left out`,
    ]);
    const hidden = gauges.find((g) => g.districtId !== district)!;
    const refused = await service()
      .run(body({ sensorIds: [hidden.id] }), reach)
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BacktestError);
    expect(refused).toMatchObject({ code: 'forbidden' });
  });

  it('refuses narrowing to sensors outside the rule’s scope', async () => {
    const detector = catalog.listSensors().find((s) => s.kind === 'traffic')!;
    await expect(service().run(body({ sensorIds: [detector.id] }), CITY)).rejects.toMatchObject({
      code: 'invalid_request',
      details: [{ path: 'sensorIds', message: 'none of these sensors is in the scope of rule depth' }],
    });
  });

  it('refuses a range starting in the future', async () => {
    await expect(
      service().run(body({ from: NOW + MINUTE, to: NOW + 2 * MINUTE }), CITY),
    ).rejects.toMatchObject({
      code: 'invalid_request',
      details: [{ path: 'from' }],
    });
  });
});
