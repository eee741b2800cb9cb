import type { Alert } from '@shared/schemas/alert.schema';
import type { LiveReading, LiveStats, ReadingsBatch, Scope, Snapshot } from '@shared/schemas/live.schema';
import type { Sensor, SensorKind } from '@shared/schemas/sensor.schema';

/** 2026-11-21T08:00:00Z = 16:00:00 in Asia/Shanghai. */
export const T0 = Date.UTC(2026, 10, 21, 8, 0, 0);

const SUBTYPE: Record<SensorKind, Sensor['subtype']> = {
  traffic: 'loop-detector',
  air: 'aq-station',
  weather: 'weather-station',
  'grid-event': 'manhole',
};

export function sensor(id: string, kind: SensorKind, districtId = '330106'): Sensor {
  return {
    id,
    kind,
    subtype: SUBTYPE[kind],
    name: { zh: `传感器${id}`, en: `Sensor ${id}` },
    metrics: [{ metric: 'speed', unit: 'km/h' }],
    location: [120.1, 30.2],
    gridCellId: null,
    districtId,
    reportIntervalSec: 60,
    autoRegistered: false,
  };
}

export function stats(overrides: Partial<LiveStats> = {}): LiveStats {
  return {
    serverTime: T0,
    connections: 3,
    readingsPerSec: 120.5,
    accepted: 1000,
    acceptedByKind: { traffic: 600, air: 200, weather: 150, 'grid-event': 50 },
    rejected: 7,
    lastObservedAt: T0 - 1000,
    simulated: false,
    ...overrides,
  };
}

export function alert(id: string, overrides: Partial<Alert> = {}): Alert {
  return {
    id,
    ruleId: 'rule-1',
    ruleVersion: 1,
    subject: { type: 'sensor', id: 's1' },
    severity: 'orange',
    state: 'firing',
    title: { zh: '告警', en: 'Alert' },
    startsAt: T0 - 60_000,
    updatedAt: T0 - 60_000,
    ...overrides,
  };
}

export function snapshot(overrides: Partial<Snapshot> = {}): Snapshot {
  return {
    v: 'v1',
    scope: { kind: 'city' },
    serverTime: T0,
    sensors: [
      sensor('t1', 'traffic'),
      sensor('a1', 'air'),
      sensor('w1', 'weather'),
      sensor('g1', 'grid-event'),
    ],
    latest: [
      { sensorId: 't1', observedAt: T0 - 10_000, values: { speed: 40, volume: 900 } },
      { sensorId: 'a1', observedAt: T0 - 300_000, values: { pm25: 35 } },
    ],
    openAlerts: [alert('al1')],
    openIncidents: [],
    stats: stats(),
    ...overrides,
  };
}

export function reading(sensorId: string, observedAt: number, values: Record<string, number>): LiveReading {
  return { sensorId, observedAt, values };
}

export function batch(items: LiveReading[], scope: Scope = { kind: 'city' }): ReadingsBatch {
  const room = scope.kind === 'city' ? 'city' : `${scope.kind}:${scope.id}`;
  return { v: 'v1', room, items, received: items.length };
}
