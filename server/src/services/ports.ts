import type { Alert, AlertStatsRow } from '@shared/schemas/alert.schema';
import type { AuditEntry } from '@shared/schemas/audit.schema';
import type { User } from '@shared/schemas/auth.schema';
import type { DeviceCredential } from '@shared/schemas/device.schema';
import type { CityPack, CityPackMeta } from '@shared/schemas/cityPack.schema';
import type { District, GridCell } from '@shared/schemas/geo.schema';
import type { HistoryPoint, HistoryResolution, LatestReading, Reading } from '@shared/schemas/reading.schema';
import type { Sensor } from '@shared/schemas/sensor.schema';
import type { Worker } from '@shared/schemas/worker.schema';
import type { ChainHead } from '../domain/auditChain';
import type { AlertHourCount } from '../domain/vitals';
import type { DerivedState } from '../domain/rules/derived';
import type { SubjectSnapshot } from '../domain/rules/engine';
import type { Rule } from '@shared/schemas/rule.schema';
import type { Incident } from '@shared/schemas/incident.schema';
import type { Inhibition, Silence } from '@shared/schemas/silence.schema';
import type { Photo, WorkerPosition, WorkOrder } from '@shared/schemas/workOrder.schema';

/**
 * Repository interfaces the services depend on. SQLite (server/src/persistence/sqlite, one
 * node) and PostgreSQL (server/src/persistence/postgres, any number of nodes) implement them;
 * persistence/stores.ts picks one from the configuration.
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

/** Why the store cannot write right now: set by a failed commit, cleared by the next one that succeeds. */
export interface StoreFailure {
  /** SQLite's code, e.g. SQLITE_FULL, SQLITE_BUSY, SQLITE_IOERR_WRITE. */
  code: string;
  message: string;
  /** First failure of this spell, epoch ms. */
  since: number;
  /** Failed batches in this spell. */
  failures: number;
}

export interface ReadingStoreStats {
  /** Readings accepted but not yet committed. */
  queued: number;
  /** The most readings ever queued at once since start (the write queue's high-water mark). */
  queuedPeak: number;
  /** Rows written since start. */
  written: number;
  /** Duplicate rows ignored since start. */
  duplicates: number;
  flushes: number;
  lastFlushMs: number;
  failures: number;
  /** Set while writes fail (disk full, database busy); null when the last write committed. */
  failing: StoreFailure | null;
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

/** Stored raw readings of some sensors over a time range (backtests replay them). */
export interface RawReadingScan {
  sensorIds: readonly string[];
  /** Start, epoch ms, inclusive. */
  from: number;
  /** End, epoch ms, exclusive. */
  to: number;
  /** Read at most this many readings; the scan then ends early and says where. */
  maxReadings: number;
}

/** A page of a raw scan: readings ordered by observedAt, then sensor id. */
export interface RawReadingPage {
  readings: Reading[];
  /**
   * Set on the last page when more than `maxReadings` readings matched: the pages hold every
   * reading before this time (epoch ms) and none from it on.
   */
  truncatedAt?: number;
}

/** An alert changed in the store since the copy a write was based on (another node wrote it). */
export class AlertChangedError extends Error {
  constructor(readonly alertId: string) {
    super(`alert ${alertId} changed meanwhile`);
    this.name = 'AlertChangedError';
  }
}

/** A write the store could not commit (disk full, database busy, writer gone); nothing may be acknowledged. */
export class StoreWriteError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** When producers may try again, seconds (HTTP Retry-After). */
    readonly retryAfterSec = 2,
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
  /**
   * Stored raw readings of `sensorIds` in [from, to), in time order, a page at a time (each
   * page is a few primary-key range scans; the connection is free between pages). Readings
   * older than the raw retention are gone: callers check the range against it.
   */
  scanRaw(scan: RawReadingScan): AsyncIterable<RawReadingPage>;
  /** Newest stored reading of every sensor (used to warm the in-memory latest values on start). */
  latestPerSensor(): Promise<LatestReading[]>;
  /**
   * Write rollups a store holds in memory (SQLite keeps open buckets in its writer thread);
   * resolves at once for a store whose rollups are committed with the readings (PostgreSQL).
   */
  flushRollups(): Promise<void>;
  stats(): ReadingStoreStats;
  /** Liveness of the store for /api/health. */
  health(): Promise<{ ok: boolean; detail: string }>;
  /** Commit what is queued and release resources. */
  close(): Promise<void>;
}

/** Filters of an alert history query; every field optional, combined with AND. */
export interface AlertFilter {
  /** Alerts that started at or after this time, epoch ms. */
  from?: number;
  /** Alerts that started strictly before this time, epoch ms. */
  to?: number;
  severities?: readonly string[];
  states?: readonly string[];
  ruleId?: string;
  districtIds?: readonly string[];
  gridCellId?: string;
  subjectId?: string;
  incidentId?: string;
  /** Only muted (true) or only announced (false) alerts. */
  suppressed?: boolean;
  limit: number;
  offset: number;
}

export interface AlertEventRecord {
  alertId: string;
  at: number;
  /** raised, firing, severity, flapping, acknowledged, escalated, resolved, closed, linked, suppressed… */
  type: string;
  /** User id or `system`. */
  actor: string;
  data?: Record<string, unknown>;
}

export interface AlertRepository {
  listOpen(): Promise<Alert[]>;
  /** The open alert of a (rule, subject), if any. */
  findOpen(ruleId: string, subjectType: string, subjectId: string): Promise<Alert | null>;
  find(id: string): Promise<Alert | null>;
  /**
   * Whether an alert of this (rule, subject) whose condition started at `startsAt` is stored,
   * in any state: the same breach, when readings are judged again after a restart.
   */
  hasStarted(ruleId: string, subjectType: string, subjectId: string, startsAt: number): Promise<boolean>;
  /**
   * Insert a new open alert unless one is already open for its (rule, subject): the store's
   * unique index decides, so concurrent writers cannot duplicate. Returns the alert that is
   * open afterwards and whether it is the one passed in.
   */
  insertOpen(alert: Alert, events: readonly AlertEventRecord[]): Promise<{ alert: Alert; inserted: boolean }>;
  /**
   * Replace a stored alert (matched by id) and append its events, atomically. With `previous`,
   * only if the stored document is still exactly that one (compare-and-set: two nodes changing
   * one alert never overwrite each other); else nothing is written and AlertChangedError is thrown.
   */
  update(alert: Alert, events: readonly AlertEventRecord[], previous?: Alert): Promise<void>;
  query(filter: AlertFilter): Promise<{ items: Alert[]; total: number }>;
  events(alertId: string): Promise<AlertEventRecord[]>;
  /** Counts and MTTA/MTTR per period of `periodMs`, periods aligned to UTC + `offsetMs`. */
  stats(filter: AlertStatsFilter): Promise<AlertStatsRow[]>;
  /**
   * Alerts whose condition started in [from, to), counted per UTC hour (an Asia/Shanghai hour:
   * UTC+8 has whole hours), severity and district: one range scan of the `starts_at` index.
   */
  raisedPerHour(from: number, to: number): Promise<AlertHourCount[]>;
}

export interface AlertStatsFilter {
  from: number;
  to: number;
  periodMs: number;
  offsetMs: number;
  districtIds?: readonly string[];
  ruleId?: string;
}

/** Silences and inhibition rules (small sets: loaded whole). */
export interface SuppressionRepository {
  /** Every silence ever made (expired ones too), without the computed state. */
  listSilences(): Promise<Array<Omit<Silence, 'state'>>>;
  saveSilence(silence: Omit<Silence, 'state'>): Promise<void>;
  countInhibitions(): Promise<number>;
  listInhibitions(): Promise<Inhibition[]>;
  saveInhibition(rule: Inhibition): Promise<void>;
  deleteInhibition(id: string, at: number): Promise<void>;
}

export interface IncidentFilter {
  state?: string;
  from?: number;
  to?: number;
  districtIds?: readonly string[];
  limit: number;
  offset: number;
}

export interface IncidentRepository {
  /** Open incidents and those active at or after `since` (candidates for correlation). */
  listActive(since: number): Promise<Incident[]>;
  find(id: string): Promise<Incident | null>;
  save(incident: Incident): Promise<void>;
  query(filter: IncidentFilter): Promise<{ items: Incident[]; total: number }>;
  /** Alerts grouped into an incident, in order of start. */
  alertsOf(incidentId: string): Promise<Alert[]>;
}

/** A rule version row. */
export interface RuleRecord {
  rule: Rule;
  deleted: boolean;
}

export interface RuleRepository {
  /** Current version of every rule that is not deleted. */
  listCurrent(): Promise<Rule[]>;
  find(id: string): Promise<RuleRecord | null>;
  versions(id: string): Promise<Rule[]>;
  /** Save a new version; fails with 'conflict' when `rule.version` is not the next one. */
  saveVersion(rule: Rule, deleted?: boolean): Promise<void>;
  count(): Promise<number>;
}

/** Engine state rows (see domain/rules/engine.ts snapshot/restore). */
export interface RuleStateRepository {
  /**
   * Saved subject states: all, or (a cluster taking a partition) only those whose subject key is
   * one of `subjectKeys` — a sensor rule's subject key is the sensor id.
   */
  loadSubjects(subjectKeys?: readonly string[]): Promise<SubjectSnapshot[]>;
  /** Saved per-sensor states: all, or only those of `sensorIds`. */
  loadSensors(sensorIds?: readonly string[]): Promise<SensorEngineState[]>;
  /** Upsert changed subject states and sensor states in one transaction. */
  save(
    subjects: readonly SubjectSnapshot[],
    sensors: readonly SensorEngineState[],
    at: number,
  ): Promise<void>;
  /** Drop states of a rule that no longer exists. */
  deleteRule(ruleId: string): Promise<void>;
}

export interface SensorEngineState {
  sensorId: string;
  lastSeen: number | null;
  derived: DerivedState | null;
}

/** A user as stored: the public User plus what only the identity service may see. */
export interface UserRecord extends User {
  passwordHash: string;
  /** Consecutive failed sign-ins since the last success. */
  failedLogins: number;
  /** Sign-in refused until this time (epoch ms), or null. */
  lockedUntil: number | null;
}

export interface UserRepository {
  count(): Promise<number>;
  list(): Promise<User[]>;
  findById(id: string): Promise<UserRecord | null>;
  findByUsername(username: string): Promise<UserRecord | null>;
  insert(user: UserRecord): Promise<void>;
  /** Replace the stored record (matched by id). */
  save(user: UserRecord): Promise<void>;
  /**
   * Count a failed sign-in in one atomic step, so parallel attempts all count: at the
   * `maxFailed`th consecutive failure the count restarts and the account locks until
   * `lockUntil` (epoch ms). Returns the stored lock time afterwards (null or past: not locked).
   */
  recordLoginFailure(id: string, maxFailed: number, lockUntil: number): Promise<number | null>;
  /** Note a successful sign-in (clears the failure count and lock), touching no other field. */
  recordLoginSuccess(id: string, at: number): Promise<void>;
}

export interface SessionRecord {
  /** SHA-256 of the session token (the token itself is never stored). */
  id: string;
  userId: string;
  createdAt: number;
  expiresAt: number;
  lastSeenAt: number;
  revokedAt: number | null;
  ip: string | null;
  userAgent: string | null;
}

export interface SessionRepository {
  insert(session: SessionRecord): Promise<void>;
  find(id: string): Promise<SessionRecord | null>;
  /** Slide the session forward on use. */
  touch(id: string, lastSeenAt: number, expiresAt: number): Promise<void>;
  revoke(id: string, at: number): Promise<void>;
  /** Revoke every live session of a user; returns the revoked session ids. */
  revokeAllOf(userId: string, at: number): Promise<string[]>;
}

/** Filters of an audit query, resolved to stored units. Every field is optional; they combine with AND. */
export interface AuditFilter {
  /** At or after this time, epoch ms. */
  from?: number;
  /** Strictly before this time, epoch ms. */
  to?: number;
  actorId?: string;
  /** An action or a dotted prefix of it (`user` matches `user.create`, not `userGroup.create`). */
  actionPrefix?: string;
  targetType?: string;
  targetId?: string;
  /** Only entries with a smaller seq (paging cursor). */
  beforeSeq?: number;
  limit: number;
}

/** The append-only audit log and its chain head. Rows are never updated or deleted. */
export interface AuditRepository {
  /**
   * Append one entry: `build` receives the stored chain head (null for an empty log) and returns
   * the entry that follows it; the entry is inserted and the head moved to it in one transaction
   * that holds the write lock throughout, so concurrent appends cannot fork the chain. `build`
   * must be synchronous. The next entry always follows the stored head, not the last row: a
   * deleted last row stays a visible gap.
   */
  append(build: (head: ChainHead | null) => AuditEntry): Promise<AuditEntry>;
  /** The stored head and the largest seq in the log (0 when empty), read in one snapshot. */
  end(): Promise<{ head: ChainHead | null; lastSeq: number }>;
  /** Up to `limit` entries with afterSeq < seq ≤ upToSeq, in seq order. */
  range(afterSeq: number, upToSeq: number, limit: number): Promise<AuditEntry[]>;
  /** Up to `limit` matching entries, newest (largest seq) first. */
  query(filter: AuditFilter): Promise<AuditEntry[]>;
}

/** A device credential as stored: the public view plus the hash of its secret. */
export interface DeviceCredentialRecord extends DeviceCredential {
  secretHash: string;
}

export interface DeviceCredentialRepository {
  list(): Promise<DeviceCredentialRecord[]>;
  insert(record: DeviceCredentialRecord): Promise<void>;
  save(record: DeviceCredentialRecord): Promise<void>;
}

export interface WorkOrderFilter {
  states?: readonly string[];
  category?: string;
  source?: string;
  /** Districts the caller is limited to (undefined: no limit). */
  districtIds?: readonly string[];
  /** A grid worker sees the cases in their cells and those assigned to them. */
  workerView?: { cellIds: readonly string[]; workerId: string };
  gridCellId?: string;
  assigneeId?: string;
  /** Only cases whose current stage is overdue. */
  overdue?: boolean;
  /** Registered at or after, epoch ms. */
  from?: number;
  /** Registered strictly before, epoch ms. */
  to?: number;
  /** Last changed at or after, epoch ms. */
  updatedFrom?: number;
  limit: number;
  offset: number;
}

/**
 * What storing a new case did: stored it, or found the case it repeats — the one the same
 * creator made with the same client action id (`create-key`), or the open case already made
 * for the same alert (`open-alert`: the store keeps one open case per alert).
 */
export type WorkOrderInsert =
  | { order: WorkOrder; inserted: true }
  | { order: WorkOrder; inserted: false; conflict: 'create-key' | 'open-alert' };

/** 案卷 store. Changes are optimistic: a write names the version it replaces, so two nodes never overwrite each other. */
export interface WorkOrderRepository {
  /** The next case number of an Asia/Shanghai day (`20261121`): 1, 2, 3… */
  nextNumber(day: string): Promise<number>;
  /**
   * Store a new case. With a `createKey` (creator + client action id) a repeated create returns
   * the case the first one made instead of a second case; a case for an alert that already has
   * an open case is not stored, and that case is returned.
   */
  insert(order: WorkOrder, createKey?: string): Promise<WorkOrderInsert>;
  /** The case made by a create with this key (creator + client action id), if any. */
  findByCreateKey(createKey: string): Promise<WorkOrder | null>;
  /** Replace the case if its stored version is still `order.version - 1`; false when it changed meanwhile. */
  update(order: WorkOrder): Promise<boolean>;
  find(id: string): Promise<WorkOrder | null>;
  query(filter: WorkOrderFilter): Promise<{ items: WorkOrder[]; total: number }>;
  /** Every case not closed, evaluated or cancelled. */
  listOpen(): Promise<WorkOrder[]>;
  /**
   * The cases a KPI window needs: registered before `to` and changed at or after `from` (a case
   * registered in the window, or flagged overdue in it, changed then).
   */
  forKpis(from: number, to: number): Promise<WorkOrder[]>;
}

export interface PhotoRepository {
  /** Store a photo; with a `clientKey` (uploader + client key) a repeated upload returns the first one. */
  insert(photo: Photo, bytes: Buffer, clientKey?: string): Promise<{ photo: Photo; inserted: boolean }>;
  find(id: string): Promise<Photo | null>;
  bytes(id: string): Promise<Buffer | null>;
  /** Attach uploaded photos to a case. */
  attach(ids: readonly string[], workOrderId: string): Promise<void>;
}

export interface WorkerPositionRepository {
  save(position: WorkerPosition): Promise<void>;
  list(): Promise<WorkerPosition[]>;
}

export interface SettingRecord<T> {
  data: T;
  updatedAt: number;
  updatedBy: string;
}

/** Small named settings documents (the dispatch policy). */
export interface SettingsRepository {
  get<T>(key: string): Promise<SettingRecord<T> | null>;
  put<T>(key: string, record: SettingRecord<T>): Promise<void>;
}

export interface Open311KeyRecord {
  id: string;
  name: string;
  keyHash: string;
  createdAt: number;
  createdBy: string;
  revokedAt: number | null;
}

/** What a citizen gave with a request: personal data, kept apart from the case and never pushed. */
export interface Open311RequestRecord {
  workOrderId: string;
  keyId: string;
  serviceCode: string;
  requestedAt: number;
  reporter: {
    email?: string;
    deviceId?: string;
    accountId?: string;
    firstName?: string;
    lastName?: string;
    phone?: string;
  };
  mediaUrl?: string;
  addressString?: string;
}

export interface Open311Repository {
  listKeys(): Promise<Open311KeyRecord[]>;
  findKeyByHash(hash: string): Promise<Open311KeyRecord | null>;
  insertKey(key: Open311KeyRecord): Promise<void>;
  revokeKey(id: string, at: number): Promise<boolean>;
  insertRequest(record: Open311RequestRecord): Promise<void>;
  findRequest(workOrderId: string): Promise<Open311RequestRecord | null>;
}
