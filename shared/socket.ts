import type { Role } from './access';
import type { Alert } from './schemas/alert.schema';
import type { Incident } from './schemas/incident.schema';
import type { ApiErrorCode } from './schemas/errors.schema';
import type { LiveStats, ReadingsBatch, ReadingsResync, Scope, Snapshot } from './schemas/live.schema';

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
}

/** Client → server commands (verbs). Payloads are parsed with the shared schemas on arrival. */
export interface ClientToServerEvents {
  /** Follow another scope; the ack carries the scope's snapshot. */
  'scope:set': (scope: Scope, ack: (result: Ack<Snapshot>) => void) => void;
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
}
