import type { Pinia } from 'pinia';
import type { Socket } from 'socket.io-client';
import { watch } from 'vue';
import { useAuthStore } from '../features/auth/auth.store';
import { useConnectionStore } from '../features/connection/connection.store';
import type { LiveSocket } from './socket';

/** The handshake refusal (`connect_error` message) of a connection without a valid session. */
const UNAUTHORIZED = 'unauthorized';

/** What a binding adds to the shared connection lifecycle. */
export interface ConnectionLifecycle {
  /**
   * When the server closed the connection or refused the handshake itself, Socket.IO does not
   * retry; we do after this delay, ms (unless the session is gone or the refusal is final).
   */
  retryMs: number;
  /** Connected (the connection store already says so). */
  onConnect?(): void;
  /** The connection dropped; runs before the connection store hears of it. */
  onDisconnect?(reason: Socket.DisconnectReason): void;
  /** Someone signed in (the socket is connecting). */
  onSignedIn?(): void;
  /** Signed out: the socket is disconnected; forget what the session showed. */
  onSignedOut?(): void;
}

/** A bound lifecycle. */
export interface BoundLifecycle {
  /** Connect now, if someone is signed in and the socket is neither connected nor connecting. */
  connectIfSignedIn(): void;
  /** Remove every listener and timer of the lifecycle. */
  unbind(): void;
}

/**
 * The lifecycle the wall's and the worker's sockets share. The socket follows the session: it
 * connects once someone is signed in, and on sign-out it disconnects and the connection store
 * is reset. Connection events go to the connection store. When the server turns the socket away
 * (closes it, or refuses the handshake), Socket.IO gives up; this retries after
 * {@link ConnectionLifecycle.retryMs}, except when the session is gone (checked first) or the
 * refusal would only repeat (`forbidden…`). Bind a socket's own event handlers before calling
 * this: it may connect at once.
 */
export function bindConnectionLifecycle(
  socket: LiveSocket,
  pinia: Pinia | undefined,
  lifecycle: ConnectionLifecycle,
): BoundLifecycle {
  const auth = useAuthStore(pinia);
  const connection = useConnectionStore(pinia);
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  function connectIfSignedIn(): void {
    if (auth.status === 'signed-in' && !socket.connected && !socket.active) socket.connect();
  }

  function retryLater(): void {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connectIfSignedIn, lifecycle.retryMs);
  }

  /** The server turned us away: find out whether the session is gone before trying again. */
  async function recheckThenRetry(): Promise<void> {
    // Signed out, the status watch below shows the sign-in view; retrying would only be refused again.
    if ((await auth.check()) !== 'signed-out') retryLater();
  }

  function followSession(status: typeof auth.status): void {
    if (status === 'signed-in') {
      connectIfSignedIn();
      lifecycle.onSignedIn?.();
    } else if (status === 'signed-out') {
      clearTimeout(retryTimer);
      socket.disconnect();
      lifecycle.onSignedOut?.();
      connection.reset();
    }
  }

  const onConnect = (): void => {
    connection.markConnected(socket.recovered);
    lifecycle.onConnect?.();
  };
  const onDisconnect = (reason: Socket.DisconnectReason): void => {
    lifecycle.onDisconnect?.(reason);
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

  socket.on('connect', onConnect);
  socket.on('disconnect', onDisconnect);
  socket.on('connect_error', onConnectError);
  socket.io.on('reconnect_attempt', onReconnectAttempt);
  // Synchronous, so that sign-out disconnects before anything else runs.
  const stopFollowing = watch(() => auth.status, followSession, { immediate: true, flush: 'sync' });

  return {
    connectIfSignedIn,
    unbind() {
      stopFollowing();
      clearTimeout(retryTimer);
      socket.off('connect', onConnect);
      socket.off('disconnect', onDisconnect);
      socket.off('connect_error', onConnectError);
      socket.io.off('reconnect_attempt', onReconnectAttempt);
    },
  };
}
