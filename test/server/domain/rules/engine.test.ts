import { describe, expect, it } from 'vitest';
import type { Rule, RuleScope } from '@shared/schemas/rule.schema';
import {
  activeSubjects,
  createEngine,
  restore,
  sensorSnapshot,
  setRules,
  snapshot,
  step,
  type EngineState,
  type Outcome,
  type SubjectSnapshot,
} from '../../../../server/src/domain/rules/engine';
import type { SensorInfo } from '../../../../server/src/domain/rules/ruleKind';
import {
  airStation,
  alertsOf,
  box,
  CELL_A,
  CELL_B,
  CELL_C,
  changesOf,
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

function engine(rules: readonly Rule[], sensors: readonly SensorInfo[], now = T0): EngineState {
  return createEngine(rules, sensors, now, { inPolygon });
}

function read(state: EngineState, sensorId: string, at: number, values: Record<string, number>): Outcome[] {
  return step(state, { type: 'reading', sensorId, observedAt: at, values }, at).outcomes;
}

function tick(state: EngineState, now: number): Outcome[] {
  return step(state, { type: 'tick' }, now).outcomes;
}

/** A speed threshold: slower than `below` km/h raises orange. */
function slowRule(id: string, over: Record<string, unknown> = {}, below = 20): Rule {
  return rule({
    id,
    kind: 'threshold',
    params: { metric: 'speed', levels: [{ severity: 'orange', op: '<', value: below }] },
    ...over,
  });
}

/** Battery below 20 % raises blue: a metric every sensor kind may report. */
function batteryRule(scope: RuleScope): Rule {
  return rule({
    id: 'battery',
    kind: 'threshold',
    scope,
    params: { metric: 'battery', levels: [{ severity: 'blue', op: '<', value: 20 }] },
  });
}

describe('engine: indexing', () => {
  it('touches only the rule scoped to the reporting sensor among 1,000 rules scoped to other sensors', () => {
    const others = Array.from({ length: 1000 }, (_, i) =>
      slowRule(`other-${i}`, { scope: { sensorIds: [`X-${i}`] } }),
    );
    const sensors = [sensor('TRF-1'), ...Array.from({ length: 10 }, (_, i) => sensor(`X-${i}`))];
    const e = engine([...others, slowRule('mine', { scope: { sensorIds: ['TRF-1'] } })], sensors);
    const outcomes = read(e, 'TRF-1', m(0), { speed: 5 });
    expect(changesOf(outcomes)).toEqual(['mine:TRF-1:firing@0m']);
    expect(snapshot(e, true).map((s) => `${s.ruleId}/${s.subjectKey}`)).toEqual(['mine/TRF-1']);
  });

  it('keeps no state for rules of other metrics, cells and districts', () => {
    const rules = [
      ...Array.from({ length: 300 }, (_, i) => slowRule(`cell-${i}`, { scope: { gridCellIds: [CELL_C] } })),
      ...Array.from({ length: 300 }, (_, i) =>
        slowRule(`district-${i}`, { scope: { districtIds: [DISTRICT_B] } }),
      ),
      ...Array.from({ length: 300 }, (_, i) =>
        rule({
          id: `pm25-${i}`,
          kind: 'threshold',
          params: { metric: 'pm25', levels: [{ severity: 'red', op: '>', value: 0 }] },
        }),
      ),
      slowRule('mine'),
    ];
    const e = engine(rules, [sensor('TRF-1')]);
    expect(changesOf(read(e, 'TRF-1', m(0), { speed: 5, volume: 900 }))).toEqual(['mine:TRF-1:firing@0m']);
    expect(snapshot(e, true).map((s) => s.ruleId)).toEqual(['mine']);
  });

  it('judges a rule once per sample even when its scope names the sensor twice', () => {
    const twice = rule({
      id: 'twice',
      kind: 'dataQuality',
      scope: { sensorIds: ['S1', 'S1', 'S2'] },
      params: { area: 'cell', window: '1h', minExpected: 1 },
    });
    const e = engine([twice], [sensor('S1'), sensor('S2')]);
    // Both sensors report every other minute: half the expected readings.
    for (let t = 0; t < 60; t += 2) {
      read(e, 'S1', m(t), { speed: 40 });
      read(e, 'S2', m(t), { speed: 40 });
    }
    const [outcome] = alertsOf(tick(e, m(60)));
    expect(outcome).toMatchObject({ change: 'firing', severity: 'red' });
    expect(outcome!.value).toBeCloseTo(27 / 55, 2);
  });
});

describe('engine: scope filters', () => {
  const fleet: SensorInfo[] = [
    sensor('TRF-A', { location: [120.15, 30.28] }),
    sensor('TRF-B', { gridCellId: CELL_B, location: [120.35, 30.28] }),
    airStation('AQ-C', { districtId: DISTRICT_B, gridCellId: CELL_C, location: [120.15, 30.1] }),
    sensor('WL-D', { kind: 'grid-event', subtype: 'waterlogging', location: null }),
  ];

  /** Sensors whose low-battery reading fired the rule with this scope. */
  function firing(scope: RuleScope): string[] {
    const e = engine([batteryRule(scope)], fleet);
    const fired = fleet.flatMap((s) =>
      alertsOf(read(e, s.id, m(0), { battery: 5 })).map((o) => o.subject.id),
    );
    return fired.sort();
  }

  it('applies an empty scope to the whole city', () => {
    expect(firing({})).toEqual(['AQ-C', 'TRF-A', 'TRF-B', 'WL-D']);
  });

  it('narrows to the listed sensor ids', () => {
    expect(firing({ sensorIds: ['TRF-B', 'WL-D'] })).toEqual(['TRF-B', 'WL-D']);
  });

  it('narrows to sensor kinds', () => {
    expect(firing({ kinds: ['air', 'grid-event'] })).toEqual(['AQ-C', 'WL-D']);
  });

  it('narrows to subtypes', () => {
    expect(firing({ subtypes: ['loop-detector'] })).toEqual(['TRF-A', 'TRF-B']);
  });

  it('narrows to districts', () => {
    expect(firing({ districtIds: [DISTRICT_B] })).toEqual(['AQ-C']);
  });

  it('narrows to grid cells', () => {
    expect(firing({ gridCellIds: [CELL_A, CELL_C] })).toEqual(['AQ-C', 'TRF-A', 'WL-D']);
  });

  it('narrows to sensors inside the polygon, leaving out sensors without a location', () => {
    expect(firing({ polygon: box(120.0, 30.2, 120.2, 30.4) })).toEqual(['TRF-A']);
  });

  it('requires every given field to hold', () => {
    expect(
      firing({ gridCellIds: [CELL_A, CELL_B], kinds: ['traffic'], sensorIds: ['TRF-B', 'WL-D'] }),
    ).toEqual(['TRF-B']);
  });
});

describe('engine: derived metrics', () => {
  it('raises an AQI rule when a station reports high PM2.5 for an hour, with level, category, colour and primary pollutant', () => {
    const aqiRed = rule({
      id: 'aqi-heavy',
      kind: 'threshold',
      for: '1h',
      params: { metric: 'aqi', levels: [{ severity: 'red', op: '>', value: 200 }] },
    });
    const e = engine([aqiRed], [airStation('AQ-1')]);
    const outcomes: Outcome[] = [];
    for (let t = 0; t <= 60; t += 5) outcomes.push(...read(e, 'AQ-1', m(t), { pm25: 200, pm10: 120 }));
    expect(changesOf(outcomes)).toEqual(['aqi-heavy:AQ-1:pending@0m', 'aqi-heavy:AQ-1:firing@60m']);
    const fired = alertsOf(outcomes)[1]!;
    expect(fired).toMatchObject({ metric: 'aqi', value: 250, severity: 'red', startsAt: m(0) });
    expect(fired.detail).toEqual({
      standard: 'HJ633-2026',
      level: 5,
      category: { zh: '重度污染', en: 'Heavily Polluted' },
      color: '#99004C',
      primary: ['pm25'],
    });
  });

  it('computes the AQI per the rule’s standard: PM2.5 at 70 µg/m³ is 110 (HJ 633—2026), 94 (2012), 161 (US EPA)', () => {
    const any = (id: string, aqiStandard: string) =>
      rule({
        id,
        kind: 'threshold',
        aqiStandard,
        params: { metric: 'aqi', levels: [{ severity: 'blue', op: '>', value: 0 }] },
      });
    const e = engine(
      [any('hj2026', 'HJ633-2026'), any('hj2012', 'HJ633-2012'), any('epa', 'US-EPA-2024')],
      [airStation('AQ-1')],
    );
    const fired = alertsOf(read(e, 'AQ-1', m(0), { pm25: 70 }));
    expect(Object.fromEntries(fired.map((o) => [o.ruleId, o.value]))).toEqual({
      hj2026: 110,
      hj2012: 94,
      epa: 161,
    });
  });

  it('ignores a device reporting a derived metric itself', () => {
    const aqi = rule({
      id: 'aqi',
      kind: 'threshold',
      params: { metric: 'aqi', levels: [{ severity: 'red', op: '>', value: 200 }] },
    });
    const e = engine([aqi], [airStation('AQ-1')]);
    expect(read(e, 'AQ-1', m(0), { aqi: 400, pm25: 10 })).toEqual([]);
  });

  it('raises congestion and TPI rules from a detector’s speed and its road', () => {
    const severe = rule({
      id: 'severe',
      kind: 'threshold',
      params: { metric: 'congestion', levels: [{ severity: 'red', op: '>=', value: 5 }] },
    });
    const tpi = rule({
      id: 'tpi',
      kind: 'threshold',
      params: { metric: 'tpi', levels: [{ severity: 'orange', op: '>=', value: 6 }] },
    });
    const arterial = sensor('TRF-1', { roadClass: 'arterial', freeFlowKmh: 40 });
    const e = engine([severe, tpi], [arterial]);
    expect(read(e, 'TRF-1', m(0), { speed: 30 })).toEqual([]);
    // 12 km/h on a 40 km/h road: TTI 3.33, TPI 8, 严重拥堵 (congestion 5).
    const fired = alertsOf(read(e, 'TRF-1', m(1), { speed: 12 }));
    expect(fired.map((o) => [o.ruleId, o.change, o.value])).toEqual([
      ['tpi', 'firing', 8],
      ['severe', 'firing', 5],
    ]);
    expect(fired[1]!.detail).toMatchObject({ state: 'severe', zh: '严重拥堵' });
  });

  it('derives no congestion for a detector whose road is unknown', () => {
    const tpi = rule({
      id: 'tpi',
      kind: 'threshold',
      params: { metric: 'tpi', levels: [{ severity: 'orange', op: '>=', value: 6 }] },
    });
    const e = engine([tpi], [sensor('TRF-1')]);
    expect(read(e, 'TRF-1', m(0), { speed: 5 })).toEqual([]);
  });
});

describe('engine: area rules', () => {
  const jam = rule({
    id: 'jam',
    kind: 'area',
    params: {
      area: 'cell',
      metric: 'speed',
      aggregate: 'count',
      sensorCondition: { op: '<', value: 10 },
      window: '10m',
      levels: [{ severity: 'orange', op: '>=', value: 3 }],
    },
  });
  const detectors = [
    ...['A1', 'A2', 'A3', 'A4'].map((id) => sensor(id)),
    ...['B1', 'B2'].map((id) => sensor(id, { gridCellId: CELL_B })),
  ];

  it('raises exactly one alert for the cell when three of its detectors drop below 10 km/h within 10 minutes', () => {
    const e = engine([jam], detectors);
    const outcomes = [
      ...read(e, 'A1', m(0), { speed: 8 }),
      ...read(e, 'B1', m(1), { speed: 4 }),
      ...read(e, 'B2', m(2), { speed: 4 }),
      ...read(e, 'A2', m(3), { speed: 9 }),
      ...read(e, 'A3', m(6), { speed: 5 }),
      ...read(e, 'A4', m(7), { speed: 3 }),
      ...read(e, 'A1', m(8), { speed: 2 }),
    ];
    expect(changesOf(outcomes)).toEqual([`jam:${CELL_A}:firing@6m`]);
    expect(alertsOf(outcomes)[0]).toMatchObject({
      subject: { type: 'cell', id: CELL_A },
      area: { type: 'cell', id: CELL_A },
      value: 3,
      detail: { sensors: ['A1', 'A2', 'A3'] },
    });
  });

  it('does not count breaches of detectors in other cells', () => {
    const e = engine([jam], detectors);
    const outcomes = [
      ...read(e, 'A1', m(0), { speed: 8 }),
      ...read(e, 'B1', m(1), { speed: 4 }),
      ...read(e, 'A2', m(2), { speed: 4 }),
      ...read(e, 'B2', m(3), { speed: 9 }),
    ];
    expect(outcomes).toEqual([]);
  });

  it('resolves the cell alert on a tick once the breaches have aged out of the window', () => {
    const e = engine([jam], detectors);
    read(e, 'A1', m(0), { speed: 8 });
    read(e, 'A2', m(1), { speed: 8 });
    read(e, 'A3', m(2), { speed: 8 });
    for (const id of ['A1', 'A2', 'A3']) read(e, id, m(5), { speed: 50 });
    expect(changesOf(tick(e, m(10)))).toEqual([]);
    expect(changesOf(tick(e, m(10) + SEC))).toEqual([`jam:${CELL_A}:resolved@${10 + 1 / 60}m`]);
  });

  it('raises "mean AQI of the district above 200" only after it held for one hour', () => {
    const meanAqi = rule({
      id: 'district-aqi',
      kind: 'area',
      for: 3600,
      params: {
        area: 'district',
        metric: 'aqi',
        aggregate: 'mean',
        levels: [{ severity: 'red', op: '>', value: 200 }],
      },
    });
    const stations = [
      airStation('AQ-1'),
      airStation('AQ-2', { gridCellId: CELL_B }),
      airStation('AQ-9', { districtId: DISTRICT_B, gridCellId: CELL_C }),
    ];
    const e = engine([meanAqi], stations);
    const outcomes: Outcome[] = [];
    for (let t = 0; t <= 70; t += 5) {
      outcomes.push(...read(e, 'AQ-1', m(t), { pm25: 220 }));
      outcomes.push(...read(e, 'AQ-2', m(t) + 10 * SEC, { pm25: 200 }));
      outcomes.push(...read(e, 'AQ-9', m(t) + 20 * SEC, { pm25: 10 }));
    }
    expect(changesOf(outcomes)).toEqual([
      `district-aqi:${DISTRICT_A}:pending@0m`,
      `district-aqi:${DISTRICT_A}:firing@60m`,
    ]);
    // AQI 270 and 250: the mean of the district's two stations.
    expect(alertsOf(outcomes)[1]).toMatchObject({
      value: 260,
      startsAt: m(0),
      subject: { type: 'district' },
    });
  });

  it('puts a sensor inside a drawn fence under that fence', () => {
    const fenced = rule({
      id: 'fence',
      kind: 'area',
      params: {
        area: 'polygon',
        fences: [
          { id: 'river-side', name: { zh: '沿江', en: 'Riverside' }, polygon: box(120.1, 30.2, 120.2, 30.3) },
        ],
        metric: 'waterDepth',
        aggregate: 'max',
        levels: [{ severity: 'red', op: '>=', value: 30 }],
      },
    });
    const gauges = [
      sensor('WL-IN', { kind: 'grid-event', subtype: 'waterlogging', location: [120.15, 30.25] }),
      sensor('WL-OUT', { kind: 'grid-event', subtype: 'waterlogging', location: [120.5, 30.25] }),
    ];
    const e = engine([fenced], gauges);
    expect(read(e, 'WL-OUT', m(0), { waterDepth: 80 })).toEqual([]);
    expect(changesOf(read(e, 'WL-IN', m(1), { waterDepth: 35 }))).toEqual(['fence:river-side:firing@1m']);
  });
});

describe('engine: clock-driven rules', () => {
  const offline = rule({ id: 'offline', kind: 'noData', params: { factor: 3 } });

  it('raises no-data on ticks for a silent sensor and for one never heard from, and clears on a reading', () => {
    const e = engine([offline], [sensor('TRF-1'), sensor('TRF-2')], T0);
    const outcomes: Outcome[] = [];
    outcomes.push(...tick(e, T0));
    outcomes.push(...read(e, 'TRF-1', m(1), { speed: 40 }));
    for (let t = 30 * SEC; t <= 5 * MIN; t += 30 * SEC) outcomes.push(...tick(e, T0 + t));
    outcomes.push(...read(e, 'TRF-2', m(5) + 10 * SEC, { speed: 40 }));
    // TRF-2: silent since start-up for more than 3 × 60 s; TRF-1: since its reading at 1 min.
    expect(changesOf(outcomes)).toEqual([
      'offline:TRF-2:firing@3.5m',
      'offline:TRF-1:firing@4.5m',
      `offline:TRF-2:resolved@${5 + 1 / 6}m`,
    ]);
  });

  it('counts readings of unknown sensors instead of throwing', () => {
    const e = engine([slowRule('slow')], [sensor('TRF-1')]);
    expect(read(e, 'GHOST', m(0), { speed: 1 })).toEqual([]);
    expect(read(e, 'GHOST', m(1), { speed: 1 })).toEqual([]);
    expect(e.unknownSensorReadings).toBe(2);
  });

  it('keeps one open alert per rule and subject however many breaching readings arrive', () => {
    const e = engine([slowRule('slow')], [sensor('TRF-1')]);
    const outcomes: Outcome[] = [];
    for (let t = 0; t < 30; t++) outcomes.push(...read(e, 'TRF-1', m(t), { speed: 5 + (t % 3) }));
    expect(changesOf(outcomes)).toEqual(['slow:TRF-1:firing@0m']);
    expect(activeSubjects(e)).toEqual([
      { ruleId: 'slow', subject: { type: 'sensor', id: 'TRF-1' }, phase: 'firing' },
    ]);
  });
});

describe('engine: live rule changes', () => {
  const pendingSlow = slowRule('slow', { for: '5m' });
  const other = rule({
    id: 'other',
    kind: 'threshold',
    params: { metric: 'pm25', levels: [{ severity: 'red', op: '>', value: 250 }] },
  });

  it('keeps a pending timer running through an unrelated rule change', () => {
    const e = engine([pendingSlow], [sensor('TRF-1')]);
    expect(changesOf(read(e, 'TRF-1', m(0), { speed: 5 }))).toEqual(['slow:TRF-1:pending@0m']);
    expect(setRules(e, [pendingSlow, other], m(1)).outcomes).toEqual([]);
    expect(changesOf(read(e, 'TRF-1', m(5), { speed: 5 }))).toEqual(['slow:TRF-1:firing@5m']);
  });

  it('keeps the state of a changed rule of the same kind and judges with the new version', () => {
    const e = engine([pendingSlow], [sensor('TRF-1')]);
    read(e, 'TRF-1', m(0), { speed: 5 });
    const v2 = slowRule('slow', { for: '5m', version: 2 }, 15);
    expect(setRules(e, [v2], m(1)).outcomes).toEqual([]);
    const [fired] = alertsOf(read(e, 'TRF-1', m(5), { speed: 5 }));
    expect(fired).toMatchObject({ change: 'firing', ruleVersion: 2, startsAt: m(0) });
  });

  it('resolves the open alert of a removed rule with an outcome', () => {
    const e = engine([slowRule('slow'), other], [sensor('TRF-1')]);
    read(e, 'TRF-1', m(0), { speed: 5 });
    const { outcomes } = setRules(e, [other], m(2));
    expect(changesOf(outcomes)).toEqual(['slow:TRF-1:resolved@2m']);
    expect(activeSubjects(e)).toEqual([]);
  });

  it('resolves the open alert of a disabled rule with an outcome', () => {
    const e = engine([slowRule('slow')], [sensor('TRF-1')]);
    read(e, 'TRF-1', m(0), { speed: 5 });
    const { outcomes } = setRules(e, [slowRule('slow', { enabled: false, version: 2 })], m(2));
    expect(changesOf(outcomes)).toEqual(['slow:TRF-1:resolved@2m']);
    expect(read(e, 'TRF-1', m(3), { speed: 5 })).toEqual([]);
  });

  it('ends the alert of a sensor a changed rule no longer covers, and keeps the others', () => {
    const wide = slowRule('slow', { scope: { sensorIds: ['TRF-1', 'TRF-2'] } });
    const e = engine([wide], [sensor('TRF-1'), sensor('TRF-2')]);
    read(e, 'TRF-1', m(0), { speed: 5 });
    read(e, 'TRF-2', m(0), { speed: 5 });
    const narrow = slowRule('slow', { version: 2, scope: { sensorIds: ['TRF-2'] } });
    const { outcomes } = setRules(e, [narrow], m(1));
    expect(changesOf(outcomes)).toEqual(['slow:TRF-1:resolved@1m']);
    expect(alertsOf(outcomes)[0]!.detail).toEqual({ reason: 'out-of-scope' });
    expect(activeSubjects(e).map((a) => a.subject.id)).toEqual(['TRF-2']);
    // TRF-1 is no longer judged by the rule; TRF-2 goes on from where it was.
    expect(read(e, 'TRF-1', m(2), { speed: 5 })).toEqual([]);
    expect(changesOf(read(e, 'TRF-2', m(2), { speed: 50 }))).toEqual(['slow:TRF-2:resolved@2m']);
  });

  it('cancels the pending alert of a removed rule', () => {
    const e = engine([pendingSlow], [sensor('TRF-1')]);
    read(e, 'TRF-1', m(0), { speed: 5 });
    expect(changesOf(setRules(e, [], m(1)).outcomes)).toEqual(['slow:TRF-1:cancelled@1m']);
  });

  it('resolves the open alert of a rule changed to another kind and starts the new kind afresh', () => {
    const e = engine([slowRule('slow')], [sensor('TRF-1')]);
    read(e, 'TRF-1', m(0), { speed: 5 });
    const stuck = rule({
      id: 'slow',
      version: 2,
      kind: 'stuck',
      params: { metric: 'speed', duration: '10m' },
    });
    expect(changesOf(setRules(e, [stuck], m(1)).outcomes)).toEqual(['slow:TRF-1:resolved@1m']);
    expect(read(e, 'TRF-1', m(2), { speed: 5 })).toEqual([]);
    expect(snapshot(e, true)[0]).toMatchObject({ ruleVersion: 2, kindState: { count: 1 } });
  });

  it('keeps a recovering hold of an unchanged rule ticking after a rule change', () => {
    const holding = slowRule('slow', { keepFiringFor: '10m' });
    const e = engine([holding], [sensor('TRF-1')]);
    read(e, 'TRF-1', m(0), { speed: 5 });
    read(e, 'TRF-1', m(1), { speed: 50 });
    setRules(e, [holding, other], m(2));
    expect(tick(e, m(11) - SEC)).toEqual([]);
    expect(changesOf(tick(e, m(11)))).toEqual(['slow:TRF-1:resolved@11m']);
  });
});

describe('engine: snapshot and restore', () => {
  /** Snapshot → JSON → a fresh engine with the same rules and sensors. */
  function restart(e: EngineState, rules: readonly Rule[], sensors: readonly SensorInfo[], now: number) {
    const saved = JSON.parse(
      JSON.stringify({ subjects: snapshot(e, true), sensors: sensorSnapshot(e, true) }),
    ) as {
      subjects: SubjectSnapshot[];
      sensors: ReturnType<typeof sensorSnapshot>;
    };
    const fresh = engine(rules, sensors, now);
    // As the alerting service restores: derived means and last-seen times per sensor.
    const result = restore(
      fresh,
      saved.subjects,
      saved.sensors.flatMap((s) => (s.derived ? [{ sensorId: s.sensorId, derived: s.derived }] : [])),
      saved.sensors.flatMap((s) => (s.lastSeen !== null ? [{ sensorId: s.sensorId, at: s.lastSeen }] : [])),
    );
    return { fresh, result };
  }

  it('resumes a pending `for` timer and fires at the right time', () => {
    const rules = [slowRule('slow', { for: '10m' })];
    const sensors = [sensor('TRF-1')];
    const e = engine(rules, sensors);
    read(e, 'TRF-1', m(0), { speed: 5 });
    const { fresh } = restart(e, rules, sensors, m(3));
    expect(read(fresh, 'TRF-1', m(9), { speed: 5 })).toEqual([]);
    const [fired] = alertsOf(read(fresh, 'TRF-1', m(10), { speed: 5 }));
    expect(fired).toMatchObject({ change: 'firing', startsAt: m(0), at: m(10) });
  });

  it('resumes a recovering hold and resolves when it ends', () => {
    const rules = [slowRule('slow', { keepFiringFor: '10m' })];
    const sensors = [sensor('TRF-1')];
    const e = engine(rules, sensors);
    read(e, 'TRF-1', m(0), { speed: 5 });
    read(e, 'TRF-1', m(1), { speed: 50 });
    const { fresh } = restart(e, rules, sensors, m(4));
    expect(activeSubjects(fresh)).toEqual([
      { ruleId: 'slow', subject: { type: 'sensor', id: 'TRF-1' }, phase: 'recovering' },
    ]);
    expect(tick(fresh, m(11) - SEC)).toEqual([]);
    expect(changesOf(tick(fresh, m(11)))).toEqual(['slow:TRF-1:resolved@11m']);
  });

  it('continues identically after a restart in the middle of a busy three hours', () => {
    const rules = [
      slowRule('slow', { for: '3m', keepFiringFor: '5m', flap: { window: '30m', transitions: 4 } }),
      rule({ id: 'jam', kind: 'area', params: { ...JAM_PARAMS } }),
      rule({
        id: 'fall',
        kind: 'rateOfChange',
        params: { metric: 'speed', window: '10m', levels: [{ severity: 'yellow', op: '<=', value: -25 }] },
      }),
      rule({ id: 'stuck', kind: 'stuck', params: { metric: 'speed', duration: '20m', minSamples: 5 } }),
      rule({ id: 'offline', kind: 'noData', params: { factor: 3 } }),
      rule({ id: 'quality', kind: 'dataQuality', params: { area: 'cell', window: '1h', minExpected: 1 } }),
      rule({
        id: 'aqi',
        kind: 'threshold',
        for: '30m',
        params: { metric: 'aqi', levels: [{ severity: 'orange', op: '>', value: 150 }] },
      }),
    ];
    const sensors = [sensor('D1'), sensor('D2'), sensor('D3'), airStation('AQ-1')];

    /** Deterministic inputs for minute `t`: jams, a frozen detector, two dropouts and a smog episode. */
    const inputsAt = (e: EngineState, t: number): Outcome[] => {
      const out: Outcome[] = [];
      const speed = (id: string) => {
        const phase = (t + id.charCodeAt(1) * 7) % 40;
        return phase < 12 ? 6 + (phase % 3) : 45 - (phase % 5);
      };
      if (!((t >= 50 && t < 70) || (t >= 120 && t < 135)))
        out.push(...read(e, 'D1', m(t) + 5 * SEC, { speed: speed('D1') }));
      out.push(...read(e, 'D2', m(t) + 10 * SEC, { speed: t >= 100 && t < 140 ? 33 : speed('D2') }));
      if (t % 2 === 0) out.push(...read(e, 'D3', m(t) + 15 * SEC, { speed: speed('D3') }));
      if (t % 5 === 0) out.push(...read(e, 'AQ-1', m(t) + 20 * SEC, { pm25: t > 60 && t < 150 ? 160 : 30 }));
      out.push(...tick(e, m(t) + 30 * SEC));
      return out;
    };

    // Restart one minute into D1's second dropout: its silence so far must survive the restart.
    const SPLIT = 121;
    const straight = engine(rules, sensors);
    const before: Outcome[] = [];
    for (let t = 0; t < SPLIT; t++) before.push(...inputsAt(straight, t));
    const { fresh, result } = restart(straight, rules, sensors, m(SPLIT));
    expect(result.skipped).toBe(0);

    const expected: Outcome[] = [];
    const actual: Outcome[] = [];
    for (let t = SPLIT; t < 180; t++) {
      expected.push(...inputsAt(straight, t));
      actual.push(...inputsAt(fresh, t));
    }
    // The scenario is busy on both sides of the restart (else it would prove little).
    const kinds = (o: Outcome[]) => new Set(alertsOf(o).map((a) => a.ruleId));
    expect(kinds(before)).toEqual(new Set(['slow', 'jam', 'fall', 'stuck', 'offline', 'quality', 'aqi']));
    expect(kinds(expected)).toEqual(new Set(['slow', 'jam', 'fall', 'stuck', 'offline', 'aqi']));
    expect(activeSubjects(straight).map((a) => a.ruleId)).toContain('quality');
    expect(actual).toEqual(expected);
  });

  it('skips saved states of rules that no longer exist', () => {
    const e = engine([slowRule('slow'), slowRule('gone')], [sensor('TRF-1')]);
    read(e, 'TRF-1', m(0), { speed: 5 });
    const { fresh, result } = restart(e, [slowRule('slow')], [sensor('TRF-1')], m(1));
    expect(result).toEqual({ restored: 1, skipped: 1 });
    expect(activeSubjects(fresh).map((a) => a.ruleId)).toEqual(['slow']);
  });

  it('skips saved states of a rule whose kind changed while the server was down', () => {
    const e = engine([slowRule('slow')], [sensor('TRF-1')]);
    read(e, 'TRF-1', m(0), { speed: 5 });
    const nowArea = rule({ id: 'slow', version: 2, kind: 'area', params: { ...JAM_PARAMS } });
    const { fresh, result } = restart(e, [nowArea], [sensor('TRF-1')], m(1));
    expect(result).toEqual({ restored: 0, skipped: 1 });
    expect(activeSubjects(fresh)).toEqual([]);
    expect(() => tick(fresh, m(2))).not.toThrow();
  });

  it('returns only states changed since the previous snapshot unless asked for all', () => {
    const e = engine([slowRule('slow'), slowRule('fast', {}, 100)], [sensor('TRF-1'), sensor('TRF-2')]);
    read(e, 'TRF-1', m(0), { speed: 5 });
    expect(snapshot(e).length).toBe(2);
    expect(snapshot(e)).toEqual([]);
    read(e, 'TRF-2', m(1), { speed: 50 });
    expect(
      snapshot(e)
        .map((s) => `${s.ruleId}/${s.subjectKey}`)
        .sort(),
    ).toEqual(['fast/TRF-2', 'slow/TRF-2']);
    expect(snapshot(e, true).length).toBe(4);
  });
});

const JAM_PARAMS = {
  area: 'cell',
  metric: 'speed',
  aggregate: 'count',
  sensorCondition: { op: '<', value: 10 },
  window: '10m',
  levels: [{ severity: 'orange', op: '>=', value: 3 }],
};
