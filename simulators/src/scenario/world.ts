import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import turfDistance from '@turf/distance';
import { lineString, point } from '@turf/helpers';
import nearestPointOnLine from '@turf/nearest-point-on-line';
import type { CityPack } from '@shared/schemas/cityPack.schema';
import type { LngLat } from '@shared/schemas/common.schema';
import type { GridCell } from '@shared/schemas/geo.schema';
import type { Sensor } from '@shared/schemas/sensor.schema';
import { hashString } from '../noise';
import type { ScenarioIssue } from './loadScenario';
import type { AreaSelector } from './scenario.schema';

/** A sensor as the generators see it: its catalog entry plus its reporting rhythm and noise key. */
export interface SimSensor {
  sensor: Sensor;
  /** Position in the pack's sensor list: ties at the same time are emitted in this order. */
  index: number;
  periodMs: number;
  /** Offset of its reports within the period (spreads sensors out; stable per id). */
  phaseMs: number;
  /** Noise key: hash of the id mixed with the seed. */
  key: number;
}

/** The first time after `t` (exclusive) at which the sensor reports: its reports fall on phase + k·period. */
export function firstReportAfter(sim: SimSensor, t: number): number {
  const at = sim.phaseMs + Math.floor((t - sim.phaseMs) / sim.periodMs) * sim.periodMs;
  return at > t ? at : at + sim.periodMs;
}

/** A detector's place along its road, km from the road's first vertex. */
export interface RoadPosition {
  sim: SimSensor;
  alongKm: number;
}

/**
 * The city a scenario runs in: the pack's sensors with their rhythm, and the lookups the
 * incident generators need (areas, roads, distances). Built once per run; read-only.
 */
export class World {
  readonly sensors: readonly SimSensor[];
  readonly byId: ReadonlyMap<string, SimSensor>;
  private readonly roads = new Map<string, RoadPosition[]>();
  private cellIndex: Map<string, GridCell> | undefined;
  private cellBoxes: Array<{ cell: GridCell; box: [number, number, number, number] }> | undefined;

  constructor(
    readonly pack: CityPack,
    readonly seed: number,
  ) {
    this.sensors = pack.sensors
      .filter((s) => !s.autoRegistered)
      .map((sensor, index) => {
        const periodMs = sensor.reportIntervalSec * 1000;
        const h = hashString(sensor.id);
        return { sensor, index, periodMs, phaseMs: h % periodMs, key: (h ^ seed) >>> 0 };
      });
    this.byId = new Map(this.sensors.map((s) => [s.sensor.id, s]));
  }

  /** Great-circle distance, km. */
  distanceKm(a: LngLat, b: LngLat): number {
    return turfDistance(point(a), point(b), { units: 'kilometers' });
  }

  /** Loop detectors of a road ordered along it (the road's vertex order is the direction of travel). */
  roadDetectors(roadId: string): readonly RoadPosition[] {
    let list = this.roads.get(roadId);
    if (list) return list;
    const road = this.pack.roads.find((r) => r.id === roadId);
    list = [];
    if (road) {
      const line = lineString(road.coordinates);
      for (const sim of this.sensors) {
        if (sim.sensor.road?.id !== roadId || !sim.sensor.location) continue;
        const near = nearestPointOnLine(line, point(sim.sensor.location), { units: 'kilometers' });
        list.push({ sim, alongKm: near.properties.location });
      }
      list.sort((a, b) => a.alongKm - b.alongKm || a.sim.index - b.sim.index);
    }
    this.roads.set(roadId, list);
    return list;
  }

  /** Length of a road, km (0 for an unknown road). */
  roadLengthKm(roadId: string): number {
    const road = this.pack.roads.find((r) => r.id === roadId);
    if (!road) return 0;
    let km = 0;
    for (let i = 1; i < road.coordinates.length; i++)
      km += this.distanceKm(road.coordinates[i - 1]!, road.coordinates[i]!);
    return km;
  }

  /** A grid cell by its 15-digit code. */
  gridCell(id: string): GridCell | undefined {
    this.cellIndex ??= new Map(this.pack.gridCells.map((c) => [c.id, c]));
    return this.cellIndex.get(id);
  }

  /** The grid cell containing a point (as the server finds it for a citizen's report), if any. */
  cellAt(point: LngLat): GridCell | undefined {
    this.cellBoxes ??= this.pack.gridCells.map((cell) => {
      const ring = cell.polygon[0] ?? [];
      const lngs = ring.map((p) => p[0]);
      const lats = ring.map((p) => p[1]);
      return { cell, box: [Math.min(...lngs), Math.min(...lats), Math.max(...lngs), Math.max(...lats)] };
    });
    for (const { cell, box } of this.cellBoxes) {
      if (point[0] < box[0] || point[0] > box[2] || point[1] < box[1] || point[1] > box[3]) continue;
      if (booleanPointInPolygon(point, { type: 'Polygon', coordinates: cell.polygon as LngLat[][] }))
        return cell;
    }
    return undefined;
  }

  districtCentroid(id: string): LngLat | null {
    return this.pack.districts.find((d) => d.id === id)?.centroid ?? null;
  }

  /**
   * Sensors an area selector names, in pack order. Unknown ids are reported as issues
   * under `path` (the selector's place in the scenario file) instead of being ignored.
   */
  select(area: AreaSelector, path: string, issues: ScenarioIssue[]): SimSensor[] {
    const check = (ids: readonly string[] | undefined, known: (id: string) => boolean, field: string) => {
      ids?.forEach((id, i) => {
        if (!known(id))
          issues.push({
            path: `${path}.${field}[${i}]`,
            message: `no ${field.replace(/s$/, '')} "${id}" in the city pack`,
          });
      });
    };
    check(area.sensors, (id) => this.byId.has(id), 'sensors');
    check(area.districts, (id) => this.pack.districts.some((d) => d.id === id), 'districts');
    check(area.cells, (id) => this.pack.gridCells.some((c) => c.id === id), 'cells');
    const sensors = area.sensors && new Set(area.sensors);
    const districts = area.districts && new Set(area.districts);
    const cells = area.cells && new Set(area.cells);
    return this.sensors.filter(({ sensor: s }) => {
      if (sensors && !sensors.has(s.id)) return false;
      if (districts && !(s.districtId && districts.has(s.districtId))) return false;
      if (cells && !(s.gridCellId && cells.has(s.gridCellId))) return false;
      if (area.kinds && !area.kinds.includes(s.kind)) return false;
      if (area.subtypes && !area.subtypes.includes(s.subtype)) return false;
      if (area.near && !(s.location && this.distanceKm(s.location, area.near.lngLat) <= area.near.radiusKm))
        return false;
      return true;
    });
  }
}
