import { describe, expect, it } from 'vitest';
import type { Rule } from '@shared/schemas/rule.schema';
import {
  countBySeverity,
  createBacktest,
  ruleScopeTest,
  runBacktest,
  type BacktestReading,
} from '../../../../server/src/domain/rules/backtest';
import { initDetector, stepDetector } from '../../../../server/src/domain/rules/anomaly/detector';
import { defaultAnomalyParams } from '../../../../server/src/domain/rules/kinds/anomaly';
import { pm25Series } from '../../../fixtures/labelledSeries';
import {
  airStation,
  box,
  CELL_B,
  DISTRICT_A,
  DISTRICT_B,
  inPolygon,
  MIN,
  rule,
  SEC,
  sensor,
  T0,
} from './ruleTestKit';

const m = (minutes: number) => T0 + minutes * MIN;

/** Water depth ≥ 27 cm yellow, ≥ 50 cm red (clear below 22 / 45), for `forSec`. */
function depthRule(over: Record<string, unknown> = {}): Rule {
  return rule({
    id: 'depth',
    kind: 'threshold',
    params: {
      metric: 'waterDepth',
      levels: [
        { severity: 'yellow', op: '>=', value: 27, clear: 22 },
        { severity: 'red', op: '>=', value: 50, clear: 45 },
      ],
    },
    ...over,
  });
}

const gauge = sensor('WL-1', { kind: 'grid-event', subtype: 'waterlogging', reportIntervalSec: 60 });

/** One reading per minute from minute `start`, values in order. */
function perMinute(sensorId: string, start: number, values: readonly number[], metric = 'waterDepth') {
  return values.map((v, i) => ({ sensorId, observedAt: m(start + i), values: { [metric]: v } }));
}

describe('backtest: threshold rules in virtual time', () => {
  it('raises once the depth held above the level for the whole `for`, on the reading where it elapsed', () => {
    // Minutes 0–2 dry, 3–4 deep (too short for a 5-minute `for`), 5 dry, 6–14 deep, 15–19 dry.
    const depths = [0, 0, 0, 30, 31, 0, 30, 32, 35, 33, 31, 30, 34, 30, 29, 10, 5, 2, 0, 0];
    const readings = perMinute(gauge.id, 0, depths);
    const result = runBacktest(readings, {
      rules: [depthRule({ for: '5m' })],
      sensors: [gauge],
      from: T0,
      inPolygon,
    });
    expect(result.cancelled).toBe(1);
    expect(result.alerts).toEqual([
      {
        ruleId: 'depth',
        subject: { type: 'sensor', id: gauge.id },
        sensorId: gauge.id,
        severity: 'yellow',
        maxSeverity: 'yellow',
        startsAt: m(6),
        firingAt: m(11),
        resolvedAt: m(15),
        value: 30,
        flapping: false,
        readingIndex: 11,
      },
    ]);
    expect(result.readings).toBe(depths.length);
  });

  it('counts an alert that worsened to red by the most severe level it reached', () => {
    const readings = perMinute(gauge.id, 0, [30, 40, 55, 60, 30, 0]);
    const result = runBacktest(readings, { rules: [depthRule()], sensors: [gauge], from: T0, inPolygon });
    expect(result.alerts).toHaveLength(1);
    expect(result.alerts[0]).toMatchObject({ severity: 'yellow', maxSeverity: 'red', firingAt: m(0) });
    expect(countBySeverity(result.alerts)).toEqual({ red: 1, orange: 0, yellow: 0, blue: 0 });
  });

  it('resolves after keepFiringFor on a clock tick when no reading follows', () => {
    const readings = perMinute(gauge.id, 0, [35, 10]);
    const backtest = createBacktest({
      rules: [depthRule({ keepFiringFor: '5m' })],
      sensors: [gauge],
      from: T0,
      tickMs: 10 * SEC,
      inPolygon,
    });
    for (const r of readings) backtest.reading(r);
    const open = backtest.finish(m(5));
    expect(open.alerts[0]?.resolvedAt).toBeUndefined();

    const again = createBacktest({
      rules: [depthRule({ keepFiringFor: '5m' })],
      sensors: [gauge],
      from: T0,
      tickMs: 10 * SEC,
      inPolygon,
    });
    for (const r of readings) again.reading(r);
    const result = again.finish(m(10));
    // Clear since minute 1; held open 5 minutes; the first tick at or after minute 6 resolves it.
    expect(result.alerts[0]?.resolvedAt).toBe(m(6));
    expect(result.ticks).toBe(60);
  });

  it('replays a rule that is disabled (backtests are for rules not yet live)', () => {
    const result = runBacktest(perMinute(gauge.id, 0, [60]), {
      rules: [depthRule({ enabled: false })],
      sensors: [gauge],
      from: T0,
      inPolygon,
    });
    expect(result.alerts.map((a) => a.severity)).toEqual(['red']);
  });
});

describe('backtest: clock-driven rules', () => {
  it('raises no data from a tick when a sensor goes silent, and clears on its next reading', () => {
    const offline = rule({ id: 'offline', kind: 'noData', params: { factor: 3 } });
    // Every minute for 5 minutes, silent until minute 15, then back.
    const readings = [...perMinute(gauge.id, 0, [1, 1, 1, 1, 1]), ...perMinute(gauge.id, 15, [1, 1])];
    const result = runBacktest(readings, {
      rules: [offline],
      sensors: [gauge],
      from: T0,
      tickMs: 10 * SEC,
      inPolygon,
    });
    // Last seen at minute 4; silent for more than 3 × 60 s from minute 7 on: the tick at 7:10 fires.
    expect(result.alerts).toEqual([
      expect.objectContaining({
        ruleId: 'offline',
        severity: 'blue',
        firingAt: m(7) + 10 * SEC,
        resolvedAt: m(15),
      }),
    ]);
    expect(result.alerts[0]).not.toHaveProperty('readingIndex');
  });

  it('raises no data for a sensor never heard from, counting from the start of the replay', () => {
    const silent = sensor('WL-2', { kind: 'grid-event', subtype: 'waterlogging', reportIntervalSec: 60 });
    const offline = rule({ id: 'offline', kind: 'noData', params: { factor: 3 } });
    const result = runBacktest(perMinute(gauge.id, 0, [1, 1, 1, 1, 1, 1]), {
      rules: [offline],
      sensors: [gauge, silent],
      from: T0,
      tickMs: 10 * SEC,
      inPolygon,
    });
    expect(result.alerts.map((a) => [a.sensorId, a.firingAt])).toEqual([['WL-2', m(3) + 10 * SEC]]);
  });
});

describe('backtest: the default anomaly detector on labelled series', () => {
  const LATE = 15 * MIN;
  const runs = [1, 2, 3].map((seed) => {
    const series = pm25Series({ seed, days: 7 });
    const station = airStation('AQ-1', { reportIntervalSec: series.intervalSec });
    const params = defaultAnomalyParams('pm25');
    const anomaly = rule({
      id: 'pm25-anomaly',
      kind: 'anomaly',
      scope: { sensorIds: [station.id] },
      params: { ...params },
    });
    const readings: BacktestReading[] = series.points.map((p) => ({
      sensorId: station.id,
      observedAt: p.t,
      values: { pm25: p.value },
    }));
    const result = runBacktest(readings, {
      rules: [anomaly],
      sensors: [station],
      from: series.points[0]!.t,
      inPolygon,
      scores: true,
    });
    return { series, params, readings, result };
  });
  const during = (at: number, e: { start: number; end: number }) => at >= e.start && at < e.end + LATE;

  it('finds most injected anomalies of three labelled PM2.5 weeks and raises few alerts outside them', () => {
    const events = runs.flatMap((r) => r.series.events.map((e) => ({ e, alerts: r.result.alerts })));
    const found = events.filter(({ e, alerts }) => alerts.some((a) => during(a.firingAt, e)));
    const outside = runs.flatMap((r) =>
      r.result.alerts.filter((a) => !r.series.events.some((e) => during(a.firingAt, e))),
    );
    expect(events.length).toBeGreaterThanOrEqual(20);
    expect(found.length / events.length).toBeGreaterThanOrEqual(0.75);
    expect(outside.length).toBeLessThanOrEqual(3);
  });

  it('raises exactly where the detector turns active, on that reading, with its score', () => {
    for (const { params, readings, result } of runs) {
      let state = initDetector(params);
      let wasActive = false;
      const rises: number[] = [];
      for (const r of readings) {
        const stepped = stepDetector(state, r.observedAt, r.values['pm25']!, params);
        state = stepped.state;
        if (!stepped.result?.ready) continue;
        if (stepped.result.active && !wasActive) rises.push(r.observedAt);
        wasActive = stepped.result.active;
      }
      expect(rises.length).toBeGreaterThan(0);
      expect(result.alerts.map((a) => a.firingAt)).toEqual(rises);
      for (const a of result.alerts) {
        expect(readings[a.readingIndex!]!.observedAt).toBe(a.firingAt);
        expect(a.score).toBeGreaterThanOrEqual(5.5);
      }
    }
  });

  it('scores every reading after the warm-up and none before', () => {
    const { series, readings, result } = runs[0]!;
    const firstScored = result.scores[0]!;
    expect(firstScored.at - series.points[0]!.t).toBeGreaterThanOrEqual(86_400_000);
    expect(firstScored.at - series.points[0]!.t).toBeLessThan(86_400_000 + 2 * MIN);
    expect(result.scores.map((s) => s.readingIndex)).toEqual(
      readings.flatMap((r, i) => (r.observedAt >= firstScored.at ? [i] : [])),
    );
  });
});

describe('backtest: scope', () => {
  it('selects sensors the way the engine scopes rules', () => {
    const inA = sensor('A', { districtId: DISTRICT_A });
    const inB = sensor('B', { districtId: DISTRICT_B, gridCellId: CELL_B, location: [120.5, 30.5] });
    const unplaced = sensor('C', { districtId: null, gridCellId: null, location: null });
    const pick = (scope: Rule['scope']) =>
      [inA, inB, unplaced].filter(ruleScopeTest(scope, inPolygon)).map((s) => s.id);
    expect(pick({})).toEqual(['A', 'B', 'C']);
    expect(pick({ districtIds: [DISTRICT_B] })).toEqual(['B']);
    expect(pick({ sensorIds: ['A', 'C'] })).toEqual(['A', 'C']);
    expect(pick({ gridCellIds: [CELL_B] })).toEqual(['B']);
    expect(pick({ polygon: box(120.4, 30.4, 120.6, 30.6) })).toEqual(['B']);
    expect(pick({ kinds: ['air'] })).toEqual([]);
  });
});
