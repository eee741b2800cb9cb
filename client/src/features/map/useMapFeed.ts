import { onScopeDispose, toValue, watch, type MaybeRefOrGetter } from 'vue';
import type { Alert, Severity } from '@shared/schemas/alert.schema';
import type { Sensor } from '@shared/schemas/sensor.schema';
import { useLiveStore } from '../live/live.store';
import { useWorkOrdersStore } from '../workOrders/workOrders.store';
import { useWorkerPositionsStore } from '../workers/workerPositions.store';
import { LIVE_SOURCES } from './layers';
import {
  alertFeatures,
  cellsByAqi,
  cellsByCongestion,
  cellsByWorstAlert,
  freshPositions,
  sameColouring,
  sameEntries,
  sensorFeatures,
  workerFeatures,
  worstBySensor,
  type CellColouring,
  type CellMode,
} from './liveFeatures';
import type { MapViewApi } from './mapView.types';

/** Least time between two feeds of the map, ms (~4 Hz: the map re-tiles a source on every update). */
export const FEED_INTERVAL_MS = 250;
/**
 * How often positions and index colours are looked at again with nothing pushed, ms: a position
 * ages out and a silent sensor goes offline without any event saying so.
 */
export const FEED_REFRESH_MS = 30_000;

/**
 * Runs `run` at most once per `intervalMs`: the first request of a quiet period runs on the next
 * task (so one store update that touches several refs is fed once), later ones are coalesced into
 * one run when the interval is up.
 */
export interface Throttle {
  request(): void;
  cancel(): void;
}

export function createThrottle(run: () => void, intervalMs: number, now: () => number = Date.now): Throttle {
  let last = -Infinity;
  let timer: ReturnType<typeof setTimeout> | null = null;
  return {
    request() {
      if (timer !== null) return;
      timer = setTimeout(
        () => {
          timer = null;
          last = now();
          run();
        },
        Math.max(0, last + intervalMs - now()),
      );
    },
    cancel() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}

/** What one feed rebuilds. */
type Part = 'sensors' | 'alerts' | 'cells' | 'workers';

export interface MapFeedOptions {
  /** How grid cells are coloured. */
  cellMode: MaybeRefOrGetter<CellMode>;
  /** Alerts drawn whatever their state (the one a drawer shows). */
  pinned?: MaybeRefOrGetter<readonly Alert[]>;
  /** Fly to the followed scope (district, cell, city) whenever it changes. */
  followScope?: boolean;
}

/**
 * Feed a map's live layers from the wall's stores (live data, work orders, worker positions), at
 * most every {@link FEED_INTERVAL_MS}, rebuilding only what changed: sensors (10,000 on a wall)
 * when the sensor set or some sensor's worst alert changes, never for a reading; cells when
 * alerts change, or, coloured by an index, when readings come, and only sent when some colour
 * changed. Call it in a component's setup (or an effect scope); it stops with it.
 */
export function useMapFeed(api: MapViewApi, options: MapFeedOptions): void {
  const live = useLiveStore();
  const orders = useWorkOrdersStore();
  const positions = useWorkerPositionsStore();

  const dirty = new Set<Part>();
  // What was last sent, to skip sending the same again.
  let sentSensors: ReadonlyMap<string, Sensor> | null = null;
  let sentWorst: ReadonlyMap<string, Severity> = new Map();
  let sentCells: CellColouring | null = null;
  /** Air stations and traffic detectors of the scope: all an index colour needs to look at. */
  let indexSensors: Sensor[] = [];
  let indexSensorsOf: ReadonlyMap<string, Sensor> | null = null;

  function feedSensors(): void {
    const worst = worstBySensor(live.openAlertsById.values());
    if (live.sensorsById === sentSensors && sameEntries(worst, sentWorst)) return;
    sentSensors = live.sensorsById;
    sentWorst = worst;
    api.setSource(LIVE_SOURCES.sensors, sensorFeatures(live.sensorsById.values(), worst));
  }

  function feedAlerts(): void {
    const pinned = toValue(options.pinned) ?? [];
    api.setSource(LIVE_SOURCES.alerts, alertFeatures(live.openAlertsById.values(), live.sensorsById, pinned));
  }

  function cellColouring(mode: CellMode): CellColouring {
    if (mode === 'alerts') return cellsByWorstAlert(live.openAlertsById.values(), live.sensorsById);
    if (indexSensorsOf !== live.sensorsById) {
      indexSensorsOf = live.sensorsById;
      indexSensors = [...live.sensorsById.values()].filter((s) => s.kind === 'air' || s.kind === 'traffic');
    }
    return mode === 'aqi'
      ? cellsByAqi(indexSensors, live.latestOf, live.serverNow())
      : cellsByCongestion(indexSensors, live.latestOf, live.serverNow());
  }

  function feedCells(): void {
    const next = cellColouring(toValue(options.cellMode));
    if (sentCells && sameColouring(next, sentCells)) return;
    sentCells = next;
    api.setCellStatus(next.cells, next.districts);
  }

  function feedWorkers(): void {
    const now = live.serverNow();
    positions.prune(now);
    const { workers, lines } = workerFeatures(
      freshPositions(positions.byWorker.values(), now),
      orders.byId.values(),
    );
    api.setSource(LIVE_SOURCES.workers, workers);
    api.setSource(LIVE_SOURCES.dispatchLines, lines);
  }

  const FEEDS: Record<Part, () => void> = {
    sensors: feedSensors,
    alerts: feedAlerts,
    cells: feedCells,
    workers: feedWorkers,
  };

  const throttle = createThrottle(() => {
    const parts = [...dirty];
    dirty.clear();
    for (const part of parts) FEEDS[part]();
  }, FEED_INTERVAL_MS);

  function mark(...parts: Part[]): void {
    for (const p of parts) dirty.add(p);
    throttle.request();
  }

  const byAlerts = (): CellMode => toValue(options.cellMode);
  watch(
    () => live.sensorsById,
    () => mark('sensors', 'alerts', 'cells'),
  );
  watch(
    () => live.openAlertsById,
    () => (byAlerts() === 'alerts' ? mark('sensors', 'alerts', 'cells') : mark('sensors', 'alerts')),
  );
  watch(
    () => live.latestRevision,
    () => {
      if (byAlerts() !== 'alerts') mark('cells');
    },
  );
  watch(
    () => toValue(options.cellMode),
    () => mark('cells'),
  );
  watch(
    () => toValue(options.pinned),
    () => mark('alerts'),
  );
  watch([() => positions.byWorker, () => orders.byId], () => mark('workers'));
  if (options.followScope)
    watch(
      () => live.scope,
      (scope) => api.focus(scope),
      { immediate: true },
    );

  const refresh = setInterval(() => mark('workers', 'cells'), FEED_REFRESH_MS);
  mark('sensors', 'alerts', 'cells', 'workers');

  onScopeDispose(() => {
    throttle.cancel();
    clearInterval(refresh);
  });
}
