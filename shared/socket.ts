import type { Role } from './access';
import type { Alert } from './schemas/alert.schema';
import type { Incident } from './schemas/incident.schema';
import type { ApiErrorCode } from './schemas/errors.schema';
import type { LiveStats, ReadingsBatch, ReadingsResync, Scope, Snapshot } from './schemas/live.schema';
import type { CityVitals } from './schemas/vitals.schema';
import type { KpiRow, TimelineEntry, WorkerPosition, WorkOrder } from './schemas/workOrder.schema';

/** Result of every socket command's acknowledgement. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: { code: ApiErrorCode; message: string } };

/**
 * Server → client facts (past tense). Reading batches are volatile (dropped for
 * a client that cannot keep up, never replayed); alerts and stats are reliable
 * and replayed by connection-state recovery after a brief disconnect.
 */
export interface ServerToClientEvents {
  snapshot: (snapshot: Snapshot) => void;
  'readings:batch': (batch: ReadingsBatch) => void;
  'readings:resynced': (resync: ReadingsResync) => void;
  'stats:updated': (stats: LiveStats) => void;
  'alert:raised': (alert: Alert) => void;
  'alert:updated': (alert: Alert) => void;
  'incident:opened': (incident: Incident) => void;
  'incident:updated': (incident: Incident) => void;
  /** 立案: a new case in the scope. */
  'workOrder:created': (order: WorkOrder) => void;
  /** A case changed; `entry` says how (an `overdue` entry flags it to supervisors and the wall). */
  'workOrder:updated': (change: { order: WorkOrder; entry: TimelineEntry }) => void;
  /** To a grid worker: a case was dispatched (or reassigned) to you — the phone rings. */
  'workOrder:assigned': (order: WorkOrder) => void;
  /** To a grid worker: a case of yours went to someone else (or was cancelled). */
  'workOrder:withdrawn': (change: { order: WorkOrder; entry: TimelineEntry }) => void;
  /** A grid worker on duty moved. */
  'worker:moved': (position: WorkerPosition) => void;
  /** Today's work-order KPIs (Asia/Shanghai day so far), city-wide and per district. */
  'kpis:updated': (kpis: { from: number; to: number; city: KpiRow; districts: KpiRow[] }) => void;
  /**
   * 城市体征 every VITALS_PUSH_MS: the city's vitals to the city room, a district's own to its room.
   * `trend` is present only when it changed; without it, keep the one you have.
   */
  'vitals:updated': (vitals: CityVitals) => void;
}

/** Client → server commands (verbs). Payloads are parsed with the shared schemas on arrival. */
export interface ClientToServerEvents {
  /** Follow another scope; the ack carries the scope's snapshot. */
  'scope:set': (scope: Scope, ack: (result: Ack<Snapshot>) => void) => void;
  /** A grid worker's phone reports its position (while on duty). */
  'worker:position': (
    fix: { location: [number, number]; accuracyM?: number },
    ack: (result: Ack<WorkerPosition>) => void,
  ) => void;
}

/** Events between server nodes (scale-out issue). */
export type InterServerEvents = Record<string, never>;

/** Per-connection data the server keeps on `socket.data` (plain data: it survives session recovery). */
export interface SocketData {
  scope: Scope;
  connectedAt: number;
  /** Session the connection was authenticated with; revoking it disconnects the socket. */
  sessionId: string;
  userId: string;
  role: Role;
  /** Districts the user is limited to (null: the whole city). */
  districtIds: string[] | null;
  /** Cells of a grid worker (null for other roles). */
  cellIds: string[] | null;
  /** Roster id of a grid worker (null for other roles): the socket is in room `worker:{id}`. */
  workerId: string | null;
}
