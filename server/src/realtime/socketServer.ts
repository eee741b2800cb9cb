import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import { ScopeSchema, roomOf, type Scope } from '@shared/schemas/live.schema';
import type {
  ClientToServerEvents,
  InterServerEvents,
  ServerToClientEvents,
  SocketData,
} from '@shared/socket';
import type { CatalogService } from '../services/catalog.service';
import type { LiveService } from '../services/live.service';

export type CityOpsIo = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export interface SocketServerDeps {
  live: LiveService;
  catalog: CatalogService;
  /** Disconnections shorter than this are recovered (rooms kept, alerts replayed), ms. */
  recoveryWindowMs: number;
  onError: (message: string, err: unknown) => void;
}

const CITY: Scope = { kind: 'city' };

function describe(err: { issues: Array<{ path: PropertyKey[]; message: string }> }): string {
  return err.issues.map((i) => `${i.path.map(String).join('.') || 'scope'}: ${i.message}`).join('; ');
}

/**
 * Socket.IO with the typed contract. A client follows one scope (city,
 * district or cell) given in the handshake (`auth.scope`) or later with
 * `scope:set`; it gets a snapshot of that scope, then deltas in the scope's room.
 */
export function createSocketServer(httpServer: HttpServer, deps: SocketServerDeps): CityOpsIo {
  const io: CityOpsIo = new Server(httpServer, {
    serveClient: false,
    connectionStateRecovery: { maxDisconnectionDuration: deps.recoveryWindowMs, skipMiddlewares: true },
    // Bounded per-message size: clients only send small commands.
    maxHttpBufferSize: 64 * 1024,
  });

  io.use((socket, next) => {
    const raw: unknown = (socket.handshake.auth as Record<string, unknown> | undefined)?.['scope'];
    if (raw === undefined) {
      socket.data.scope = CITY;
    } else {
      const parsed = ScopeSchema.safeParse(raw);
      if (!parsed.success) return next(new Error(`invalid scope: ${describe(parsed.error)}`));
      if (!deps.catalog.scopeExists(parsed.data))
        return next(new Error(`unknown ${parsed.data.kind} in scope`));
      socket.data.scope = parsed.data;
    }
    socket.data.connectedAt = Date.now();
    next();
  });

  io.on('connection', (socket) => {
    if (socket.recovered) {
      // Rooms and missed alerts came back with the session; reading batches are not replayed
      // (they are volatile), so send the latest values instead.
      socket.emit('readings:resynced', { v: 'v1', latest: deps.live.latestInScope(socket.data.scope) });
    } else {
      void socket.join(roomOf(socket.data.scope));
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
      if (!deps.catalog.scopeExists(scope)) {
        ack({
          ok: false,
          error: { code: 'not_found', message: `no ${scope.kind} ${'id' in scope ? scope.id : ''}` },
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
  });

  return io;
}
