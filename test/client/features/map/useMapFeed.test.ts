import { createPinia, setActivePinia } from 'pinia';
import type { FeatureCollection } from 'geojson';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { effectScope, ref, type EffectScope } from 'vue';
import type { Alert } from '../../../../shared/schemas/alert.schema';
import type { Sensor } from '../../../../shared/schemas/sensor.schema';
import type { CellMode } from '../../../../client/src/features/map/liveFeatures';
import type { MapViewApi } from '../../../../client/src/features/map/mapView.types';
import { createThrottle, FEED_INTERVAL_MS, useMapFeed } from '../../../../client/src/features/map/useMapFeed';
import { useLiveStore } from '../../../../client/src/features/live/live.store';
import { useWorkOrdersStore } from '../../../../client/src/features/workOrders/workOrders.store';
import { useWorkerPositionsStore } from '../../../../client/src/features/workers/workerPositions.store';
import { alert, batch, reading, sensor, snapshot, T0 } from '../../live.fixtures';
import { workOrder } from '../workOrders/workOrders.fixtures';

const CELL = '330106001001001';

function placed(id: string, kind: Sensor['kind']): Sensor {
  return { ...sensor(id, kind), gridCellId: CELL };
}

function fakeApi() {
  return {
    setSource: vi.fn<MapViewApi['setSource']>(),
    setCellStatus: vi.fn<MapViewApi['setCellStatus']>(),
    setLayerGroup: vi.fn<MapViewApi['setLayerGroup']>(),
    focus: vi.fn<MapViewApi['focus']>(),
    fitCity: vi.fn<MapViewApi['fitCity']>(),
  } satisfies MapViewApi;
}

describe('createThrottle', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs on the next task, then at most once per interval however often it is asked', () => {
    const run = vi.fn();
    const throttle = createThrottle(run, 250);

    throttle.request();
    throttle.request();
    expect(run).not.toHaveBeenCalled();
    vi.advanceTimersByTime(0);
    expect(run).toHaveBeenCalledTimes(1);

    for (let i = 0; i < 40; i++) {
      throttle.request();
      vi.advanceTimersByTime(25);
    }
    vi.advanceTimersByTime(250);

    // 1 s of requests every 25 ms: one run per 250 ms.
    expect(run.mock.calls.length).toBeGreaterThanOrEqual(4);
    expect(run.mock.calls.length).toBeLessThanOrEqual(6);
  });

  it('runs nothing more once cancelled', () => {
    const run = vi.fn();
    const throttle = createThrottle(run, 250);

    throttle.request();
    throttle.cancel();
    vi.advanceTimersByTime(1_000);

    expect(run).not.toHaveBeenCalled();
  });
});

describe('useMapFeed', () => {
  let api: ReturnType<typeof fakeApi>;
  let scope: EffectScope;
  const cellMode = ref<CellMode>('alerts');
  const pinned = ref<readonly Alert[]>([]);

  beforeEach(() => {
    setActivePinia(createPinia());
    vi.useFakeTimers({ now: T0 });
    api = fakeApi();
    cellMode.value = 'alerts';
    pinned.value = [];
    scope = effectScope();
  });
  afterEach(() => {
    scope.stop();
    vi.useRealTimers();
  });

  function start(followScope = false): void {
    scope.run(() => useMapFeed(api, { cellMode, pinned, followScope }));
  }

  /** Let watchers and the feed's next run happen. */
  async function settle(ms = FEED_INTERVAL_MS): Promise<void> {
    await vi.advanceTimersByTimeAsync(ms);
  }

  const fed = (id: string) =>
    api.setSource.mock.calls.filter(([source]) => source === id).map(([, data]) => data as FeatureCollection);

  it('feeds every live layer from the stores', async () => {
    const live = useLiveStore();
    live.applySnapshot(
      snapshot({
        sensors: [placed('s1', 'grid-event'), placed('s2', 'traffic')],
        openAlerts: [
          alert('a1', { subject: { type: 'sensor', id: 's1' }, severity: 'red', gridCellId: CELL }),
        ],
      }),
    );
    useWorkOrdersStore().created(workOrder('wo-1', { assigneeId: 'W-1', state: 'accepted' }));
    useWorkerPositionsStore().moved({ workerId: 'W-1', location: [120.12, 30.22], at: T0 });
    start();
    await settle();

    expect(
      fed('sensors')
        .at(-1)
        ?.features.map((f) => f.properties),
    ).toEqual([
      { id: 's1', kind: 'grid-event', worst: 4 },
      { id: 's2', kind: 'traffic', worst: 0 },
    ]);
    expect(
      fed('alerts')
        .at(-1)
        ?.features.map((f) => f.properties),
    ).toEqual([{ id: 'a1', severity: 'red' }]);
    expect(api.setCellStatus).toHaveBeenLastCalledWith(new Map([[CELL, { severity: 'red' }]]), new Map());
    expect(
      fed('workers')
        .at(-1)
        ?.features.map((f) => f.properties),
    ).toEqual([{ id: 'W-1', dispatched: true }]);
    expect(
      fed('dispatch-lines')
        .at(-1)
        ?.features.map((f) => f.properties),
    ).toEqual([{ workerId: 'W-1', workOrderId: 'wo-1' }]);
  });

  it('feeds the map at most about four times a second during an alert storm', async () => {
    const live = useLiveStore();
    live.applySnapshot(snapshot({ sensors: [placed('s1', 'grid-event')], openAlerts: [] }));
    start();
    await settle();
    api.setSource.mockClear();

    for (let i = 0; i < 100; i++) {
      live.applyAlert(alert(`storm-${i}`, { subject: { type: 'sensor', id: 's1' }, location: [120, 30] }));
      await vi.advanceTimersByTimeAsync(10);
    }
    await settle();

    // 1 s of alerts every 10 ms.
    const alerts = fed('alerts');
    expect(alerts.length).toBeLessThanOrEqual(6);
    expect(alerts.at(-1)?.features).toHaveLength(100);
  });

  it('never rebuilds the sensors for readings, nor when an alert changes no sensor’s worst level', async () => {
    const live = useLiveStore();
    const a1 = alert('a1', { subject: { type: 'sensor', id: 's1' }, severity: 'orange' });
    live.applySnapshot(
      snapshot({ sensors: [placed('s1', 'grid-event'), placed('s2', 'grid-event')], openAlerts: [a1] }),
    );
    start();
    await settle();
    expect(fed('sensors')).toHaveLength(1);

    for (let i = 1; i <= 20; i++) {
      live.applyBatch(batch([reading('s1', T0 + i * 100, { tilt: i })]));
      await vi.advanceTimersByTimeAsync(100);
    }
    live.applyAlert({ ...a1, state: 'acknowledged', updatedAt: T0 + 5_000 });
    await settle();
    expect(fed('sensors')).toHaveLength(1);

    live.applyAlert(
      alert('a2', { subject: { type: 'sensor', id: 's2' }, severity: 'yellow', updatedAt: T0 + 6_000 }),
    );
    await settle();
    expect(fed('sensors')).toHaveLength(2);
    expect(
      fed('sensors')
        .at(-1)
        ?.features.map((f) => f.properties?.['worst']),
    ).toEqual([3, 2]);
  });

  it('colours cells by AQI as air readings come, sending only what changed', async () => {
    const live = useLiveStore();
    live.applySnapshot(snapshot({ sensors: [placed('aq1', 'air')], latest: [], openAlerts: [] }));
    start();
    await settle();
    cellMode.value = 'aqi';
    await settle();
    // No reading yet: nothing to colour.
    expect(api.setCellStatus).toHaveBeenLastCalledWith(new Map(), new Map());
    const before = api.setCellStatus.mock.calls.length;

    live.applyBatch(batch([reading('aq1', T0, { pm25: 300 })]));
    await settle();
    const [cells, districts] = api.setCellStatus.mock.calls.at(-1)!;
    expect(api.setCellStatus.mock.calls.length).toBe(before + 1);
    expect([...cells.keys()]).toEqual([CELL]);
    expect([...(districts?.keys() ?? [])]).toEqual(['330106']);

    live.applyBatch(batch([reading('aq1', T0 + 1_000, { pm25: 300 })]));
    await settle();
    expect(api.setCellStatus.mock.calls.length).toBe(before + 1);
  });

  it("lets a worker's position age out with no event", async () => {
    useLiveStore().applySnapshot(snapshot({ openAlerts: [] }));
    useWorkerPositionsStore().moved({ workerId: 'W-1', location: [120.12, 30.22], at: T0 });
    start();
    await settle();
    expect(fed('workers').at(-1)?.features).toHaveLength(1);

    await vi.advanceTimersByTimeAsync(16 * 60_000);

    expect(fed('workers').at(-1)?.features).toHaveLength(0);
  });

  it('draws a pinned alert even once it is resolved', async () => {
    useLiveStore().applySnapshot(snapshot({ openAlerts: [] }));
    start();
    await settle();

    pinned.value = [alert('gone', { state: 'resolved', location: [120.3, 30.3] })];
    await settle();

    expect(
      fed('alerts')
        .at(-1)
        ?.features.map((f) => f.properties?.['id']),
    ).toEqual(['gone']);
  });

  it('flies to the scope the wall follows when asked to', async () => {
    const live = useLiveStore();
    start(true);
    expect(api.focus).toHaveBeenLastCalledWith({ kind: 'city' });

    live.applySnapshot(snapshot({ scope: { kind: 'district', id: '330106' } }));
    await settle();

    expect(api.focus).toHaveBeenLastCalledWith({ kind: 'district', id: '330106' });
  });

  it('stops feeding when its scope ends', async () => {
    const live = useLiveStore();
    live.applySnapshot(snapshot({ openAlerts: [] }));
    start();
    await settle();
    const calls = api.setSource.mock.calls.length;

    scope.stop();
    live.applyAlert(alert('late', { location: [120, 30] }));
    await settle(60_000);

    expect(api.setSource.mock.calls.length).toBe(calls);
  });
});
