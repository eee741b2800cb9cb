import type { Pinia } from 'pinia';
import type { Socket } from 'socket.io-client';
import { useConnectionStore } from '../features/connection/connection.store';
import { useLiveStore } from '../features/live/live.store';
import { useScopeStore } from '../features/scope/scope.store';
import type { LiveSocket } from './socket';

/**
 * When the server closes the connection itself, Socket.IO does not retry. A
 * wall has nobody to press reload, so we retry after this delay, ms.
 */
export const SERVER_CLOSE_RETRY_MS = 5_000;

/**
 * Bind every live socket listener: each server event goes to one store
 * action, connection lifecycle events to the connection store. Returns a
 * function that unbinds them all.
 */
export function bindLiveSocket(socket: LiveSocket, pinia?: Pinia): () => void {
  const live = useLiveStore(pinia);
  const connection = useConnectionStore(pinia);
  const scope = useScopeStore(pinia);
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  function retryLater(): void {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => {
      if (!socket.connected && !socket.active) socket.connect();
    }, SERVER_CLOSE_RETRY_MS);
  }

  const server = {
    snapshot: live.applySnapshot,
    'readings:batch': live.applyBatch,
    'readings:resynced': live.applyResync,
    'stats:updated': live.applyStats,
    'alert:raised': live.applyAlert,
    'alert:updated': live.applyAlert,
  } as const;

  const onConnect = (): void => {
    connection.markConnected(socket.recovered);
    // The server forgets a non-recovered session's scope; ask for ours again.
    void scope.resubscribe(socket.recovered);
  };
  const onDisconnect = (reason: Socket.DisconnectReason): void => {
    if (socket.active) {
      connection.markReconnecting(reason);
    } else {
      connection.markDisconnected(reason);
      if (reason === 'io server disconnect') retryLater();
    }
  };
  const onConnectError = (err: Error): void => {
    if (socket.active) {
      connection.markReconnecting(err.message);
    } else {
      // Refused by the server (middleware): Socket.IO gives up, we do not.
      connection.markDisconnected(err.message);
      retryLater();
    }
  };
  const onReconnectAttempt = (attempt: number): void => connection.markReconnecting(undefined, attempt);

  socket.on('snapshot', server.snapshot);
  socket.on('readings:batch', server['readings:batch']);
  socket.on('readings:resynced', server['readings:resynced']);
  socket.on('stats:updated', server['stats:updated']);
  socket.on('alert:raised', server['alert:raised']);
  socket.on('alert:updated', server['alert:updated']);
  socket.on('connect', onConnect);
  socket.on('disconnect', onDisconnect);
  socket.on('connect_error', onConnectError);
  socket.io.on('reconnect_attempt', onReconnectAttempt);

  return () => {
    clearTimeout(retryTimer);
    socket.off('snapshot', server.snapshot);
    socket.off('readings:batch', server['readings:batch']);
    socket.off('readings:resynced', server['readings:resynced']);
    socket.off('stats:updated', server['stats:updated']);
    socket.off('alert:raised', server['alert:raised']);
    socket.off('alert:updated', server['alert:updated']);
    socket.off('connect', onConnect);
    socket.off('disconnect', onDisconnect);
    socket.off('connect_error', onConnectError);
    socket.io.off('reconnect_attempt', onReconnectAttempt);
  };
}
