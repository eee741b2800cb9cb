/**
 * What the live layers show, built from the wall's stores. Pure: data in, GeoJSON (or cell colours)
 * out; the clock comes in as `now` (server time, epoch ms). See ./layers.ts for the feature
 * properties each source carries, and ./useMapFeed.ts for when each builder runs.
 *
 * Decisions:
 * - Only announced alerts count (not those muted by a silence or an inhibiting alert), as on the
 *   wall's counters: a maintenance window must not paint the map red.
 * - A cell's worst alert is the worst of its own (alerts on its sensors or on the cell) and of its
 *   district's (a district-wide alert concerns every cell of it).
 * - Index colours use only sensors that are online ({@link onlineWindowMs}): a stale value is not
 *   today's air or traffic. AQI (HJ 633, real-time report) is over the mean of the stations'
 *   newest values per pollutant, as the server's vitals form a district's figure; a cell with
 *   stations shows its own, every other cell its district's. Congestion (GB/T 33171) is the
 *   network index of a cell's detectors; cells without a detector stay clear (traffic is local).
 */
import type { Feature, FeatureCollection, LineString, Point } from 'geojson';
import {
  AQI_POLLUTANTS,
  DEFAULT_AQI_STANDARD,
  describeAqi,
  isConcentration,
  PollutantMeans,
  type AqiStandard,
} from '@shared/domain/aqi';
import {
  CONGESTION_STATES,
  detectorVolumeVehPerH,
  networkIndex,
  type NetworkSegment,
} from '@shared/domain/traffic';
import { OPEN_ALERT_STATES, type Alert, type Severity } from '@shared/schemas/alert.schema';
import type { I18nName, LngLat } from '@shared/schemas/common.schema';
import type { LatestReading } from '@shared/schemas/reading.schema';
import type { Sensor } from '@shared/schemas/sensor.schema';
import { onlineWindowMs } from '@shared/schemas/vitals.schema';
import type { WorkerPosition, WorkOrderState } from '@shared/schemas/workOrder.schema';
import { POSITION_MAX_AGE_MS } from '../workers/workerPositions.store';
import { dispatchLineFeatures, severityRank, type CellStatus } from './layers';

/** How the grid cells are coloured. */
export const CELL_MODES = ['alerts', 'aqi', 'congestion'] as const;
export type CellMode = (typeof CELL_MODES)[number];

/** Cell colours: per cell, and per district for the cells left out of `cells`. */
export interface CellColouring {
  cells: ReadonlyMap<string, CellStatus>;
  districts: ReadonlyMap<string, CellStatus>;
}

/** States of a case while its worker is on the way or on site: the worker counts as dispatched. */
export const DISPATCHED_STATES: readonly WorkOrderState[] = ['dispatched', 'accepted', 'handling'];

/** What the map needs of an open case. */
export interface CaseSite {
  id: string;
  state: WorkOrderState;
  /** Worker the case is dispatched to; null before dispatch. */
  assigneeId: string | null;
  /** Where the work is, [lng, lat]. */
  location: LngLat;
}

/** The alerts that count on the map: open and announced. */
function* counted(alerts: Iterable<Alert>): Iterable<Alert> {
  for (const a of alerts) if (OPEN_ALERT_STATES.includes(a.state) && !a.suppressed) yield a;
}

function worse(a: Severity | undefined, b: Severity): Severity {
  return a !== undefined && severityRank(a) >= severityRank(b) ? a : b;
}

/** The worst open, announced alert of each sensor that has one. */
export function worstBySensor(alerts: Iterable<Alert>): Map<string, Severity> {
  const worst = new Map<string, Severity>();
  for (const a of counted(alerts))
    if (a.subject.type === 'sensor') worst.set(a.subject.id, worse(worst.get(a.subject.id), a.severity));
  return worst;
}

/** Whether two maps hold the same entries (a rebuild would change nothing). */
export function sameEntries<V>(
  a: ReadonlyMap<string, V>,
  b: ReadonlyMap<string, V>,
  same: (x: V, y: V) => boolean = Object.is,
): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined || !same(v, w)) return false;
  }
  return true;
}

/** Whether two cell colourings paint the same. */
export function sameColouring(a: CellColouring, b: CellColouring): boolean {
  const same = (x: CellStatus, y: CellStatus) =>
    'color' in x ? 'color' in y && x.color === y.color : 'severity' in y && x.severity === y.severity;
  return sameEntries(a.cells, b.cells, same) && sameEntries(a.districts, b.districts, same);
}

/** The `sensors` features: every placed sensor with `worst` = rank of its worst open alert (0: none). */
export function sensorFeatures(
  sensors: Iterable<Sensor>,
  worst: ReadonlyMap<string, Severity>,
): FeatureCollection<Point> {
  const features: Feature<Point>[] = [];
  for (const s of sensors) {
    if (!s.location) continue;
    features.push({
      type: 'Feature',
      properties: { id: s.id, kind: s.kind, worst: severityRank(worst.get(s.id)) },
      geometry: { type: 'Point', coordinates: s.location },
    });
  }
  return { type: 'FeatureCollection', features };
}

/** Where an alert is drawn: its own location, else its sensor's; null when neither is known. */
export function alertSite(alert: Alert, sensors: ReadonlyMap<string, Sensor>): LngLat | null {
  if (alert.location) return alert.location;
  return alert.subject.type === 'sensor' ? (sensors.get(alert.subject.id)?.location ?? null) : null;
}

/**
 * The `alerts` features: open, announced alerts at their site, least severe first (drawn under the
 * more severe). `pinned` alerts are drawn whatever their state (the alert a drawer shows).
 */
export function alertFeatures(
  alerts: Iterable<Alert>,
  sensors: ReadonlyMap<string, Sensor>,
  pinned: readonly Alert[] = [],
): FeatureCollection<Point> {
  const chosen = new Map<string, Alert>();
  for (const a of counted(alerts)) chosen.set(a.id, a);
  for (const a of pinned) chosen.set(a.id, a);
  const placed: { alert: Alert; site: LngLat }[] = [];
  for (const alert of chosen.values()) {
    const site = alertSite(alert, sensors);
    if (site) placed.push({ alert, site });
  }
  placed.sort((x, y) => severityRank(x.alert.severity) - severityRank(y.alert.severity));
  return {
    type: 'FeatureCollection',
    features: placed.map(({ alert, site }) => ({
      type: 'Feature',
      properties: { id: alert.id, severity: alert.severity },
      geometry: { type: 'Point', coordinates: site },
    })),
  };
}

/** A grid code's first six digits are its district's code. */
const districtOfCell = (cellId: string) => cellId.slice(0, 6);

/** Cells and districts by their worst open, announced alert (see the module's decisions). */
export function cellsByWorstAlert(
  alerts: Iterable<Alert>,
  sensors: ReadonlyMap<string, Sensor>,
): CellColouring {
  const cells = new Map<string, Severity>();
  const districts = new Map<string, Severity>();
  for (const a of counted(alerts)) {
    if (a.subject.type === 'district') {
      districts.set(a.subject.id, worse(districts.get(a.subject.id), a.severity));
      continue;
    }
    const cell =
      a.gridCellId ??
      (a.subject.type === 'cell' ? a.subject.id : undefined) ??
      (a.subject.type === 'sensor' ? (sensors.get(a.subject.id)?.gridCellId ?? undefined) : undefined);
    if (cell) cells.set(cell, worse(cells.get(cell), a.severity));
  }
  const byCell = new Map<string, CellStatus>();
  for (const [cell, severity] of cells) {
    const district = districts.get(districtOfCell(cell));
    byCell.set(cell, { severity: district ? worse(district, severity) : severity });
  }
  const byDistrict = new Map<string, CellStatus>();
  for (const [id, severity] of districts) byDistrict.set(id, { severity });
  return { cells: byCell, districts: byDistrict };
}

/** The newest values of a sensor if it is online at `now`. */
function freshValues(
  sensor: Sensor,
  latestOf: (sensorId: string) => LatestReading | undefined,
  now: number,
): Readonly<Record<string, number>> | null {
  const latest = latestOf(sensor.id);
  if (!latest || latest.observedAt < now - onlineWindowMs(sensor.reportIntervalSec)) return null;
  return latest.values;
}

/** Add a fresh station's pollutant values to an area's means. */
function addStation(acc: PollutantMeans, values: Readonly<Record<string, number>>): void {
  for (const p of AQI_POLLUTANTS) {
    const v = values[p];
    if (isConcentration(v)) acc.add(p, v);
  }
}

/**
 * Cells and districts coloured by AQI from the online air stations among `sensors` (other kinds
 * are skipped): a cell with stations by its own, the rest through their district's.
 */
export function cellsByAqi(
  sensors: Iterable<Sensor>,
  latestOf: (sensorId: string) => LatestReading | undefined,
  now: number,
  standard: AqiStandard = DEFAULT_AQI_STANDARD,
): CellColouring {
  const cellAcc = new Map<string, PollutantMeans>();
  const districtAcc = new Map<string, PollutantMeans>();
  const accOf = (map: Map<string, PollutantMeans>, key: string) => {
    let acc = map.get(key);
    if (!acc) map.set(key, (acc = new PollutantMeans()));
    return acc;
  };
  for (const s of sensors) {
    if (s.kind !== 'air') continue;
    const values = freshValues(s, latestOf, now);
    if (!values) continue;
    if (s.gridCellId) addStation(accOf(cellAcc, s.gridCellId), values);
    const district = s.districtId ?? (s.gridCellId ? districtOfCell(s.gridCellId) : null);
    if (district) addStation(accOf(districtAcc, district), values);
  }
  const colours = (accs: Map<string, PollutantMeans>) => {
    const out = new Map<string, CellStatus>();
    for (const [id, acc] of accs) {
      const color = acc.realtimeAqi(standard)?.color;
      if (color) out.set(id, { color });
    }
    return out;
  };
  return { cells: colours(cellAcc), districts: colours(districtAcc) };
}

/**
 * Cells coloured by the GB/T 33171 congestion state of their online traffic detectors: each a
 * segment weighted by its reported volume (or its road class's nominal one); cells without a
 * detector with a speed stay clear.
 */
export function cellsByCongestion(
  sensors: Iterable<Sensor>,
  latestOf: (sensorId: string) => LatestReading | undefined,
  now: number,
): CellColouring {
  const segments = new Map<string, NetworkSegment[]>();
  for (const s of sensors) {
    if (s.kind !== 'traffic' || !s.road || !s.gridCellId) continue;
    const values = freshValues(s, latestOf, now);
    const speed = values?.['speed'];
    // A loop detector reports 0 both for an empty road and for a standstill: speed alone cannot tell.
    if (speed === undefined || !(speed > 0)) continue;
    const volume = values?.['volume'];
    const list = segments.get(s.gridCellId) ?? [];
    list.push({
      speedKmh: speed,
      freeFlowKmh: s.road.freeFlowKmh,
      volumeVehPerH: detectorVolumeVehPerH(volume, s.road.class),
      lengthKm: 1,
    });
    segments.set(s.gridCellId, list);
  }
  const cells = new Map<string, CellStatus>();
  for (const [cell, list] of segments) {
    const index = networkIndex(list);
    if (index) cells.set(cell, { color: index.state.color });
  }
  return { cells, districts: new Map() };
}

/** Positions reported within {@link POSITION_MAX_AGE_MS} of `now`. */
export function freshPositions(positions: Iterable<WorkerPosition>, now: number): WorkerPosition[] {
  const out: WorkerPosition[] = [];
  for (const p of positions) if (p.at >= now - POSITION_MAX_AGE_MS) out.push(p);
  return out;
}

/** Open cases whose worker is on the way or on site, by worker. */
function dispatchedCases(cases: Iterable<CaseSite>): Map<string, CaseSite[]> {
  const byWorker = new Map<string, CaseSite[]>();
  for (const c of cases) {
    if (!c.assigneeId || !DISPATCHED_STATES.includes(c.state)) continue;
    byWorker.set(c.assigneeId, [...(byWorker.get(c.assigneeId) ?? []), c]);
  }
  return byWorker;
}

/**
 * The `workers` and `dispatch-lines` features: each positioned worker (`dispatched` while they
 * hold a case in {@link DISPATCHED_STATES}) and a line from them to each such case's site.
 * `positions` should already be fresh ({@link freshPositions}).
 */
export function workerFeatures(
  positions: Iterable<WorkerPosition>,
  cases: Iterable<CaseSite>,
): { workers: FeatureCollection<Point>; lines: FeatureCollection<LineString> } {
  const byWorker = dispatchedCases(cases);
  const workers: Feature<Point>[] = [];
  const dispatches: { workerId: string; workOrderId: string; from: LngLat; to: LngLat }[] = [];
  for (const p of positions) {
    const held = byWorker.get(p.workerId) ?? [];
    workers.push({
      type: 'Feature',
      properties: { id: p.workerId, dispatched: held.length > 0 },
      geometry: { type: 'Point', coordinates: p.location },
    });
    for (const c of held)
      dispatches.push({ workerId: p.workerId, workOrderId: c.id, from: p.location, to: c.location });
  }
  return {
    workers: { type: 'FeatureCollection', features: workers },
    lines: dispatchLineFeatures(dispatches),
  };
}

/** One entry of an index colour's legend. */
export interface LegendEntry {
  color: string;
  name: I18nName;
}

/** Lowest AQI of each level (一级 … 六级). */
const AQI_LEVEL_FLOORS = [0, 51, 101, 151, 201, 301] as const;

/** The legend of an index colouring: AQI levels (HJ 633) or congestion states (GB/T 33171), best first. */
export function indexLegend(
  mode: Exclude<CellMode, 'alerts'>,
  standard: AqiStandard = DEFAULT_AQI_STANDARD,
): LegendEntry[] {
  if (mode === 'congestion')
    return CONGESTION_STATES.map((s) => ({ color: s.color, name: { zh: s.zh, en: s.en } }));
  return AQI_LEVEL_FLOORS.flatMap((aqi) => {
    const d = describeAqi(aqi, standard);
    return d ? [{ color: d.color, name: { zh: d.category.zh, en: d.category.en } }] : [];
  });
}
