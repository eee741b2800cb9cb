import { describe, expect, it } from 'vitest';
import type { AqiStandard } from '../../../shared/domain/aqi';
import { SEVERITIES, type Alert, type Severity } from '../../../shared/schemas/alert.schema';
import type { RoadClass, Sensor } from '../../../shared/schemas/sensor.schema';
import type { CityVitals } from '../../../shared/schemas/vitals.schema';
import { CityVitalsSchema } from '../../../shared/schemas/vitals.schema';
import {
  computeVitals,
  timelineWindow,
  type AlertHourCount,
  type LatestView,
  type VitalsInput,
} from '../../../server/src/domain/vitals';
import { workOrderAt } from '../../fixtures/workOrders';

const WEST = '330106';
const EAST = '330102';
const DISTRICTS = [
  { id: WEST, name: { zh: '西湖区', en: 'Xihu' } },
  { id: EAST, name: { zh: '上城区', en: 'Shangcheng' } },
];
const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 3, 1, 4, 30); // 12:30 in Shanghai

const FREE_FLOW: Record<RoadClass, number> = { expressway: 65, arterial: 40, secondary: 35 };

function detector(id: string, roadId: string, roadClass: RoadClass = 'arterial', districtId = WEST): Sensor {
  return {
    id,
    kind: 'traffic',
    subtype: 'loop-detector',
    name: { zh: id, en: id },
    metrics: [{ metric: 'speed', unit: 'km/h' }],
    location: [120.15, 30.27],
    gridCellId: `${districtId}001001001`,
    districtId,
    reportIntervalSec: 20,
    autoRegistered: false,
    road: {
      id: roadId,
      name: { zh: `${roadId} 路`, en: `${roadId} Road` },
      class: roadClass,
      freeFlowKmh: FREE_FLOW[roadClass],
    },
  };
}

function sensorOf(
  id: string,
  kind: Sensor['kind'],
  subtype: Sensor['subtype'],
  over: Partial<Sensor> = {},
): Sensor {
  return {
    id,
    kind,
    subtype,
    name: { zh: id, en: id },
    metrics: [{ metric: 'pm25', unit: 'µg/m³' }],
    location: [120.15, 30.27],
    gridCellId: `${WEST}001001001`,
    districtId: WEST,
    reportIntervalSec: 60,
    autoRegistered: false,
    ...over,
  };
}

const station = (id: string, districtId = WEST) =>
  sensorOf(id, 'air', 'aq-station', { districtId, gridCellId: `${districtId}001001001` });

function alertOf(id: string, severity: Severity, over: Partial<Alert> = {}): Alert {
  return {
    id,
    ruleId: 'r-1',
    ruleVersion: 1,
    ruleKind: 'threshold',
    subject: { type: 'sensor', id: 'S-1' },
    severity,
    state: 'firing',
    title: { zh: '告警', en: 'Alert' },
    districtId: WEST,
    startsAt: NOW - HOUR,
    updatedAt: NOW - HOUR,
    ...over,
  };
}

interface Case {
  sensors?: Sensor[];
  /** Values per sensor, observed `ageMs` before NOW (default 10 s). */
  values?: Record<string, Record<string, number> & { ageMs?: number }>;
  roadLengthsKm?: Record<string, number>;
  openAlerts?: Alert[];
  openOrders?: VitalsInput['openOrders'];
  raisedPerHour?: AlertHourCount[];
  now?: number;
  aqiStandard?: AqiStandard;
}

function vitals(c: Case) {
  const sensors = c.sensors ?? [];
  const byId = new Map(sensors.map((s) => [s.id, s]));
  const now = c.now ?? NOW;
  const latest = new Map<string, LatestView>(
    Object.entries(c.values ?? {}).map(([id, { ageMs, ...values }]) => [
      id,
      { observedAt: now - (ageMs ?? 10_000), values },
    ]),
  );
  const figures = computeVitals({
    now,
    sensors,
    latest: (id) => latest.get(id),
    sensor: (id) => byId.get(id),
    districts: DISTRICTS,
    roadLengthsKm: new Map(Object.entries(c.roadLengthsKm ?? {})),
    readingsPerSec: 12.5,
    openAlerts: c.openAlerts ?? [],
    openOrders: c.openOrders ?? [],
    raisedPerHour: c.raisedPerHour ?? [],
    aqiStandard: c.aqiStandard ?? 'HJ633-2026',
  });
  return {
    ...figures,
    district: (id: string) => figures.districts.find((d) => 'id' in d.scope && d.scope.id === id)!,
  };
}

/** The city TPI of one arterial detector (free flow 40 km/h) at `speed`. */
const tpiAt = (speed: number) =>
  vitals({ sensors: [detector('T-1', 'road-a')], values: { 'T-1': { speed, volume: 1000 } } }).city.traffic
    .index;

describe('computeVitals: traffic', () => {
  it('weighs each detector by vehicle-kilometres: volume × its share of the road length', () => {
    // Road A: 3 km, TTI 2 (DTP 0.5); road B: 1 km, free flow (DTP 0). Same volume.
    // Weighted DTP = (3 × 0.5 + 1 × 0) / 4 = 0.375 → TPI 2 + (0.075 / 0.2) × 2 = 2.75, shown 2.7.
    const v = vitals({
      sensors: [detector('T-A', 'road-a'), detector('T-B', 'road-b')],
      values: { 'T-A': { speed: 20, volume: 1000 }, 'T-B': { speed: 40, volume: 1000 } },
      roadLengthsKm: { 'road-a': 3, 'road-b': 1 },
    });

    expect(v.city.traffic.index).toEqual({
      tpi: 2.7,
      state: { id: 'basically-free', zh: '基本畅通', en: 'Basically free', color: '#a6d96a' },
      detectors: 2,
    });
  });

  it('splits a road length evenly among its detectors and lets volume weigh them', () => {
    // One 2 km road, two detectors of 1 km each; the slow one carries 3× the traffic.
    // DTP (3 × 0.5 + 1 × 0) / 4 = 0.375 → 2.75 → 2.7; at equal volume it would be DTP 0.25 → 1.6.
    const v = vitals({
      sensors: [detector('T-1', 'road-a'), detector('T-2', 'road-a')],
      values: { 'T-1': { speed: 20, volume: 3000 }, 'T-2': { speed: 40, volume: 1000 } },
      roadLengthsKm: { 'road-a': 2 },
    });

    expect(v.city.traffic.index.tpi).toBe(2.7);
  });

  it('weighs a detector without a volume by the nominal volume of its road class', () => {
    // Expressway (3000 veh/h nominal) at DTP 0.5 against a secondary road (800) at DTP 0, 1 km each:
    // DTP 1500 / 3800 = 0.3947 → TPI 2 + 0.0947 / 0.2 × 2 = 2.947 → 2.9.
    const v = vitals({
      sensors: [detector('T-X', 'road-x', 'expressway'), detector('T-S', 'road-s', 'secondary')],
      values: { 'T-X': { speed: 32.5 }, 'T-S': { speed: 35 } },
      roadLengthsKm: { 'road-x': 1, 'road-s': 1 },
    });

    expect(v.city.traffic.index.tpi).toBe(2.9);
  });

  it('puts each GB/T 33171 band edge in the worse state', () => {
    // Arterial, free flow 40 km/h: 28 → DTP 0.3, 20 → 0.5, 16 → 0.6, 12 → 0.7.
    expect(tpiAt(28.1)).toMatchObject({ tpi: 1.9, state: { id: 'free', zh: '畅通' } });
    expect(tpiAt(28)).toMatchObject({ tpi: 2, state: { id: 'basically-free', zh: '基本畅通' } });
    expect(tpiAt(20)).toMatchObject({ tpi: 4, state: { id: 'light', zh: '轻度拥堵' } });
    expect(tpiAt(16)).toMatchObject({ tpi: 6, state: { id: 'moderate', zh: '中度拥堵' } });
    expect(tpiAt(12)).toMatchObject({ tpi: 8, state: { id: 'severe', zh: '严重拥堵' } });
  });

  it('truncates the TPI to one decimal so the number never leaves its state’s band', () => {
    // 12.08 km/h on an arterial: DTP 0.698, TPI 7.96 — 中度拥堵, shown 7.9 (rounding would show 8.0).
    expect(tpiAt(12.08)).toMatchObject({ tpi: 7.9, state: { id: 'moderate' } });
    // 17 km/h: DTP 0.575, TPI 5.5 exactly, which float arithmetic gives as 5.4999… — still 5.5.
    expect(tpiAt(17)).toMatchObject({ tpi: 5.5, state: { id: 'light' } });
  });

  it('leaves out stale detectors and those reporting no speed', () => {
    const v = vitals({
      sensors: [detector('T-1', 'road-a'), detector('T-2', 'road-a'), detector('T-3', 'road-a')],
      values: {
        'T-1': { speed: 20, volume: 1000 },
        'T-2': { speed: 40, volume: 1000, ageMs: 121_000 },
        'T-3': { speed: 0, volume: 0 },
      },
    });

    expect(v.city.traffic.index).toMatchObject({ tpi: 4, detectors: 1 });
  });

  it('has no index while no detector has a fresh speed', () => {
    const v = vitals({ sensors: [detector('T-1', 'road-a')] });
    expect(v.city.traffic.index).toEqual({ tpi: null, state: null, detectors: 0 });
    expect(v.city.traffic.topRoads).toEqual([]);
  });

  it('lists the ten most congested roads, worst first, slower first on equal TPI', () => {
    // Roads r00 … r11 at 12 … 34 km/h (arterial, free flow 40): r00 worst.
    const sensors: Sensor[] = [];
    const values: Case['values'] = {};
    for (let i = 0; i < 12; i++) {
      const id = `T-${i}`;
      sensors.push(detector(id, `r${String(i).padStart(2, '0')}`));
      values[id] = { speed: 12 + 2 * i, volume: 1000 };
    }
    // Two detectors on r03 at 17 and 19 km/h: TPI from both, mean speed 18.
    sensors.push(detector('T-3b', 'r03'));
    values['T-3'] = { speed: 17, volume: 1000 };
    values['T-3b'] = { speed: 19, volume: 1000 };
    // Expressway x01 with the TPI of r02 (DTP 1 − 16/40 = 0.6 = 1 − 26/65) but faster: after it.
    sensors.push(detector('T-X', 'x01', 'expressway'));
    values['T-X'] = { speed: 26, volume: 1000 };

    const top = vitals({ sensors, values }).city.traffic.topRoads;

    expect(top.map((r) => r.roadId)).toEqual([
      'r00',
      'r01',
      'r02',
      'x01',
      'r03',
      'r04',
      'r05',
      'r06',
      'r07',
      'r08',
    ]);
    expect(top[0]).toEqual({
      roadId: 'r00',
      name: { zh: 'r00 路', en: 'r00 Road' },
      class: 'arterial',
      tpi: 8,
      state: { id: 'severe', zh: '严重拥堵', en: 'Severe congestion', color: '#8b0000' },
      speedKmh: 12,
      detectors: 1,
    });
    expect(top[2]).toMatchObject({ tpi: 6, speedKmh: 16 });
    expect(top[3]).toMatchObject({ tpi: 6, speedKmh: 26 });
    // r03: DTP (0.575 + 0.525) / 2 = 0.55 → TPI 5, mean speed 18.
    expect(top[4]).toMatchObject({ roadId: 'r03', tpi: 5, speedKmh: 18, detectors: 2 });
  });
});

describe('computeVitals: air', () => {
  const sensors = [station('A-1'), station('A-2'), station('A-3', EAST)];
  const values = {
    'A-1': { pm25: 70, o3: 100 },
    'A-2': { pm25: 90, o3: 120 },
    'A-3': { pm25: 30, o3: 250 },
  };

  it('gives each district the AQI of its stations’ mean concentrations, with the primary pollutant', () => {
    const v = vitals({ sensors, values });

    // 西湖区: PM2.5 mean 80 µg/m³; HJ 633—2026 column 60 → 100, 115 → 150: 100 + 50 × 20/55 = 118.2 → 119.
    // O3 1h mean 110: 50 × 110/160 = 34.4 → 35. Primary: PM2.5, 三级 轻度污染.
    expect(v.city.air.districts[0]).toEqual({
      districtId: WEST,
      name: { zh: '西湖区', en: 'Xihu' },
      aqi: {
        aqi: 119,
        level: 3,
        category: { zh: '轻度污染', en: 'Lightly Polluted' },
        color: '#FF7E00',
        primaryPollutants: ['pm25'],
        stations: 2,
      },
    });
    // 上城区: O3 1h 250: 100 + 50 × 50/100 = 125; PM2.5 30: 50 × 30/35 = 42.9 → 43. Primary: O3.
    expect(v.city.air.districts[1]!.aqi).toMatchObject({ aqi: 125, level: 3, primaryPollutants: ['o3'] });
  });

  it('forms the city AQI from the mean over all stations, not from the worst district', () => {
    const v = vitals({ sensors, values });

    // PM2.5 (70 + 90 + 30)/3 = 63.3: 100 + 50 × 3.33/55 = 103.0 → 104; O3 156.7: 49.
    expect(v.city.air.index).toMatchObject({ aqi: 104, primaryPollutants: ['pm25'], stations: 3 });
    expect(v.city.air.standard).toBe('HJ633-2026');
  });

  it('reads the HJ 633—2012 breakpoints when told to', () => {
    const v = vitals({ sensors, values, aqiStandard: 'HJ633-2012' });

    // PM2.5 80 against 75 → 100, 115 → 150: 100 + 50 × 5/40 = 106.25 → 107.
    expect(v.city.air.districts[0]!.aqi).toMatchObject({ aqi: 107, primaryPollutants: ['pm25'] });
  });

  it('names no primary pollutant while the AQI is 50 or below', () => {
    const v = vitals({ sensors: [station('A-1')], values: { 'A-1': { pm25: 20, o3: 60 } } });

    expect(v.city.air.index).toMatchObject({ aqi: 29, level: 1, primaryPollutants: [], color: '#00E400' });
  });

  it('leaves a district without fresh stations at null', () => {
    const v = vitals({ sensors, values: { 'A-1': { pm25: 70 }, 'A-3': { pm25: 30, ageMs: 181_000 } } });

    expect(v.city.air.districts[1]!.aqi).toBeNull();
    expect(v.city.air.index!.stations).toBe(1);
  });
});

describe('computeVitals: counts', () => {
  it('counts a sensor online within max(2 min, 3 report intervals) of its newest reading', () => {
    const v = vitals({
      sensors: [
        detector('T-fresh', 'r'),
        detector('T-stale', 'r'),
        sensorOf('M-fresh', 'grid-event', 'manhole', { reportIntervalSec: 300 }),
        sensorOf('M-stale', 'grid-event', 'manhole', { reportIntervalSec: 300 }),
        sensorOf('M-never', 'grid-event', 'manhole', { reportIntervalSec: 300 }),
      ],
      values: {
        'T-fresh': { speed: 30, ageMs: 120_000 },
        'T-stale': { speed: 30, ageMs: 120_001 },
        'M-fresh': { tilt: 0, ageMs: 900_000 },
        'M-stale': { tilt: 0, ageMs: 900_001 },
      },
    });

    expect(v.city.sensors).toMatchObject({ total: 5, online: 2, onlinePct: 40 });
    expect(v.city.sensors.byKind).toMatchObject({
      traffic: { total: 2, online: 1 },
      'grid-event': { total: 3, online: 1 },
    });
    expect(v.city.readingsPerSec).toBe(12.5);
  });

  it('counts announced open alerts by colour, muted ones apart, per district', () => {
    const v = vitals({
      openAlerts: [
        alertOf('a1', 'red'),
        alertOf('a2', 'red', { districtId: EAST }),
        alertOf('a3', 'blue', { state: 'acknowledged' }),
        alertOf('a4', 'yellow', { suppressed: { by: 'silence', id: 's-1', reason: 'maintenance' } }),
        alertOf('a5', 'orange', { state: 'closed' }),
      ],
    });

    expect(v.city.alerts).toEqual({
      open: 3,
      bySeverity: { red: 2, orange: 0, yellow: 0, blue: 1 },
      muted: 1,
    });
    expect(v.district(EAST).alerts).toEqual({
      open: 1,
      bySeverity: { red: 1, orange: 0, yellow: 0, blue: 0 },
      muted: 0,
    });
  });

  it('sorts grid-event alerts by sensor family, device faults apart', () => {
    const v = vitals({
      sensors: [sensorOf('M-1', 'grid-event', 'manhole'), sensorOf('W-1', 'grid-event', 'waterlogging')],
      openAlerts: [
        alertOf('a1', 'red', { subject: { type: 'sensor', id: 'M-1' } }),
        alertOf('a2', 'blue', { subject: { type: 'sensor', id: 'M-1' }, ruleKind: 'noData' }),
        alertOf('a3', 'orange', {
          subject: { type: 'sensor', id: 'X' },
          labels: { subtype: 'waterlogging' },
        }),
        alertOf('a4', 'yellow', {
          subject: { type: 'sensor', id: 'T-1' },
          labels: { subtype: 'loop-detector' },
        }),
      ],
    });

    expect(v.city.gridEvents.map((g) => g.subtype)).toEqual([
      'manhole',
      'waterlogging',
      'streetlight',
      'feeder',
      'smoke',
      'waste-bin',
    ]);
    expect(v.city.gridEvents[0]).toEqual({
      subtype: 'manhole',
      name: { zh: '井盖', en: 'Manhole cover' },
      sensors: 1,
      openAlerts: 1,
      bySeverity: { red: 1, orange: 0, yellow: 0, blue: 0 },
      deviceFaults: 1,
    });
    expect(v.city.gridEvents[1]).toMatchObject({ sensors: 1, openAlerts: 1, bySeverity: { orange: 1 } });
    expect(v.city.gridEvents.reduce((n, g) => n + g.openAlerts, 0)).toBe(2);
  });

  it('counts open cases by state, with those past their stage limit as overdue', () => {
    const v = vitals({
      openOrders: [
        workOrderAt(NOW - HOUR, { id: 'WO-1', state: 'dispatched', dueAt: NOW + HOUR }),
        workOrderAt(NOW - HOUR, { id: 'WO-2', state: 'dispatched', dueAt: NOW - 1 }),
        workOrderAt(NOW - HOUR, { id: 'WO-3', state: 'handling', overdueAt: NOW - HOUR, dueAt: NOW + HOUR }),
        workOrderAt(NOW - HOUR, { id: 'WO-4', state: 'registered', districtId: EAST }),
        workOrderAt(NOW - HOUR, { id: 'WO-5', state: 'closed', dueAt: null }),
      ],
    });

    expect(v.city.workOrders).toEqual({
      open: 4,
      byState: { registered: 1, dispatched: 2, handling: 1 },
      overdue: 3,
    });
    expect(v.district(WEST).workOrders).toEqual({
      open: 3,
      byState: { dispatched: 2, handling: 1 },
      overdue: 2,
    });
  });
});

describe('computeVitals: alert timeline', () => {
  // 2026-04-02 00:30 in Shanghai = 2026-04-01 16:30 UTC.
  const now = Date.UTC(2026, 3, 1, 16, 30);
  const window = timelineWindow(now);

  it('spans 24 Shanghai hours ending with the current one', () => {
    expect(window).toEqual({ from: Date.UTC(2026, 3, 0, 17), to: Date.UTC(2026, 3, 1, 17) });
  });

  it('buckets the hours across the Shanghai midnight with local labels', () => {
    const v = vitals({
      now,
      raisedPerHour: [
        { hourStart: Date.UTC(2026, 3, 1, 15), severity: 'red', districtId: WEST, count: 2 },
        { hourStart: Date.UTC(2026, 3, 1, 15), severity: 'blue', districtId: null, count: 1 },
        { hourStart: Date.UTC(2026, 3, 1, 16), severity: 'orange', districtId: EAST, count: 3 },
        { hourStart: Date.UTC(2026, 3, 0, 17), severity: 'yellow', districtId: WEST, count: 4 },
        // Outside the window: ignored.
        { hourStart: Date.UTC(2026, 3, 0, 16), severity: 'red', districtId: WEST, count: 9 },
      ],
    });
    const hours = v.city.alertTimeline;

    expect(hours).toHaveLength(24);
    expect(hours[0]).toEqual({
      hourStart: Date.UTC(2026, 3, 0, 17),
      label: '01:00',
      day: '2026-04-01',
      total: 4,
      bySeverity: { red: 0, orange: 0, yellow: 4, blue: 0 },
    });
    expect(hours[22]).toEqual({
      hourStart: Date.UTC(2026, 3, 1, 15),
      label: '23:00',
      day: '2026-04-01',
      total: 3,
      bySeverity: { red: 2, orange: 0, yellow: 0, blue: 1 },
    });
    expect(hours[23]).toMatchObject({
      label: '00:00',
      day: '2026-04-02',
      total: 3,
      bySeverity: { orange: 3 },
    });
    expect(hours.reduce((n, h) => n + h.total, 0)).toBe(10);
    // A district's timeline has its own rows only (the district-less one stays in the city's).
    expect(v.district(WEST).alertTimeline[22]!.bySeverity).toEqual({ red: 2, orange: 0, yellow: 0, blue: 0 });
    expect(v.district(EAST).alertTimeline[23]!.total).toBe(3);
  });
});

describe('computeVitals: scopes', () => {
  it('gives a district only its own figures', () => {
    const v = vitals({
      sensors: [
        detector('T-W', 'road-w'),
        detector('T-E', 'road-e', 'arterial', EAST),
        station('A-W'),
        station('A-E', EAST),
      ],
      values: {
        'T-W': { speed: 20, volume: 1000 },
        'T-E': { speed: 12, volume: 1000 },
        'A-W': { pm25: 80 },
        'A-E': { pm25: 30 },
      },
    });
    const east: CityVitals = v.district(EAST);

    expect(east.scope).toEqual({ kind: 'district', id: EAST });
    expect(east.sensors.total).toBe(2);
    expect(east.traffic.index.tpi).toBe(8);
    expect(east.traffic.topRoads.map((r) => r.roadId)).toEqual(['road-e']);
    expect(east.air.districts.map((d) => d.districtId)).toEqual([EAST]);
    expect(east.air.index).toMatchObject({ aqi: 43 });
    expect(v.city.traffic.topRoads.map((r) => r.roadId)).toEqual(['road-e', 'road-w']);
  });

  it('produces payloads the shared schema accepts', () => {
    const v = vitals({
      sensors: [detector('T-1', 'r'), station('A-1'), sensorOf('M-1', 'grid-event', 'manhole')],
      values: { 'T-1': { speed: 20 }, 'A-1': { pm25: 80 } },
      openAlerts: [alertOf('a1', 'red')],
      openOrders: [workOrderAt(NOW, { id: 'WO-1' })],
    });
    for (const payload of [v.city, ...v.districts])
      expect(() => CityVitalsSchema.parse(payload)).not.toThrow();
  });

  it('computes a synthetic 10,000-sensor city in one pass', () => {
    const sensors: Sensor[] = [];
    const values: Case['values'] = {};
    for (let i = 0; i < 10_000; i++) {
      const district = i % 2 === 0 ? WEST : EAST;
      const id = `S-${i}`;
      if (i % 5 === 0) {
        sensors.push(detector(id, `road-${i % 200}`, 'arterial', district));
        values[id] = { speed: 10 + (i % 30), volume: 500 + (i % 7) * 100 };
      } else if (i % 50 === 1) {
        sensors.push(station(id, district));
        values[id] = { pm25: 40 + (i % 60), o3: 90 };
      } else {
        sensors.push(
          sensorOf(id, 'grid-event', 'streetlight', { districtId: district, reportIntervalSec: 300 }),
        );
        if (i % 3 !== 0) values[id] = { lampOn: 1 };
      }
    }
    const openAlerts = Array.from({ length: 1000 }, (_, i) =>
      alertOf(`a-${i}`, SEVERITIES[i % 4]!, {
        subject: { type: 'sensor', id: `S-${i * 7}` },
        districtId: i % 2 === 0 ? WEST : EAST,
      }),
    );

    const v = vitals({ sensors, values, openAlerts });

    expect(v.city.sensors.total).toBe(10_000);
    expect(v.city.sensors.online).toBe(Object.keys(values).length);
    expect(v.city.traffic.index.detectors).toBe(2000);
    expect(v.city.traffic.topRoads).toHaveLength(10);
    expect(v.city.air.index!.stations).toBe(200);
    expect(v.city.alerts.open).toBe(1000);
    expect(v.district(WEST).sensors.total + v.district(EAST).sensors.total).toBe(10_000);
  });
});
