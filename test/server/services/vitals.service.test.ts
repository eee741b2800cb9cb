import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Alert, Severity } from '../../../shared/schemas/alert.schema';
import type { District } from '../../../shared/schemas/geo.schema';
import type { Sensor } from '../../../shared/schemas/sensor.schema';
import type { CityVitals } from '../../../shared/schemas/vitals.schema';
import type { AlertHourCount } from '../../../server/src/domain/vitals';
import { DomainEvents } from '../../../server/src/services/events';
import { LatestValues } from '../../../server/src/services/latest.service';
import { VitalsService } from '../../../server/src/services/vitals.service';

const MINUTE = 60_000;
const HOUR = 3_600_000;
/** A whole minute (and hour) in 2026, 10:00 UTC. */
const T0 = Date.UTC(2026, 3, 1, 10);
const WEST = '330106';
const EAST = '330102';

const detector: Sensor = {
  id: 'T-1',
  kind: 'traffic',
  subtype: 'loop-detector',
  name: { zh: '检测器', en: 'Detector' },
  metrics: [{ metric: 'speed', unit: 'km/h' }],
  location: [120.15, 30.27],
  gridCellId: '330106001001001',
  districtId: WEST,
  reportIntervalSec: 20,
  autoRegistered: false,
  road: { id: 'road-a', name: { zh: '甲路', en: 'A Road' }, class: 'arterial', freeFlowKmh: 40 },
};

function alertOf(id: string, severity: Severity, over: Partial<Alert> = {}): Alert {
  return {
    id,
    ruleId: 'r-1',
    ruleVersion: 1,
    subject: { type: 'sensor', id: 'T-1' },
    severity,
    state: 'firing',
    title: { zh: '告警', en: 'Alert' },
    districtId: WEST,
    startsAt: T0,
    updatedAt: T0,
    ...over,
  };
}

function setUp(options: { pushMs?: number; open?: Alert[] } = {}) {
  let now = T0;
  const events = new DomainEvents((_type, err) => {
    throw err;
  });
  const latest = new LatestValues();
  const raisedPerHour = vi.fn(async (): Promise<AlertHourCount[]> => []);
  const onError = vi.fn();
  const service = new VitalsService({
    catalog: {
      listSensors: () => [detector],
      // Only ids and names are read.
      listDistricts: () =>
        [
          { id: WEST, name: { zh: '西湖区', en: 'Xihu' } },
          { id: EAST, name: { zh: '上城区', en: 'Shangcheng' } },
        ] as unknown as District[],
      sensor: (id) => (id === detector.id ? detector : undefined),
    },
    latest,
    counters: { ratePerSec: () => 7 },
    alerts: { listOpen: async () => options.open ?? [], raisedPerHour },
    workOrders: { openOrders: () => [] },
    events,
    clock: () => (options.pushMs ? Date.now() : now),
    roads: [
      {
        id: 'road-a',
        coordinates: [
          [120.1, 30.2],
          [120.11, 30.2],
        ],
      },
    ],
    settings: { pushMs: options.pushMs ?? 0 },
    onError,
  });
  const pushed: Array<{ city: CityVitals; districts: CityVitals[] }> = [];
  events.on('vitals.updated', (e) => pushed.push(e));
  return {
    service,
    events,
    pushed,
    raisedPerHour,
    onError,
    speed: (speed: number) =>
      latest.apply({ sensorId: 'T-1', observedAt: now, values: { speed, volume: 1000 } }),
    at: (t: number) => (now = t),
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('VitalsService', () => {
  it('announces the vitals once at start and then every pushMs until stopped', async () => {
    vi.useFakeTimers({ now: T0 });
    const { service, pushed, onError } = setUp({ pushMs: 2000 });

    await service.start();
    expect(pushed).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1999);
    expect(pushed).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(pushed).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(6000);
    expect(pushed).toHaveLength(5);
    expect(pushed.at(-1)!.city.at).toBe(T0 + 8000);

    service.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(pushed).toHaveLength(5);
    expect(onError).not.toHaveBeenCalled();
  });

  it('sends the city its vitals and each district its own', async () => {
    const { service, pushed, speed } = setUp();
    speed(20);
    await service.start();

    const { city, districts } = pushed[0]!;
    expect(city.scope).toEqual({ kind: 'city' });
    expect(city.traffic.index.tpi).toBe(4);
    expect(city.readingsPerSec).toBe(7);
    expect(districts.map((d) => d.scope)).toEqual([
      { kind: 'district', id: WEST },
      { kind: 'district', id: EAST },
    ]);
    expect(districts[0]!.traffic.index.tpi).toBe(4);
    expect(districts[1]!.traffic.index.tpi).toBeNull();
  });

  it('carries the trend in the first push, then only when a minute closes, each point its minute’s mean', async () => {
    const { service, pushed, speed, at } = setUp();
    speed(20); // TPI 4
    await service.start();
    expect(pushed[0]!.city.trend).toEqual([]);

    at(T0 + 20_000);
    await service.tick();
    speed(12); // TPI 8
    at(T0 + 40_000);
    await service.tick();
    expect(pushed[1]!.city.trend).toBeUndefined();
    expect(pushed[2]!.city.trend).toBeUndefined();

    at(T0 + MINUTE + 5_000);
    await service.tick();
    // (4 + 4 + 8) / 3 = 5.33 → 5.3; no station, no AQI.
    expect(pushed[3]!.city.trend).toEqual([{ t: T0, tpi: 5.3, aqi: null }]);
    expect(pushed[3]!.districts[0]!.trend).toEqual([{ t: T0, tpi: 5.3, aqi: null }]);
    expect(pushed[3]!.districts[1]!.trend).toEqual([{ t: T0, tpi: null, aqi: null }]);
  });

  it('keeps 24 hours of trend', async () => {
    const { service, speed, at } = setUp();
    speed(20);
    await service.start();
    for (let m = 1; m <= 24 * 60 + 30; m++) {
      at(T0 + m * MINUTE);
      await service.tick();
    }

    const trend = service.current({ kind: 'city' })!.trend!;
    expect(trend).toHaveLength(24 * 60);
    expect(trend[0]!.t).toBe(T0 + 30 * MINUTE);
    expect(trend.at(-1)!.t).toBe(T0 + (24 * 60 + 29) * MINUTE);
  });

  it('asks the store for the alert timeline only after an alert is raised or changes colour, or the hour turns', async () => {
    const { service, events, raisedPerHour, at } = setUp();
    await service.start();
    await service.tick();
    expect(raisedPerHour).toHaveBeenCalledTimes(1);
    expect(raisedPerHour).toHaveBeenLastCalledWith(T0 - 23 * HOUR, T0 + HOUR);

    events.emit('alert.raised', { alert: alertOf('a1', 'yellow') });
    await service.tick();
    await service.tick();
    expect(raisedPerHour).toHaveBeenCalledTimes(2);

    events.emit('alert.updated', { alert: alertOf('a1', 'yellow', { state: 'acknowledged' }) });
    await service.tick();
    expect(raisedPerHour).toHaveBeenCalledTimes(2);

    events.emit('alert.updated', { alert: alertOf('a1', 'red') });
    await service.tick();
    expect(raisedPerHour).toHaveBeenCalledTimes(3);

    at(T0 + HOUR);
    await service.tick();
    expect(raisedPerHour).toHaveBeenCalledTimes(4);
    expect(raisedPerHour).toHaveBeenLastCalledWith(T0 - 22 * HOUR, T0 + 2 * HOUR);
  });

  it('counts the open alerts of the store and follows them through their events', async () => {
    const { service, events, pushed } = setUp({
      open: [alertOf('a1', 'red'), alertOf('a0', 'blue', { state: 'closed' })],
    });
    await service.start();
    expect(pushed[0]!.city.alerts).toMatchObject({ open: 1, bySeverity: { red: 1, blue: 0 } });

    events.emit('alert.raised', { alert: alertOf('a2', 'orange', { districtId: EAST }) });
    events.emit('alert.updated', { alert: alertOf('a1', 'red', { state: 'resolved' }) });
    await service.tick();

    expect(pushed[1]!.city.alerts).toMatchObject({ open: 1, bySeverity: { red: 0, orange: 1 } });
    expect(pushed[1]!.districts[1]!.alerts.open).toBe(1);
  });

  it('answers the newest vitals of the city or a district with the trend, none for a cell', async () => {
    const { service, speed } = setUp();
    expect(service.current({ kind: 'city' })).toBeUndefined();
    speed(20);
    await service.start();

    expect(service.current({ kind: 'district', id: WEST })).toMatchObject({
      scope: { kind: 'district', id: WEST },
      traffic: { index: { tpi: 4 } },
      trend: [],
    });
    expect(service.current({ kind: 'cell', id: '330106001001001' })).toBeUndefined();
  });

  it('reports a failed computation and keeps going', async () => {
    const { service, pushed, raisedPerHour, onError, at } = setUp();
    raisedPerHour.mockRejectedValueOnce(new Error('database is locked'));
    await service.start();
    expect(pushed).toHaveLength(0);
    expect(onError).toHaveBeenCalledWith('computing the vitals failed', expect.any(Error));

    at(T0 + 2000);
    await service.tick();
    expect(pushed).toHaveLength(1);
    // The failed query is asked again, not taken as an empty hour.
    expect(raisedPerHour).toHaveBeenCalledTimes(2);
  });
});
