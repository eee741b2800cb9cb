import type { Alert } from '@shared/schemas/alert.schema';
import type { CityPack, CityPackMeta } from '@shared/schemas/cityPack.schema';
import type { District, GridCell } from '@shared/schemas/geo.schema';
import type { HistoryPoint, HistoryResolution, LatestReading, Reading } from '@shared/schemas/reading.schema';
import type { Sensor } from '@shared/schemas/sensor.schema';
import type { Worker } from '@shared/schemas/worker.schema';

/**
 * Repository interfaces the services depend on. SQLite implements them today
 * (server/src/persistence/sqlite); a PostgreSQL implementation follows in the
 * scale-out issue. Reads are async so that a networked store fits.
 */

export interface CatalogRepository {
  /** Load (or refresh) the territory and devices of a city pack; auto-registered sensors are kept. */
  importCityPack(pack: CityPack): Promise<void>;
  cityMeta(): Promise<CityPackMeta | null>;
  listDistricts(): Promise<District[]>;
  listGridCells(): Promise<GridCell[]>;
  listSensors(): Promise<Sensor[]>;
  listWorkers(): Promise<Worker[]>;
  upsertSensor(sensor: Sensor): Promise<void>;
}

/**
 * Result of a durable write: the readings that were new (in input order) and
 * how many repeated a stored (sensor, observedAt). Downstream consumers see
 * only `inserted`, so a retransmitted reading is processed once.
 */
export interface WriteOutcome {
  inserted: Reading[];
  duplicates: number;
}

export interface ReadingStoreStats {
  /** Readings accepted but not yet committed. */
  queued: number;
  /** Rows written since start. */
  written: number;
  /** Duplicate rows ignored since start. */
  duplicates: number;
  flushes: number;
  lastFlushMs: number;
  failures: number;
}

export interface HistoryRange {
  sensorId: string;
  metric: string;
  from: number;
  to: number;
  resolution: HistoryResolution;
  /** Merge stored points into buckets of this width (ms); 0 keeps stored points as they are. */
  bucketMs: number;
}

/** A write the store could not commit (disk full, database busy, writer gone); nothing may be acknowledged. */
export class StoreWriteError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'StoreWriteError';
  }
}

export interface ReadingStore {
  /**
   * Queue readings for writing. Resolves once they are committed (durable),
   * rejects if the write failed; the caller acknowledges its producer only then.
   */
  write(readings: readonly Reading[]): Promise<WriteOutcome>;
  history(range: HistoryRange): Promise<HistoryPoint[]>;
  /** Newest stored reading of every sensor (used to warm the in-memory latest values on start). */
  latestPerSensor(): Promise<LatestReading[]>;
  stats(): ReadingStoreStats;
  /** Liveness of the store for /api/health. */
  health(): Promise<{ ok: boolean; detail: string }>;
  /** Commit what is queued and release resources. */
  close(): Promise<void>;
}

export interface AlertRepository {
  listOpen(): Promise<Alert[]>;
}
