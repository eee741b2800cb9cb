import { AQI_POLLUTANTS, isConcentration, PollutantMeans, type AqiStandard } from '@shared/domain/aqi';
import { CASE_CATEGORIES } from '@shared/domain/caseCategories';
import {
  congestionState,
  detectorVolumeVehPerH,
  networkIndex,
  type NetworkSegment,
} from '@shared/domain/traffic';
import { OPEN_ALERT_STATES, SEVERITIES, type Alert, type Severity } from '@shared/schemas/alert.schema';
import type { I18nName } from '@shared/schemas/common.schema';
import { SENSOR_KINDS, type Sensor, type SensorKind } from '@shared/schemas/sensor.schema';
import {
  GRID_EVENT_SUBTYPES,
  onlineWindowMs,
  type AlertHour,
  type AqiFigure,
  type CityVitals,
  type CongestionLabel,
  type GridEventCategory,
  type GridEventSubtype,
  type RoadCongestion,
  type SeverityCounts,
  type TrafficIndex,
  type VitalsScope,
} from '@shared/schemas/vitals.schema';
import {
  OPEN_WORK_ORDER_STATES,
  type WorkOrder,
  type WorkOrderState,
} from '@shared/schemas/workOrder.schema';
import { shanghaiLocalIso } from '@shared/domain/shanghaiTime';

/**
 * 城市体征 — the wall's vital signs of the city and of each district, from what the server holds
 * in memory: the catalog, the newest values per sensor, open alerts and open cases, plus the
 * alert counts per hour the store grouped. Pure: the time comes in with the input.
 *
 * One pass over sensors, one over open alerts, one over open cases: each item is added to the
 * city's accumulator and to its district's, so the city and every district cost O(sensors +
 * open alerts + open cases) together.
 *
 * Decisions (see shared/schemas/vitals.schema.ts for the fields):
 * - Online: the newest reading within `onlineWindowMs(reportIntervalSec)`. Only online
 *   sensors' values enter the indices: a stale speed or PM2.5 is not today's traffic or air.
 * - Traffic (GB/T 33171): each fresh detector with a speed > 0 is a segment of its road,
 *   `road length / detectors on that road` long; its weight is vehicle-kilometres, its reported
 *   volume (veh/h) × that length, or the class's nominal volume ({@link detectorVolumeVehPerH}) when it reports
 *   no volume. `networkIndex` averages the delay ratios with those weights (scope TPI, and each
 *   road's TPI from its detectors in the scope). A road of unknown length counts 1 km per detector.
 *   TPI is shown to 0.1, truncated: its state is the exact value's, and the two always agree.
 * - Air (HJ 633, DEFAULT_AQI_STANDARD unless told): per pollutant the mean of the fresh
 *   stations' newest values, indexed as a real-time report (values read as 1-hour means; where
 *   a standard indexes only longer means — HJ 633—2012's particulates, US EPA's PM and CO — the
 *   same value stands in for them). A district's AQI is over its stations, the city's over all
 *   stations (the mean, as HJ 663 forms a city's figure; not the worst station). It is an
 *   instantaneous indicator: the rule engine keeps the rolling means alerts are judged on.
 * - Grid events: announced open alerts on grid-event sensors per family; those of the
 *   device-health rule kinds (offline, stuck, data quality) count as device faults instead.
 * - Alert timeline: 24 Asia/Shanghai hours ending with the current one. China has one offset
 *   (UTC+8, no daylight saving), so Shanghai hours start on UTC hours.
 */

const HOUR_MS = 3_600_000;
const TIMELINE_HOURS = 24;
const TOP_ROADS = 10;

/** Rule kinds that judge the device, not the city: their alerts are device faults. */
const DEVICE_HEALTH_RULE_KINDS: ReadonlySet<string> = new Set(['noData', 'stuck', 'dataQuality']);

const GRID_SUBTYPES: ReadonlySet<string> = new Set(GRID_EVENT_SUBTYPES);

const GRID_NAMES: Readonly<Record<GridEventSubtype, I18nName>> = Object.fromEntries(
  GRID_EVENT_SUBTYPES.map((subtype) => {
    const category = CASE_CATEGORIES.find((c) => c.sensorSubtypes.includes(subtype));
    return [subtype, category ? category.name : { zh: subtype, en: subtype }];
  }),
) as Record<GridEventSubtype, I18nName>;

/** Alerts raised in one hour with one severity in one district (null: no district), as the store groups them. */
export interface AlertHourCount {
  /** Start of the hour, epoch ms (a multiple of one hour). */
  hourStart: number;
  severity: Severity;
  districtId: string | null;
  count: number;
}

/** The newest values of a sensor, as LatestValues keeps them. */
export interface LatestView {
  observedAt: number;
  values: Readonly<Record<string, number>>;
}

export interface VitalsInput {
  /** Server time of the computation, epoch ms. */
  now: number;
  sensors: Iterable<Sensor>;
  /** Newest values of a sensor, if it ever reported. */
  latest: (sensorId: string) => LatestView | undefined;
  /** Sensor by id, for alerts that carry no `subtype` label. */
  sensor: (sensorId: string) => Sensor | undefined;
  /** Districts in display order. */
  districts: readonly { id: string; name: I18nName }[];
  /** Length of each road of the city pack, km. */
  roadLengthsKm: ReadonlyMap<string, number>;
  /** Accepted readings per second (the node's ingest counter). */
  readingsPerSec: number;
  openAlerts: Iterable<Alert>;
  openOrders: Iterable<WorkOrder>;
  /** Alert counts per hour of the timeline window ({@link timelineWindow}). */
  raisedPerHour: readonly AlertHourCount[];
  aqiStandard: AqiStandard;
}

export interface VitalsFigures {
  city: CityVitals;
  /** One per district of the input, in its order. */
  districts: CityVitals[];
}

/** The hours of the alert timeline at `now`: [from, to), 24 whole hours ending with the current one. */
export function timelineWindow(now: number): { from: number; to: number } {
  const to = Math.floor(now / HOUR_MS) * HOUR_MS + HOUR_MS;
  return { from: to - TIMELINE_HOURS * HOUR_MS, to };
}

interface RoadAcc {
  road: NonNullable<Sensor['road']>;
  segments: NetworkSegment[];
  speedSum: number;
}

interface GridAcc {
  sensors: number;
  openAlerts: number;
  bySeverity: SeverityCounts;
  deviceFaults: number;
}

/** What one scope (the city or a district) collects during the passes. */
interface Acc {
  scope: VitalsScope;
  total: number;
  online: number;
  byKind: Record<SensorKind, { total: number; online: number }>;
  segments: NetworkSegment[];
  roads: Map<string, RoadAcc>;
  air: PollutantMeans;
  stations: number;
  alertsOpen: number;
  alertsMuted: number;
  alertsBySeverity: SeverityCounts;
  ordersOpen: number;
  ordersByState: Partial<Record<WorkOrderState, number>>;
  overdue: number;
  grid: Record<GridEventSubtype, GridAcc>;
  /** Alerts per severity for each hour of the window, oldest first. */
  hours: SeverityCounts[];
}

const severityZero = (): SeverityCounts => ({ red: 0, orange: 0, yellow: 0, blue: 0 });

function newAcc(scope: VitalsScope): Acc {
  return {
    scope,
    total: 0,
    online: 0,
    byKind: Object.fromEntries(SENSOR_KINDS.map((k) => [k, { total: 0, online: 0 }])) as Acc['byKind'],
    segments: [],
    roads: new Map(),
    air: new PollutantMeans(),
    stations: 0,
    alertsOpen: 0,
    alertsMuted: 0,
    alertsBySeverity: severityZero(),
    ordersOpen: 0,
    ordersByState: {},
    overdue: 0,
    grid: Object.fromEntries(
      GRID_EVENT_SUBTYPES.map((s) => [
        s,
        { sensors: 0, openAlerts: 0, bySeverity: severityZero(), deviceFaults: 0 },
      ]),
    ) as Acc['grid'],
    hours: Array.from({ length: TIMELINE_HOURS }, severityZero),
  };
}

const round1 = (x: number) => Math.round(x * 10) / 10;
/**
 * TPI to one decimal, truncated: band edges are whole numbers, so the shown value stays in the
 * band of the exact one (7.96 shows 7.9 中度拥堵, never 8.0 beside 中度拥堵). The 1e-6 absorbs
 * float error (6.6 must not come out of 6.59999999).
 */
const truncate1 = (x: number) => Math.floor(x * 10 + 1e-6) / 10;

function labelOf(tpi: number): CongestionLabel {
  const s = congestionState(tpi)!;
  return { id: s.id, zh: s.zh, en: s.en, color: s.color };
}

/** Segments that count in `networkIndex`: a positive speed and a positive weight. */
function counts(segment: NetworkSegment): boolean {
  return (segment.speedKmh ?? 0) > 0 && (segment.volumeVehPerH ?? 0) * (segment.lengthKm ?? 0) > 0;
}

/** TPI (truncated to 0.1) of some segments, or null when none counts. */
function tpiOf(segments: readonly NetworkSegment[]): number | null {
  const index = networkIndex(segments);
  return index ? truncate1(index.tpi) : null;
}

function trafficIndexOf(acc: Acc): TrafficIndex {
  const tpi = tpiOf(acc.segments);
  return { tpi, state: tpi === null ? null : labelOf(tpi), detectors: acc.segments.filter(counts).length };
}

function topRoadsOf(acc: Acc): RoadCongestion[] {
  const rows: RoadCongestion[] = [];
  for (const [roadId, r] of acc.roads) {
    const tpi = tpiOf(r.segments);
    if (tpi === null) continue;
    const detectors = r.segments.filter(counts).length;
    rows.push({
      roadId,
      name: r.road.name,
      class: r.road.class,
      tpi,
      state: labelOf(tpi),
      speedKmh: round1(r.speedSum / r.segments.length),
      detectors,
    });
  }
  rows.sort((a, b) => b.tpi - a.tpi || a.speedKmh - b.speedKmh || (a.roadId < b.roadId ? -1 : 1));
  return rows.slice(0, TOP_ROADS);
}

function aqiOf(acc: Acc, standard: AqiStandard): AqiFigure | null {
  if (acc.stations === 0) return null;
  const report = acc.air.realtimeAqi(standard);
  if (!report) return null;
  return {
    aqi: report.aqi,
    level: report.level,
    category: { zh: report.category.zh, en: report.category.en },
    color: report.color,
    primaryPollutants: report.primaryPollutants,
    stations: acc.stations,
  };
}

/** `HH:00` and `YYYY-MM-DD` of an hour in Asia/Shanghai. */
function shanghaiHour(hourStart: number): { label: string; day: string } {
  const iso = shanghaiLocalIso(hourStart);
  return { label: `${iso.slice(11, 13)}:00`, day: iso.slice(0, 10) };
}

function timelineOf(acc: Acc, from: number): AlertHour[] {
  return acc.hours.map((bySeverity, i) => {
    const hourStart = from + i * HOUR_MS;
    let total = 0;
    for (const s of SEVERITIES) total += bySeverity[s];
    return { hourStart, ...shanghaiHour(hourStart), total, bySeverity };
  });
}

function finish(
  acc: Acc,
  input: VitalsInput,
  air: { index: AqiFigure | null; districts: CityVitals['air']['districts'] },
  from: number,
): CityVitals {
  const byState: Partial<Record<WorkOrderState, number>> = {};
  for (const s of OPEN_WORK_ORDER_STATES) if (acc.ordersByState[s]) byState[s] = acc.ordersByState[s];
  return {
    v: 'v1',
    scope: acc.scope,
    at: input.now,
    sensors: {
      total: acc.total,
      online: acc.online,
      onlinePct: acc.total > 0 ? round1((acc.online / acc.total) * 100) : null,
      byKind: acc.byKind,
    },
    readingsPerSec: Math.max(0, input.readingsPerSec),
    alerts: { open: acc.alertsOpen, bySeverity: acc.alertsBySeverity, muted: acc.alertsMuted },
    workOrders: { open: acc.ordersOpen, byState, overdue: acc.overdue },
    traffic: { index: trafficIndexOf(acc), topRoads: topRoadsOf(acc) },
    air: { standard: input.aqiStandard, ...air },
    gridEvents: GRID_EVENT_SUBTYPES.map((subtype): GridEventCategory => ({
      subtype,
      name: GRID_NAMES[subtype],
      ...acc.grid[subtype],
    })),
    alertTimeline: timelineOf(acc, from),
  };
}

/** The vitals of the city and of every district at `input.now`. */
export function computeVitals(input: VitalsInput): VitalsFigures {
  const { now } = input;
  const city = newAcc({ kind: 'city' });
  const byDistrict = new Map<string, Acc>();
  for (const d of input.districts) byDistrict.set(d.id, newAcc({ kind: 'district', id: d.id }));
  const accsOf = (districtId: string | null | undefined): Acc[] => {
    const d = districtId ? byDistrict.get(districtId) : undefined;
    return d ? [city, d] : [city];
  };

  const sensors = [...input.sensors];
  const detectorsOnRoad = new Map<string, number>();
  for (const s of sensors)
    if (s.kind === 'traffic' && s.road)
      detectorsOnRoad.set(s.road.id, (detectorsOnRoad.get(s.road.id) ?? 0) + 1);

  for (const s of sensors) {
    const accs = accsOf(s.districtId);
    const latest = input.latest(s.id);
    const online = latest !== undefined && now - latest.observedAt <= onlineWindowMs(s.reportIntervalSec);
    const grid =
      s.kind === 'grid-event' && GRID_SUBTYPES.has(s.subtype) ? (s.subtype as GridEventSubtype) : null;
    for (const acc of accs) {
      acc.total += 1;
      acc.byKind[s.kind].total += 1;
      if (online) {
        acc.online += 1;
        acc.byKind[s.kind].online += 1;
      }
      if (grid) acc.grid[grid].sensors += 1;
    }
    if (!online) continue;

    if (s.kind === 'traffic' && s.road) {
      const speed = latest.values['speed'];
      if (speed === undefined || !(speed > 0) || !Number.isFinite(speed)) continue;
      const onRoad = detectorsOnRoad.get(s.road.id) ?? 1;
      const lengthKm = (input.roadLengthsKm.get(s.road.id) ?? onRoad) / onRoad;
      const volume = latest.values['volume'];
      const segment: NetworkSegment = {
        speedKmh: speed,
        freeFlowKmh: s.road.freeFlowKmh,
        volumeVehPerH: detectorVolumeVehPerH(volume, s.road.class),
        lengthKm,
      };
      for (const acc of accs) {
        acc.segments.push(segment);
        let road = acc.roads.get(s.road.id);
        if (!road) acc.roads.set(s.road.id, (road = { road: s.road, segments: [], speedSum: 0 }));
        road.segments.push(segment);
        road.speedSum += speed;
      }
    } else if (s.kind === 'air') {
      let any = false;
      for (const p of AQI_POLLUTANTS) {
        const v = latest.values[p];
        if (!isConcentration(v)) continue;
        any = true;
        for (const acc of accs) acc.air.add(p, v);
      }
      if (any) for (const acc of accs) acc.stations += 1;
    }
  }

  for (const a of input.openAlerts) {
    if (!OPEN_ALERT_STATES.includes(a.state)) continue;
    const accs = accsOf(a.districtId);
    if (a.suppressed) {
      for (const acc of accs) acc.alertsMuted += 1;
      continue;
    }
    const subtype =
      a.labels?.['subtype'] ??
      (a.subject.type === 'sensor' ? input.sensor(a.subject.id)?.subtype : undefined);
    const grid = subtype !== undefined && GRID_SUBTYPES.has(subtype) ? (subtype as GridEventSubtype) : null;
    const fault = a.ruleKind !== undefined && DEVICE_HEALTH_RULE_KINDS.has(a.ruleKind);
    for (const acc of accs) {
      acc.alertsOpen += 1;
      acc.alertsBySeverity[a.severity] += 1;
      if (!grid) continue;
      const g = acc.grid[grid];
      if (fault) g.deviceFaults += 1;
      else {
        g.openAlerts += 1;
        g.bySeverity[a.severity] += 1;
      }
    }
  }

  for (const o of input.openOrders) {
    if (!OPEN_WORK_ORDER_STATES.includes(o.state)) continue;
    const overdue = o.overdueAt !== null || (o.dueAt !== null && o.dueAt <= now);
    for (const acc of accsOf(o.districtId)) {
      acc.ordersOpen += 1;
      acc.ordersByState[o.state] = (acc.ordersByState[o.state] ?? 0) + 1;
      if (overdue) acc.overdue += 1;
    }
  }

  const { from, to } = timelineWindow(now);
  for (const row of input.raisedPerHour) {
    if (row.hourStart < from || row.hourStart >= to || !(row.count > 0)) continue;
    const i = Math.floor((row.hourStart - from) / HOUR_MS);
    for (const acc of accsOf(row.districtId)) acc.hours[i]![row.severity] += row.count;
  }

  const airRows = input.districts.map((d) => ({
    districtId: d.id,
    name: d.name,
    aqi: aqiOf(byDistrict.get(d.id)!, input.aqiStandard),
  }));
  return {
    city: finish(city, input, { index: aqiOf(city, input.aqiStandard), districts: airRows }, from),
    districts: input.districts.map((d, i) =>
      finish(byDistrict.get(d.id)!, input, { index: airRows[i]!.aqi, districts: [airRows[i]!] }, from),
    ),
  };
}
