import type { Server as HttpServer } from 'node:http';
import { Server, type ServerOptions } from 'socket.io';
import { ScopeSchema, roomOf, type Scope } from '@shared/schemas/live.schema';
import type {
  ClientToServerEvents,
  InterServerEvents,
  ServerToClientEvents,
  SocketData,
} from '@shared/socket';
import { hasPermission } from '@shared/access';
import { defaultScope, reachesScope, type Reach } from '../domain/access';
import { reachOf } from '../services/reach';
import { sessionToken } from '../services/sessionToken';
import { SOCKET_ACCESS } from '../http/routeAccess';
import type { CatalogService } from '../services/catalog.service';
import type { DomainEvents } from '../services/events';
import type { IdentityService } from '../services/identity.service';
import type { LiveService } from '../services/live.service';
import { WorkOrderError, type WorkOrderService } from '../services/workOrders.service';
import { PositionReportSchema } from '@shared/schemas/workOrder.schema';

/** Room of the sockets whose role may not read the roster: `worker:moved` skips it. */
export const NO_WORKER_POSITIONS_ROOM = 'deny:workers:read';

export type CityOpsIo = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export interface SocketServerDeps {
  /** Socket.IO's Redis adapter in a cluster: rooms span the nodes. */
  adapter?: ServerOptions['adapter'];
  live: LiveService;
  catalog: CatalogService;
  identity: IdentityService;
  events: DomainEvents;
  workOrders: Pick<WorkOrderService, 'reportPosition'>;
  /** Disconnections shorter than this are recovered (rooms kept, alerts replayed), ms. */
  recoveryWindowMs: number;
  /** Pushes that may wait for one connection, bytes (see boundQueue). */
  maxBufferedBytes: number;
  /** A connection was closed because its pushes piled up. */
  onSlowClient: (info: { socketId: string; userId: string; queuedBytes: number }) => void;
  onError: (message: string, err: unknown) => void;
}

function describe(err: { issues: Array<{ path: PropertyKey[]; message: string }> }): string {
  return err.issues.map((i) => `${i.path.map(String).join('.') || 'scope'}: ${i.message}`).join('; ');
}

/** Characters of a packet's payload (Socket.IO hands engine.io encoded strings; ~ bytes). */
function payloadSize(packet: { data?: unknown }): number {
  const d = packet.data;
  return typeof d === 'string' ? d.length : Buffer.isBuffer(d) ? d.length : 0;
}

/** How long a connection's queue may stay over the bound before the connection is closed, ms. */
const SLOW_CLIENT_GRACE_MS = 1000;

/**
 * Bound what waits for one connection. While a transport is busy with earlier writes,
 * engine.io queues every packet for it; volatile reading batches are dropped instead, but
 * alerts, stats, vitals and case updates are reliable and would pile up for a dashboard that
 * stopped reading until its ping timeout (~45 s), however many there are. A queue still over
 * `maxBytes` a second after it got there (a healthy connection drains a burst — a snapshot, a
 * replay after reconnecting — in milliseconds) closes the connection and discards the queue;
 * everyone else is unaffected. The session stays recoverable: when the dashboard reads again
 * it reconnects and resyncs.
 */
function boundQueue(
  socket: Parameters<Parameters<CityOpsIo['on']>[1]>[0],
  maxBytes: number,
  onClose: (queuedBytes: number) => void,
): void {
  const conn = socket.conn;
  let queued = 0;
  let timer: NodeJS.Timeout | null = null;
  const check = () => {
    timer = null;
    if (queued <= maxBytes || conn.readyState !== 'open') return;
    onClose(queued);
    conn.close(true);
  };
  conn.on('packetCreate', (packet: { data?: unknown }) => {
    queued += payloadSize(packet);
    if (queued > maxBytes && timer === null) {
      timer = setTimeout(check, SLOW_CLIENT_GRACE_MS);
      timer.unref();
    }
  });
  conn.on('flush', (packets: Array<{ data?: unknown }>) => {
    for (const p of packets) queued -= payloadSize(p);
  });
  conn.on('close', () => {
    if (timer) clearTimeout(timer);
  });
}

/**
 * Socket.IO with the typed contract. A client follows one scope (city,
 * district or cell) given in the handshake (`auth.scope`) or later with
 * `scope:set`; it gets a snapshot of that scope, then deltas in the scope's room.
 */
export function createSocketServer(httpServer: HttpServer, deps: SocketServerDeps): CityOpsIo {
  const io: CityOpsIo = new Server(httpServer, {
    ...(deps.adapter && { adapter: deps.adapter }),
    serveClient: false,
    // Middlewares run on recovered connections too: a resumed socket is re-authenticated.
    connectionStateRecovery: { maxDisconnectionDuration: deps.recoveryWindowMs, skipMiddlewares: false },
    // Bounded per-message size: clients only send small commands.
    maxHttpBufferSize: 64 * 1024,
  });

  const cellDistrict = (cellId: string) => deps.catalog.gridCell(cellId)?.districtId;

  // The handshake is authenticated by the session cookie (or auth.token) and
  // checked against SOCKET_ACCESS and the caller's reach before any room is joined.
  io.use((socket, next) => {
    const token =
      sessionToken({
        cookie: socket.handshake.headers.cookie,
        authorization: socket.handshake.headers.authorization,
      }) ??
      (typeof (socket.handshake.auth as Record<string, unknown> | undefined)?.['token'] === 'string'
        ? ((socket.handshake.auth as Record<string, string>)['token'] ?? null)
        : null);
    if (!token) return next(new Error('unauthorized'));
    deps.identity.authenticate(token).then(
      (principal) => {
        if (!principal) return next(new Error('unauthorized'));
        if (!hasPermission(principal.user.role, SOCKET_ACCESS.connect))
          return next(new Error('forbidden: live data'));
        const reach = reachOf(principal, deps.catalog);
        if (socket.recovered) {
          // A resumed session keeps its scope (restored with socket.data) if the caller still reaches it.
          if (
            socket.data.userId !== principal.user.id ||
            !reachesScope(reach, socket.data.scope, cellDistrict)
          ) {
            return next(new Error('forbidden: the resumed scope is outside your assigned area'));
          }
          socket.data.sessionId = principal.sessionId;
          return next();
        }
        const raw: unknown = (socket.handshake.auth as Record<string, unknown> | undefined)?.['scope'];
        let scope: Scope | null;
        if (raw === undefined) {
          scope = defaultScope(reach);
          if (!scope) return next(new Error('forbidden: no area is assigned to you'));
        } else {
          const parsed = ScopeSchema.safeParse(raw);
          if (!parsed.success) return next(new Error(`invalid scope: ${describe(parsed.error)}`));
          if (!deps.catalog.scopeExists(parsed.data))
            return next(new Error(`unknown ${parsed.data.kind} in scope`));
          scope = parsed.data;
        }
        if (!reachesScope(reach, scope, cellDistrict))
          return next(new Error(`forbidden: ${roomOf(scope)} is outside your assigned area`));
        socket.data.scope = scope;
        socket.data.sessionId = principal.sessionId;
        socket.data.userId = principal.user.id;
        socket.data.role = principal.user.role;
        socket.data.districtIds = reach.districtIds ? [...reach.districtIds] : null;
        socket.data.cellIds = reach.cellIds ? [...reach.cellIds] : null;
        socket.data.workerId = principal.user.role === 'worker' ? principal.user.workerId : null;
        socket.data.connectedAt = Date.now();
        next();
      },
      (err: unknown) => {
        deps.onError('socket authentication failed', err);
        next(new Error('unavailable'));
      },
    );
  });

  // A revoked session loses its live connections at once.
  deps.events.on(
    'sessions.revoked',
    ({ sessionIds }) => {
      const ended = new Set(sessionIds);
      for (const socket of io.sockets.sockets.values()) {
        if (ended.has(socket.data.sessionId)) socket.disconnect(true);
      }
    },
    // Signed out on another node of a cluster: this node's sockets of that session go too.
    { remote: true },
  );

  // A socket outlives no session: at the session's expiry it is re-checked (HTTP use may have
  // extended it) and disconnected if the session has ended.
  const expiryTimers = new Map<string, NodeJS.Timeout>();
  const watchExpiry = (socket: Parameters<Parameters<typeof io.on>[1]>[0], expiresAt: number) => {
    const delay = Math.max(expiresAt - Date.now(), 0) + 1000;
    expiryTimers.set(
      socket.id,
      setTimeout(
        () => {
          deps.identity.sessionExpiry(socket.data.sessionId).then(
            (next) => (next === null ? socket.disconnect(true) : watchExpiry(socket, next)),
            (err: unknown) => deps.onError('session re-check failed', err),
          );
        },
        Math.min(delay, 2 ** 31 - 1),
      ),
    );
  };

  io.on('connection', (socket) => {
    boundQueue(socket, deps.maxBufferedBytes, (queuedBytes) =>
      deps.onSlowClient({ socketId: socket.id, userId: socket.data.userId, queuedBytes }),
    );
    socket.on('disconnect', () => {
      clearTimeout(expiryTimers.get(socket.id));
      expiryTimers.delete(socket.id);
    });
    deps.identity.sessionExpiry(socket.data.sessionId).then(
      (expiresAt) => (expiresAt === null ? socket.disconnect(true) : watchExpiry(socket, expiresAt)),
      (err: unknown) => deps.onError('session check failed', err),
    );

    if (socket.recovered) {
      // Rooms and missed alerts came back with the session; reading batches are not replayed
      // (they are volatile), so send the latest values instead.
      socket.emit('readings:resynced', { v: 'v1', latest: deps.live.latestInScope(socket.data.scope) });
    } else {
      void socket.join(roomOf(socket.data.scope));
      // A grid worker's own room: their tasks are pushed there wherever the case is.
      if (socket.data.workerId) void socket.join(`worker:${socket.data.workerId}`);
      // Workers' live positions go to area rooms, but only to roles that may read the roster.
      if (!hasPermission(socket.data.role, 'workers:read')) void socket.join(NO_WORKER_POSITIONS_ROOM);
      deps.live.snapshot(socket.data.scope).then(
        (s) => socket.emit('snapshot', s),
        (err: unknown) => deps.onError('snapshot failed', err),
      );
    }

    socket.on('scope:set', (raw, ack) => {
      if (typeof ack !== 'function') return;
      const parsed = ScopeSchema.safeParse(raw);
      if (!parsed.success) {
        ack({ ok: false, error: { code: 'invalid_request', message: describe(parsed.error) } });
        return;
      }
      const scope = parsed.data;
      if (!hasPermission(socket.data.role, SOCKET_ACCESS['scope:set'])) {
        ack({ ok: false, error: { code: 'forbidden', message: 'your role may not follow live data' } });
        return;
      }
      if (!deps.catalog.scopeExists(scope)) {
        ack({
          ok: false,
          error: { code: 'not_found', message: `no ${scope.kind} ${'id' in scope ? scope.id : ''}` },
        });
        return;
      }
      const reach: Reach = {
        role: socket.data.role,
        districtIds: socket.data.districtIds,
        cellIds: socket.data.cellIds ? new Set(socket.data.cellIds) : null,
      };
      if (!reachesScope(reach, scope, cellDistrict)) {
        ack({
          ok: false,
          error: { code: 'forbidden', message: `${roomOf(scope)} is outside your assigned area` },
        });
        return;
      }
      void socket.leave(roomOf(socket.data.scope));
      socket.data.scope = scope;
      void socket.join(roomOf(scope));
      deps.live.snapshot(scope).then(
        (data) => ack({ ok: true, data }),
        (err: unknown) => {
          deps.onError('snapshot failed', err);
          ack({ ok: false, error: { code: 'internal', message: 'snapshot failed' } });
        },
      );
    });
    socket.on('worker:position', (raw, ack) => {
      if (typeof ack !== 'function') return;
      if (!hasPermission(socket.data.role, SOCKET_ACCESS['worker:position'])) {
        ack({
          ok: false,
          error: { code: 'forbidden', message: `role ${socket.data.role} may not workOrders:work` },
        });
        return;
      }
      if (!socket.data.workerId) {
        ack({
          ok: false,
          error: { code: 'conflict', message: 'only a grid worker on the roster reports a position' },
        });
        return;
      }
      const parsed = PositionReportSchema.safeParse(raw);
      if (!parsed.success) {
        ack({ ok: false, error: { code: 'invalid_request', message: describe(parsed.error) } });
        return;
      }
      deps.workOrders.reportPosition(socket.data.workerId, parsed.data).then(
        (position) => ack({ ok: true, data: position }),
        (err: unknown) => {
          if (err instanceof WorkOrderError)
            ack({
              ok: false,
              error: { code: err.code === 'not_found' ? 'not_found' : 'conflict', message: err.message },
            });
          else {
            deps.onError('position report failed', err);
            ack({ ok: false, error: { code: 'internal', message: 'position report failed' } });
          }
        },
      );
    });
  });

  return io;
}
