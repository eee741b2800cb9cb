import { METRICS, isMetricId } from '@shared/metrics';
import type { CityPackMeta } from '@shared/schemas/cityPack.schema';
import type { LngLat } from '@shared/schemas/common.schema';
import type { District, GridCell } from '@shared/schemas/geo.schema';
import type { Scope } from '@shared/schemas/live.schema';
import type { Sensor, SensorKind } from '@shared/schemas/sensor.schema';
import type { Worker } from '@shared/schemas/worker.schema';
import { pointInPolygon } from '../domain/geometry';
import type { KnownSensor } from '../domain/readingValidation';
import { inferSensorType } from '../domain/sensorInference';
import type { DomainEvents } from './events';
import type { CatalogRepository } from './ports';

const ALL_METRICS: ReadonlySet<string> = new Set(Object.keys(METRICS));

export interface SensorFilter {
  kind?: SensorKind | undefined;
  districtId?: string | undefined;
  gridCellId?: string | undefined;
}

/**
 * The city's territory and devices, held in memory for the hot path (every
 * reading looks up its sensor) and backed by the catalog repository.
 */
export class CatalogService {
  private meta: CityPackMeta | null = null;
  private districts = new Map<string, District>();
  private cells = new Map<string, GridCell>();
  private sensors = new Map<string, Sensor>();
  private known = new Map<string, KnownSensor>();
  private workers: Worker[] = [];
  private workersById = new Map<string, Worker>();
  private readonly cellBoxes = new Map<string, readonly [number, number, number, number]>();

  constructor(
    private readonly repo: CatalogRepository,
    private readonly events: DomainEvents,
    private readonly onError: (message: string, err: unknown) => void,
  ) {
    // A sensor registered on another node of a cluster (already stored there).
    events.on('sensor.registered', ({ sensor }) => this.index(sensor), { remoteOnly: true });
  }

  /** (Re)load everything from the repository. */
  async load(): Promise<void> {
    const [meta, districts, cells, sensors, workers] = await Promise.all([
      this.repo.cityMeta(),
      this.repo.listDistricts(),
      this.repo.listGridCells(),
      this.repo.listSensors(),
      this.repo.listWorkers(),
    ]);
    this.meta = meta;
    this.districts = new Map(districts.map((d) => [d.id, d]));
    this.cells = new Map(cells.map((c) => [c.id, c]));
    this.cellBoxes.clear();
    this.sensors = new Map();
    this.known = new Map();
    for (const s of sensors) this.index(s);
    this.workers = workers;
    this.workersById = new Map(workers.map((w) => [w.id, w]));
  }

  private index(sensor: Sensor): void {
    this.sensors.set(sensor.id, sensor);
    this.known.set(sensor.id, {
      id: sensor.id,
      metrics: sensor.autoRegistered ? ALL_METRICS : new Set(sensor.metrics.map((m) => m.metric)),
    });
  }

  cityMeta(): CityPackMeta | null {
    return this.meta;
  }

  /** For reading validation. Auto-registered sensors accept any catalog metric (they learn their metrics). */
  knownSensor(id: string): KnownSensor | undefined {
    return this.known.get(id);
  }

  sensor(id: string): Sensor | undefined {
    return this.sensors.get(id);
  }

  district(id: string): District | undefined {
    return this.districts.get(id);
  }

  gridCell(id: string): GridCell | undefined {
    return this.cells.get(id);
  }

  /** The grid cell containing a point (bounding boxes first, then the polygon), if any. */
  cellAt(point: LngLat): GridCell | undefined {
    for (const cell of this.cells.values()) {
      const [minLng, minLat, maxLng, maxLat] = this.cellBox(cell);
      const inBox = point[0] >= minLng && point[0] <= maxLng && point[1] >= minLat && point[1] <= maxLat;
      if (inBox && pointInPolygon(point, cell.polygon)) return cell;
    }
    return undefined;
  }

  private cellBox(cell: GridCell): readonly [number, number, number, number] {
    let box = this.cellBoxes.get(cell.id);
    if (!box) {
      const ring = cell.polygon[0] ?? [];
      const lngs = ring.map((p) => p[0]);
      const lats = ring.map((p) => p[1]);
      box = [Math.min(...lngs), Math.min(...lats), Math.max(...lngs), Math.max(...lats)];
      this.cellBoxes.set(cell.id, box);
    }
    return box;
  }

  listDistricts(): District[] {
    return [...this.districts.values()];
  }

  listGridCells(districtId?: string): GridCell[] {
    const all = [...this.cells.values()];
    return districtId ? all.filter((c) => c.districtId === districtId) : all;
  }

  listWorkers(): Worker[] {
    return this.workers;
  }

  /** A roster entry by id (every request of a grid worker looks theirs up). */
  worker(id: string): Worker | undefined {
    return this.workersById.get(id);
  }

  listSensors(filter: SensorFilter = {}): Sensor[] {
    const out: Sensor[] = [];
    for (const s of this.sensors.values()) {
      if (filter.kind && s.kind !== filter.kind) continue;
      if (filter.districtId && s.districtId !== filter.districtId) continue;
      if (filter.gridCellId && s.gridCellId !== filter.gridCellId) continue;
      out.push(s);
    }
    return out;
  }

  sensorsInScope(scope: Scope): Sensor[] {
    if (scope.kind === 'city') return [...this.sensors.values()];
    return this.listSensors(scope.kind === 'district' ? { districtId: scope.id } : { gridCellId: scope.id });
  }

  /** Does the scope name a district or cell that exists? */
  scopeExists(scope: Scope): boolean {
    if (scope.kind === 'city') return true;
    return scope.kind === 'district' ? this.districts.has(scope.id) : this.cells.has(scope.id);
  }

  /**
   * Register a sensor from its first reading (AUTO_REGISTER_SENSORS), or add
   * newly seen catalog metrics to an auto-registered one. Unplaced until an
   * engineer gives it a location.
   */
  registerFromReading(sensorId: string, metrics: readonly string[]): Sensor {
    const existing = this.sensors.get(sensorId);
    const catalogMetrics = metrics.filter(isMetricId);
    if (existing) {
      const have = new Set(existing.metrics.map((m) => m.metric));
      const added = catalogMetrics.filter((m) => !have.has(m));
      if (added.length === 0) return existing;
      const updated: Sensor = {
        ...existing,
        metrics: [...existing.metrics, ...added.map((m) => ({ metric: m, unit: METRICS[m].unit }))],
      };
      this.index(updated);
      this.persist(updated);
      return updated;
    }
    const { kind, subtype } = inferSensorType(catalogMetrics);
    const sensor: Sensor = {
      id: sensorId,
      kind,
      subtype,
      name: { zh: `自动注册 ${sensorId}`, en: `Auto-registered ${sensorId}` },
      metrics: catalogMetrics.map((m) => ({ metric: m, unit: METRICS[m].unit })),
      location: null,
      gridCellId: null,
      districtId: null,
      reportIntervalSec: 60,
      autoRegistered: true,
    };
    this.index(sensor);
    this.persist(sensor);
    this.events.emit('sensor.registered', { sensor });
    return sensor;
  }

  private persist(sensor: Sensor): void {
    this.repo
      .upsertSensor(sensor)
      .catch((err: unknown) => this.onError(`saving sensor ${sensor.id} failed`, err));
  }

  isAutoRegistered(id: string): boolean {
    return this.sensors.get(id)?.autoRegistered === true;
  }
}
