import type { Config } from '../config';
import type {
  AlertRepository,
  AuditRepository,
  CatalogRepository,
  DeviceCredentialRepository,
  IncidentRepository,
  Open311Repository,
  PhotoRepository,
  ReadingStore,
  RuleRepository,
  RuleStateRepository,
  SessionRepository,
  SettingsRepository,
  SuppressionRepository,
  UserRepository,
  WorkerPositionRepository,
  WorkOrderRepository,
} from '../services/ports';
import { PgAlertRepository } from './postgres/alerts.repository';
import { PgAuditRepository } from './postgres/audit.repository';
import { PgCatalogRepository } from './postgres/catalog.repository';
import { migratePg, openPool } from './postgres/database';
import { PgDeviceCredentialRepository } from './postgres/device.repository';
import { PgSessionRepository, PgUserRepository } from './postgres/identity.repository';
import { PgIncidentRepository } from './postgres/incidents.repository';
import { PgOpen311Repository } from './postgres/open311.repository';
import { PgPhotoRepository } from './postgres/photos.repository';
import { PgReadingStore } from './postgres/readings.store';
import { PgRuleRepository, PgRuleStateRepository } from './postgres/rules.repository';
import { PgSettingsRepository, PgWorkerPositionRepository } from './postgres/settings.repository';
import { PgSuppressionRepository } from './postgres/suppression.repository';
import { PgWorkOrderRepository } from './postgres/workOrders.repository';
import { SqliteAlertRepository } from './sqlite/alerts.repository';
import { SqliteAuditRepository } from './sqlite/audit.repository';
import { SqliteCatalogRepository } from './sqlite/catalog.repository';
import { migrate, openDatabase } from './sqlite/database';
import { SqliteDeviceCredentialRepository } from './sqlite/device.repository';
import { SqliteSessionRepository, SqliteUserRepository } from './sqlite/identity.repository';
import { SqliteIncidentRepository } from './sqlite/incidents.repository';
import { SqliteOpen311Repository } from './sqlite/open311.repository';
import { SqlitePhotoRepository } from './sqlite/photos.repository';
import { SqliteReadingStore } from './sqlite/readings.store';
import { SqliteRuleRepository, SqliteRuleStateRepository } from './sqlite/rules.repository';
import { SqliteSettingsRepository, SqliteWorkerPositionRepository } from './sqlite/settings.repository';
import { SqliteSuppressionRepository } from './sqlite/suppression.repository';
import { SqliteWorkOrderRepository } from './sqlite/workOrders.repository';

/** Every repository the services use, from one store. */
export interface Stores {
  /** `sqlite` (one node, a file) or `postgresql` (any number of nodes, DATABASE_URL). */
  kind: 'sqlite' | 'postgresql';
  /** Where the data is, for logs (a file path, or the URL without its password). */
  location: string;
  catalog: CatalogRepository;
  readings: ReadingStore;
  users: UserRepository;
  sessions: SessionRepository;
  audit: AuditRepository;
  alerts: AlertRepository;
  suppression: SuppressionRepository;
  incidents: IncidentRepository;
  ruleState: RuleStateRepository;
  rules: RuleRepository;
  workOrders: WorkOrderRepository;
  photos: PhotoRepository;
  positions: WorkerPositionRepository;
  settings: SettingsRepository;
  open311: Open311Repository;
  devices: DeviceCredentialRepository;
  /** Migrations this start applied. */
  applied: number[];
  /** Close the reading store (committing what it accepted), then the connections. */
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Run retention on a timer (off in virtual time). */
  retentionEveryMs: number;
  /** Whether this node runs retention now (in a cluster, the leader alone; PostgreSQL only). */
  runsRetention?: () => boolean;
  retentionMs: { raw: number; '1m': number; '1h': number };
  onLog: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** Most readings in one committed batch, both stores. */
const MAX_BATCH = 5000;

/** Open the store the configuration names: PostgreSQL when DATABASE_URL is set, else the SQLite file. */
export async function openStores(config: Config, options: StoreOptions): Promise<Stores> {
  const batch = { flushMs: config.WRITE_FLUSH_MS, maxBatch: MAX_BATCH, onLog: options.onLog };
  if (config.DATABASE_URL) {
    const pool = openPool({ url: config.DATABASE_URL, max: config.PG_POOL_MAX }, (err) =>
      options.onLog('warn', `postgresql connection error: ${err.message}`),
    );
    const applied = await migratePg(pool);
    const readings = new PgReadingStore(pool, {
      ...batch,
      retentionEveryMs: options.retentionEveryMs,
      ...(options.runsRetention && { runsRetention: options.runsRetention }),
      rawRetentionMs: options.retentionMs.raw,
      rollup1mRetentionMs: options.retentionMs['1m'],
      rollup1hRetentionMs: options.retentionMs['1h'],
    });
    const url = new URL(config.DATABASE_URL);
    url.password = '';
    return {
      kind: 'postgresql',
      location: url.toString(),
      catalog: new PgCatalogRepository(pool),
      readings,
      users: new PgUserRepository(pool),
      sessions: new PgSessionRepository(pool),
      audit: new PgAuditRepository(pool),
      alerts: new PgAlertRepository(pool),
      suppression: new PgSuppressionRepository(pool),
      incidents: new PgIncidentRepository(pool),
      ruleState: new PgRuleStateRepository(pool),
      rules: new PgRuleRepository(pool),
      workOrders: new PgWorkOrderRepository(pool),
      photos: new PgPhotoRepository(pool),
      positions: new PgWorkerPositionRepository(pool),
      settings: new PgSettingsRepository(pool),
      open311: new PgOpen311Repository(pool),
      devices: new PgDeviceCredentialRepository(pool),
      applied,
      close: async () => {
        await readings.close();
        await pool.end();
      },
    };
  }
  const db = openDatabase(config.DATABASE_FILE, {
    synchronous: config.SQLITE_SYNCHRONOUS,
    busyTimeoutMs: config.SQLITE_BUSY_TIMEOUT_MS,
  });
  const applied = migrate(db);
  const readings = await SqliteReadingStore.open(db, {
    ...batch,
    file: config.DATABASE_FILE,
    synchronous: config.SQLITE_SYNCHRONOUS,
    rollupFlushMs: 5000,
    retentionEveryMs: options.retentionEveryMs,
    rawRetentionMs: options.retentionMs.raw,
    rollup1mRetentionMs: options.retentionMs['1m'],
    rollup1hRetentionMs: options.retentionMs['1h'],
    maxDatabaseBytes: Math.floor(config.DATABASE_MAX_MB * 1024 * 1024),
    busyTimeoutMs: config.SQLITE_BUSY_TIMEOUT_MS,
  });
  return {
    kind: 'sqlite',
    location: config.DATABASE_FILE,
    catalog: new SqliteCatalogRepository(db),
    readings,
    users: new SqliteUserRepository(db),
    sessions: new SqliteSessionRepository(db),
    audit: new SqliteAuditRepository(db),
    alerts: new SqliteAlertRepository(db),
    suppression: new SqliteSuppressionRepository(db),
    incidents: new SqliteIncidentRepository(db),
    ruleState: new SqliteRuleStateRepository(db),
    rules: new SqliteRuleRepository(db),
    workOrders: new SqliteWorkOrderRepository(db),
    photos: new SqlitePhotoRepository(db),
    positions: new SqliteWorkerPositionRepository(db),
    settings: new SqliteSettingsRepository(db),
    open311: new SqliteOpen311Repository(db),
    devices: new SqliteDeviceCredentialRepository(db),
    applied,
    close: async () => {
      await readings.close();
      db.close();
    },
  };
}
