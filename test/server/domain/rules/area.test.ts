import { describe, expect, it } from 'vitest';
import { areaKind, areaRefsFor } from '../../../../server/src/domain/rules/kinds/area';
import type { AreaRef } from '../../../../server/src/domain/rules/ruleKind';
import {
  areaHarness,
  box,
  CELL_A,
  CELL_B,
  ctxOf,
  DISTRICT_A,
  inPolygon,
  MIN,
  rule,
  SEC,
  sensor,
  T0,
} from './ruleTestKit';

/** The example: ≥ 3 detectors of a cell below 10 km/h within 10 minutes raises orange. */
const jam = rule({ kind: 'area', params: areaKind.example });
const cellA: AreaRef = { type: 'cell', id: CELL_A };
const detectors = ['D1', 'D2', 'D3', 'D4'].map((id) => sensor(id));

const m = (minutes: number) => T0 + minutes * MIN;

describe('area kind: count', () => {
  it('raises when three sensors of the cell breach within the window', () => {
    const h = areaHarness(areaKind, jam, cellA, detectors, T0);
    expect(h.sample('D1', 8, m(0), 'speed')).toMatchObject({ active: false, value: 1 });
    expect(h.sample('D2', 9, m(3), 'speed')).toMatchObject({ active: false, value: 2 });
    const third = h.sample('D3', 5, m(6), 'speed');
    expect(third).toMatchObject({ active: true, severity: 'orange', value: 3 });
    expect(third?.detail).toMatchObject({ sensors: ['D1', 'D2', 'D3'] });
  });

  it('counts a sensor breaching repeatedly once', () => {
    const h = areaHarness(areaKind, jam, cellA, detectors, T0);
    h.sample('D1', 8, m(0), 'speed');
    h.sample('D1', 7, m(1), 'speed');
    expect(h.sample('D1', 6, m(2), 'speed')).toMatchObject({ active: false, value: 1 });
  });

  it('does not count sensors whose readings stay above the condition', () => {
    const h = areaHarness(areaKind, jam, cellA, detectors, T0);
    h.sample('D1', 8, m(0), 'speed');
    h.sample('D2', 9, m(1), 'speed');
    expect(h.sample('D3', 45, m(2), 'speed')).toMatchObject({ active: false, value: 2 });
  });

  it('lets breaches older than the window expire', () => {
    const h = areaHarness(areaKind, jam, cellA, detectors, T0);
    h.sample('D1', 8, m(0), 'speed');
    h.sample('D2', 9, m(5), 'speed');
    // D1's breach is 11 minutes old when D3 breaches.
    expect(h.sample('D3', 5, m(11), 'speed')).toMatchObject({ active: false, value: 2 });
  });

  it('clears on a tick once a breach has left the window', () => {
    const h = areaHarness(areaKind, jam, cellA, detectors, T0);
    h.sample('D1', 8, m(0), 'speed');
    h.sample('D2', 9, m(3), 'speed');
    expect(h.sample('D3', 5, m(6), 'speed')?.active).toBe(true);
    expect(h.tick(m(10))).toMatchObject({ active: true, value: 3 });
    expect(h.tick(m(10) + SEC)).toMatchObject({ active: false, value: 2 });
  });

  it('keeps counting a sensor that breached within the window after it recovered', () => {
    const h = areaHarness(areaKind, jam, cellA, detectors, T0);
    h.sample('D1', 8, m(0), 'speed');
    h.sample('D1', 50, m(1), 'speed');
    h.sample('D2', 9, m(2), 'speed');
    expect(h.sample('D3', 5, m(3), 'speed')).toMatchObject({ active: true, value: 3 });
  });

  it('files sensors under their own grid cell, so sensors of another cell form another subject', () => {
    const ctx = ctxOf(areaKind, jam);
    expect(areaKind.areasOf(ctx, sensor('D1'), inPolygon)).toEqual([cellA]);
    expect(areaKind.areasOf(ctx, sensor('D9', { gridCellId: CELL_B }), inPolygon)).toEqual([
      { type: 'cell', id: CELL_B },
    ]);
    expect(areaKind.areasOf(ctx, sensor('D0', { gridCellId: null }), inPolygon)).toEqual([]);
  });

  it('gives no verdict for the tick of an area that has had no sample yet', () => {
    const h = areaHarness(areaKind, jam, cellA, detectors, T0);
    expect(h.tick(m(5))).toBeNull();
  });

  it('judges large areas (more than 32 sensors) too', () => {
    const many = Array.from({ length: 40 }, (_, i) => sensor(`D${i}`));
    const h = areaHarness(areaKind, jam, cellA, many, T0);
    for (let i = 0; i < 40; i++) h.sample(`D${i}`, 50, m(0) + i * SEC, 'speed');
    h.sample('D0', 8, m(1), 'speed');
    h.sample('D1', 8, m(1) + SEC, 'speed');
    h.sample('D2', 8, m(1) + 2 * SEC, 'speed');
    // Within 5 s of event time a large area may skip re-aggregating; the next tick judges it.
    expect(h.tick(m(1) + 3 * SEC)).toMatchObject({ active: true, value: 3 });
  });
});

describe('area kind: aggregates', () => {
  const meanAqi = rule({
    kind: 'area',
    params: {
      area: 'district',
      metric: 'aqi',
      aggregate: 'mean',
      window: '1h',
      minSensors: 2,
      levels: [{ severity: 'red', op: '>', value: 200 }],
    },
  });
  const district: AreaRef = { type: 'district', id: DISTRICT_A };
  const stations = ['A1', 'A2', 'A3'].map((id) => sensor(id, { kind: 'air', subtype: 'aq-station' }));

  it('gives no verdict while fewer than minSensors sensors have a fresh value', () => {
    const h = areaHarness(areaKind, meanAqi, district, stations, T0);
    expect(h.sample('A1', 300, m(0), 'aqi:HJ633-2026')).toBeNull();
  });

  it('raises on the mean of the fresh values', () => {
    const h = areaHarness(areaKind, meanAqi, district, stations, T0);
    h.sample('A1', 300, m(0), 'aqi:HJ633-2026');
    expect(h.sample('A2', 150, m(1), 'aqi:HJ633-2026')).toMatchObject({
      active: true,
      severity: 'red',
      value: 225,
    });
    expect(h.sample('A3', 90, m(2), 'aqi:HJ633-2026')).toMatchObject({ active: false, value: 180 });
  });

  it('leaves values older than the window out of the mean', () => {
    const h = areaHarness(areaKind, meanAqi, district, stations, T0);
    h.sample('A1', 50, m(0), 'aqi:HJ633-2026');
    h.sample('A2', 250, m(30), 'aqi:HJ633-2026');
    // A1's value is 61 minutes old: the mean is of A2 and A3 alone.
    expect(h.sample('A3', 210, m(61), 'aqi:HJ633-2026')).toMatchObject({
      active: true,
      value: 230,
      detail: { fresh: 2 },
    });
  });

  it('uses the latest value of each sensor', () => {
    const h = areaHarness(areaKind, meanAqi, district, stations, T0);
    h.sample('A1', 300, m(0), 'aqi:HJ633-2026');
    h.sample('A2', 300, m(1), 'aqi:HJ633-2026');
    expect(h.sample('A1', 100, m(2), 'aqi:HJ633-2026')).toMatchObject({ active: false, value: 200 });
  });

  it('raises on the max, min and sum of the fresh values', () => {
    const agg = (aggregate: string, op: string, value: number) => {
      const r = rule({
        kind: 'area',
        params: { area: 'district', metric: 'pm25', aggregate, levels: [{ severity: 'yellow', op, value }] },
      });
      const h = areaHarness(areaKind, r, district, stations, T0);
      h.sample('A1', 40, m(0), 'pm25');
      h.sample('A2', 160, m(1), 'pm25');
      return h.sample('A3', 70, m(2), 'pm25');
    };
    expect(agg('max', '>', 150)).toMatchObject({ active: true, value: 160 });
    expect(agg('min', '<', 50)).toMatchObject({ active: true, value: 40 });
    expect(agg('sum', '>=', 270)).toMatchObject({ active: true, value: 270 });
    expect(agg('max', '>', 160)).toMatchObject({ active: false, value: 160 });
  });
});

describe('area kind: polygon fences', () => {
  const fences = [
    { id: 'fence-west', name: { zh: '西围栏', en: 'West fence' }, polygon: box(120.0, 30.0, 120.2, 30.4) },
    { id: 'fence-core', name: { zh: '核心区', en: 'Core' }, polygon: box(120.1, 30.2, 120.3, 30.3) },
  ];

  it('files a sensor under every fence that contains it', () => {
    const refs = areaRefsFor('polygon', fences, sensor('D1', { location: [120.15, 30.25] }), inPolygon);
    expect(refs.map((r) => r.id)).toEqual(['fence-west', 'fence-core']);
    expect(refs[0]).toEqual({ type: 'area', id: 'fence-west', name: fences[0]!.name });
  });

  it('files a sensor inside one fence only under that fence', () => {
    const refs = areaRefsFor('polygon', fences, sensor('D2', { location: [120.05, 30.1] }), inPolygon);
    expect(refs.map((r) => r.id)).toEqual(['fence-west']);
  });

  it('files a sensor outside every fence, or without a location, nowhere', () => {
    expect(areaRefsFor('polygon', fences, sensor('D3', { location: [121, 31] }), inPolygon)).toEqual([]);
    expect(areaRefsFor('polygon', fences, sensor('D4', { location: null }), inPolygon)).toEqual([]);
  });

  it('requires fences when the area is a polygon and a sensor condition when counting', () => {
    const parsed = areaKind.paramsSchema.safeParse({
      area: 'polygon',
      metric: 'speed',
      aggregate: 'count',
      levels: [{ severity: 'orange', op: '>=', value: 3 }],
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => i.path.join('.'))).toEqual(['fences', 'sensorCondition']);
  });
});
