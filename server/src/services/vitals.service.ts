import { DEFAULT_AQI_STANDARD, type AqiStandard } from '@shared/domain/aqi';
import { OPEN_ALERT_STATES, type Alert } from '@shared/schemas/alert.schema';
import type { LngLat } from '@shared/schemas/common.schema';
import type { Scope } from '@shared/schemas/live.schema';
import type { CityVitals, VitalsTrendPoint } from '@shared/schemas/vitals.schema';
import type { WorkOrder } from '@shared/schemas/workOrder.schema';
import { distanceM } from '../domain/geometry';
import { computeVitals, timelineWindow, type AlertHourCount, type VitalsFigures } from '../domain/vitals';
import type { CatalogService } from './catalog.service';
import type { DomainEvents } from './events';
import type { IngestCounters } from './ingestStats';
import type { LatestValues } from './latest.service';
import type { AlertRepository } from './ports';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export interface VitalsSettings {
  /** How often the vitals are computed and announced, ms (0: only when the caller ticks, as in virtual time). */
  pushMs: number;
  /** Standard of the AQI figures; default DEFAULT_AQI_STANDARD (HJ 633—2026). */
  aqiStandard?: AqiStandard;
}

export interface VitalsDeps {
  catalog: Pick<CatalogService, 'listSensors' | 'listDistricts' | 'sensor'>;
  latest: Pick<LatestValues, 'peek'>;
  counters: Pick<IngestCounters, 'ratePerSec'>;
  alerts: Pick<AlertRepository, 'listOpen' | 'raisedPerHour'>;
  /** Open cases (WorkOrderService keeps them in memory). */
  workOrders: { openOrders(): Iterable<WorkOrder> };
  events: DomainEvents;
  clock: () => number;
  /** The city pack's roads: their lengths weigh the traffic index. */
  roads: readonly { id: string; coordinates: readonly LngLat[] }[];
  settings: VitalsSettings;
  onError: (message: string, err: unknown) => void;
}

/** One scope's TPI/AQI history: a point per minute (the mean of that minute's computations), 24 h. */
class Trend {
  readonly points: VitalsTrendPoint[] = [];
  private minute = -1;
  private tpiSum = 0;
  private tpiN = 0;
  private aqiSum = 0;
  private aqiN = 0;

  /** Adds one computation's figures; true when the series changed (a minute closed or one aged out). */
  add(now: number, tpi: number | null, aqi: number | null): boolean {
    let changed = false;
    const minute = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    if (minute > this.minute) {
      if (this.minute >= 0) {
        this.points.push({
          t: this.minute,
          tpi: this.tpiN > 0 ? Math.round((this.tpiSum / this.tpiN) * 10) / 10 : null,
          aqi: this.aqiN > 0 ? Math.round(this.aqiSum / this.aqiN) : null,
        });
        changed = true;
      }
      this.minute = minute;
      this.tpiSum = this.tpiN = this.aqiSum = this.aqiN = 0;
    }
    if (tpi !== null) {
      this.tpiSum += tpi;
      this.tpiN += 1;
    }
    if (aqi !== null) {
      this.aqiSum += aqi;
      this.aqiN += 1;
    }
    while (this.points.length > 0 && this.points[0]!.t < now - DAY_MS) {
      this.points.shift();
      changed = true;
    }
    return changed;
  }
}

/** Great-circle length of a polyline, km. */
function polylineKm(coordinates: readonly LngLat[]): number {
  let m = 0;
  for (let i = 1; i < coordinates.length; i++) m += distanceM(coordinates[i - 1]!, coordinates[i]!);
  return m / 1000;
}

/**
 * 城市体征 — computes the wall's vital signs (domain/vitals.ts) every `pushMs` and announces them
 * as 'vitals.updated' (the broadcaster sends the city's to the city room and each district's to
 * its room). Works from memory: the catalog, LatestValues, the ingest counters, open cases from
 * WorkOrderService and a mirror of the open alerts kept from alert events (seeded once from the
 * store); the only query is the alert timeline's, and it runs only after an alert was raised or
 * changed severity, or when the hour turns.
 *
 * The TPI/AQI trend (a point per minute, 24 h) lives in memory and starts empty: rebuilding it
 * from the 1-minute rollups would replay a day of every detector and station at each start (at
 * 10,000 sensors, millions of rows), and rollups lag raw data by up to a minute anyway.
 */
export class VitalsService {
  /** Open alerts by id, mirrored from the store's events. */
  private readonly open = new Map<string, Alert>();
  private readonly roadLengthsKm: ReadonlyMap<string, number>;
  private readonly trends = new Map<string, Trend>();
  private last: VitalsFigures | null = null;
  private hourRows: readonly AlertHourCount[] = [];
  private hourRowsFrom = -1;
  private hourRowsDirty = true;
  private announced = false;
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly unsubscribe: Array<() => void> = [];
  /** Alerts an event told about while the mirror was being seeded (the event is newer). */
  private seeding: Set<string> | null = null;

  constructor(private readonly deps: VitalsDeps) {
    this.roadLengthsKm = new Map(deps.roads.map((r) => [r.id, polylineKm(r.coordinates)]));
  }

  /** Mirror the open alerts, compute the first vitals and start the timer. */
  async start(): Promise<void> {
    this.seeding = new Set();
    this.unsubscribe.push(
      // In a cluster the wall counts every node's alerts.
      this.deps.events.on('alert.raised', (e) => this.track(e.alert, true), { remote: true }),
      this.deps.events.on('alert.updated', (e) => this.track(e.alert, false), { remote: true }),
    );
    try {
      for (const a of await this.deps.alerts.listOpen())
        if (!this.seeding.has(a.id) && OPEN_ALERT_STATES.includes(a.state)) this.open.set(a.id, a);
    } finally {
      this.seeding = null;
    }
    await this.tick();
    const { pushMs } = this.deps.settings;
    if (pushMs > 0) {
      this.timer = setInterval(() => void this.tick(), pushMs);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const u of this.unsubscribe.splice(0)) u();
  }

  private track(alert: Alert, raised: boolean): void {
    this.seeding?.add(alert.id);
    const held = this.open.get(alert.id);
    if (raised || (held && held.severity !== alert.severity)) this.hourRowsDirty = true;
    if (OPEN_ALERT_STATES.includes(alert.state)) this.open.set(alert.id, alert);
    else this.open.delete(alert.id);
  }

  /**
   * Compute the vitals now and announce them. A tick that finds the previous one still waiting for
   * the store joins it instead of starting another.
   */
  tick(): Promise<void> {
    this.running ??= this.compute().finally(() => (this.running = null));
    return this.running;
  }

  private async compute(): Promise<void> {
    try {
      const { deps } = this;
      const now = deps.clock();
      const { from, to } = timelineWindow(now);
      if (this.hourRowsDirty || from !== this.hourRowsFrom) {
        // Cleared before the query: an alert raised meanwhile marks the rows stale again.
        this.hourRowsDirty = false;
        this.hourRowsFrom = from;
        try {
          this.hourRows = await deps.alerts.raisedPerHour(from, to);
        } catch (err) {
          this.hourRowsDirty = true;
          throw err;
        }
      }
      const figures = computeVitals({
        now,
        sensors: deps.catalog.listSensors(),
        latest: (id) => deps.latest.peek(id),
        sensor: (id) => deps.catalog.sensor(id),
        districts: deps.catalog.listDistricts(),
        roadLengthsKm: this.roadLengthsKm,
        readingsPerSec: deps.counters.ratePerSec(),
        openAlerts: this.open.values(),
        openOrders: deps.workOrders.openOrders(),
        raisedPerHour: this.hourRows,
        aqiStandard: deps.settings.aqiStandard ?? DEFAULT_AQI_STANDARD,
      });
      let trendChanged = false;
      for (const v of [figures.city, ...figures.districts]) {
        if (this.trendOf(v).add(now, v.traffic.index.tpi, v.air.index?.aqi ?? null)) trendChanged = true;
      }
      this.last = figures;
      // The trend travels when it changed (once a minute) and in the first announcement.
      const withTrend = trendChanged || !this.announced;
      this.announced = true;
      const out = (v: CityVitals) => (withTrend ? this.withTrend(v) : v);
      deps.events.emit('vitals.updated', { city: out(figures.city), districts: figures.districts.map(out) });
    } catch (err) {
      this.deps.onError('computing the vitals failed', err);
    }
  }

  private trendOf(v: CityVitals): Trend {
    const key = v.scope.kind === 'city' ? 'city' : v.scope.id;
    let trend = this.trends.get(key);
    if (!trend) this.trends.set(key, (trend = new Trend()));
    return trend;
  }

  private withTrend(v: CityVitals): CityVitals {
    return { ...v, trend: [...this.trendOf(v).points] };
  }

  /** The newest vitals of the city or a district, with the trend; undefined for a cell or before the first tick. */
  current(scope: Scope): CityVitals | undefined {
    if (!this.last || scope.kind === 'cell') return undefined;
    const v =
      scope.kind === 'city'
        ? this.last.city
        : this.last.districts.find((d) => d.scope.kind === 'district' && d.scope.id === scope.id);
    return v && this.withTrend(v);
  }
}
