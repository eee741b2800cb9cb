import type { Pinia } from 'pinia';
import type { Socket } from 'socket.io-client';
import { watch } from 'vue';
import { useAuthStore } from '../features/auth/auth.store';
import { useConnectionStore } from '../features/connection/connection.store';
import { useLiveStore } from '../features/live/live.store';
import { useScopeStore } from '../features/scope/scope.store';
import { useWorkOrdersStore } from '../features/workOrders/workOrders.store';
import type { LiveSocket } from './socket';

/**
 * When the server closes the connection itself, Socket.IO does not retry. A
 * wall has nobody to press reload, so we retry after this delay, ms.
 */
export const SERVER_CLOSE_RETRY_MS = 5_000;

/** The handshake refusal (`connect_error` message) of a connection without a valid session. */
const UNAUTHORIZED = 'unauthorized';

/**
 * Bind every live socket listener: each server event goes to one store
 * action, connection lifecycle events to the connection store. The socket
 * follows the session: it connects once someone is signed in, and on sign-out
 * it disconnects and the live state is forgotten. Work orders are fetched again
 * from the API after every snapshot (connect or scope switch) and every
 * recovered connect: missed work-order events are never replayed. Returns a
 * function that unbinds it all.
 */
export function bindLiveSocket(socket: LiveSocket, pinia?: Pinia): () => void {
  const live = useLiveStore(pinia);
  const connection = useConnectionStore(pinia);
  const scope = useScopeStore(pinia);
  const auth = useAuthStore(pinia);
  const workOrders = useWorkOrdersStore(pinia);
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  function connectIfSignedIn(): void {
    if (auth.status === 'signed-in' && !socket.connected && !socket.active) socket.connect();
  }

  function retryLater(): void {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connectIfSignedIn, SERVER_CLOSE_RETRY_MS);
  }

  /** The server turned us away: find out whether the session is gone before trying again. */
  async function recheckThenRetry(): Promise<void> {
    // Signed out, the status watch below shows the sign-in view; retrying would only be refused again.
    if ((await auth.check()) !== 'signed-out') retryLater();
  }

  function followSession(status: typeof auth.status): void {
    if (status === 'signed-in') {
      connectIfSignedIn();
    } else if (status === 'signed-out') {
      clearTimeout(retryTimer);
      socket.disconnect();
      live.clear();
      workOrders.clear();
      scope.reset();
      connection.reset();
    }
  }

  const server = {
    snapshot: live.applySnapshot,
    'readings:batch': live.applyBatch,
    'readings:resynced': live.applyResync,
    'stats:updated': live.applyStats,
    'alert:raised': live.applyAlert,
    'alert:updated': live.applyAlert,
    'incident:opened': live.applyIncident,
    'incident:updated': live.applyIncident,
    'workOrder:created': workOrders.created,
    'workOrder:updated': workOrders.updated,
    'kpis:updated': workOrders.kpis,
  } as const;

  function resyncWorkOrders(): void {
    if (auth.status === 'signed-in') void workOrders.resync(live.scope, live.serverNow());
  }

  const onConnect = (): void => {
    connection.markConnected(socket.recovered);
    // A new session gets a snapshot, which resyncs; a recovered one gets none.
    if (socket.recovered) resyncWorkOrders();
    // The server forgets a non-recovered session's scope; ask for ours again.
    void scope.resubscribe(socket.recovered);
  };
  const onDisconnect = (reason: Socket.DisconnectReason): void => {
    if (socket.active) {
      connection.markReconnecting(reason);
    } else {
      connection.markDisconnected(reason);
      // Also how a revoked or expired session ends.
      if (reason === 'io server disconnect') void recheckThenRetry();
    }
  };
  const onConnectError = (err: Error): void => {
    if (socket.active) {
      connection.markReconnecting(err.message);
      return;
    }
    // Refused by the server (middleware): Socket.IO gives up. We do not, unless
    // the same handshake can only be refused again.
    connection.markDisconnected(err.message);
    if (err.message === UNAUTHORIZED) void recheckThenRetry();
    else if (!err.message.startsWith('forbidden')) retryLater();
  };
  const onReconnectAttempt = (attempt: number): void => connection.markReconnecting(undefined, attempt);

  socket.on('snapshot', server.snapshot);
  socket.on('readings:batch', server['readings:batch']);
  socket.on('readings:resynced', server['readings:resynced']);
  socket.on('stats:updated', server['stats:updated']);
  socket.on('alert:raised', server['alert:raised']);
  socket.on('alert:updated', server['alert:updated']);
  socket.on('incident:opened', server['incident:opened']);
  socket.on('incident:updated', server['incident:updated']);
  socket.on('workOrder:created', server['workOrder:created']);
  socket.on('workOrder:updated', server['workOrder:updated']);
  socket.on('kpis:updated', server['kpis:updated']);
  socket.on('connect', onConnect);
  socket.on('disconnect', onDisconnect);
  socket.on('connect_error', onConnectError);
  socket.io.on('reconnect_attempt', onReconnectAttempt);
  // Synchronous, so that sign-out disconnects before anything else runs.
  const stopFollowing = watch(() => auth.status, followSession, { immediate: true, flush: 'sync' });
  // Every applied snapshot (on connect, or the ack of a scope switch) sets a new scope object;
  // the default flush runs this once the whole snapshot, clock offset included, is in.
  const stopResyncing = watch(() => live.scope, resyncWorkOrders);

  return () => {
    stopFollowing();
    stopResyncing();
    clearTimeout(retryTimer);
    socket.off('snapshot', server.snapshot);
    socket.off('readings:batch', server['readings:batch']);
    socket.off('readings:resynced', server['readings:resynced']);
    socket.off('stats:updated', server['stats:updated']);
    socket.off('alert:raised', server['alert:raised']);
    socket.off('alert:updated', server['alert:updated']);
    socket.off('incident:opened', server['incident:opened']);
    socket.off('incident:updated', server['incident:updated']);
    socket.off('workOrder:created', server['workOrder:created']);
    socket.off('workOrder:updated', server['workOrder:updated']);
    socket.off('kpis:updated', server['kpis:updated']);
    socket.off('connect', onConnect);
    socket.off('disconnect', onDisconnect);
    socket.off('connect_error', onConnectError);
    socket.io.off('reconnect_attempt', onReconnectAttempt);
  };
}
