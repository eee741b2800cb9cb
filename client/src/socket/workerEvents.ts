import type { Pinia } from 'pinia';
import type { Socket } from 'socket.io-client';
import { watch } from 'vue';
import { useAuthStore } from '../features/auth/auth.store';
import { useConnectionStore } from '../features/connection/connection.store';
import { useWorkerPositionStore } from '../features/worker/position.store';
import { useTasksStore } from '../features/worker/tasks.store';
import { useWorkerActionsStore } from '../features/worker/workerActions.store';
import type { LiveSocket } from './socket';

/** The phone reports its position at most this often while on duty, ms. */
export const POSITION_REPORT_MS = 30_000;
/** How long a position report waits for its acknowledgement, ms. */
export const POSITION_ACK_TIMEOUT_MS = 10_000;
/** When the server closed the connection itself, try again after this delay, ms. */
export const WORKER_RETRY_MS = 5_000;
/** The contract caps a reported accuracy here (metres); a worse fix is still worth sending. */
const MAX_ACCURACY_M = 100_000;

/** The handshake refusal (`connect_error` message) of a connection without a valid session. */
const UNAUTHORIZED = 'unauthorized';

/** What the binding uses of the browser; tests pass stand-ins. */
export interface WorkerBindingEnv {
  /** The phone's GPS (`navigator.geolocation`); null where there is none. */
  geolocation?: Pick<Geolocation, 'watchPosition' | 'clearWatch'> | null;
  /** Where `online` / `offline` are announced (`window`). */
  events?: Pick<Window, 'addEventListener' | 'removeEventListener'> | null;
}

/**
 * Bind the grid worker's socket: each server event goes to one store action, connection
 * events to the connection store. The socket follows the session like the wall's does. On
 * every connect the task list is fetched again (missed events are never replayed) and the
 * offline queue is sent; it is sent again whenever the browser is back online. While
 * connected and on duty, the phone's position goes to the server at most every
 * {@link POSITION_REPORT_MS}. Returns a function that unbinds it all.
 */
export function bindWorkerSocket(socket: LiveSocket, pinia?: Pinia, env: WorkerBindingEnv = {}): () => void {
  const auth = useAuthStore(pinia);
  const connection = useConnectionStore(pinia);
  const tasks = useTasksStore(pinia);
  const actions = useWorkerActionsStore(pinia);
  const position = useWorkerPositionStore(pinia);
  const geolocation =
    env.geolocation !== undefined
      ? env.geolocation
      : typeof navigator === 'undefined'
        ? null
        : (navigator.geolocation ?? null);
  const events = env.events !== undefined ? env.events : typeof window === 'undefined' ? null : window;

  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let reportTimer: ReturnType<typeof setInterval> | undefined;
  let watchId: number | null = null;
  /** Connected, and the server has not said we are off duty since. */
  let reporting = false;
  let sending = false;
  let lastSentAt = -Infinity;

  // ── position ───────────────────────────────────────────────────────────────

  function onFix(p: GeolocationPosition): void {
    position.setFix({
      location: [p.coords.longitude, p.coords.latitude],
      accuracyM: Math.min(p.coords.accuracy, MAX_ACCURACY_M),
      at: p.timestamp,
    });
    void reportPosition();
  }

  function onFixError(err: GeolocationPositionError): void {
    // 1 = PERMISSION_DENIED; the others (no signal, timeout) may pass.
    position.setProblem(err.code === 1 ? 'denied' : 'unavailable');
  }

  /** The GPS runs while signed in, online or not: check-in and patrol reports need it offline too. */
  function startWatching(): void {
    if (watchId !== null) return;
    if (!geolocation) {
      position.setProblem('unsupported');
      return;
    }
    watchId = geolocation.watchPosition(onFix, onFixError, {
      enableHighAccuracy: true,
      maximumAge: 10_000,
      timeout: 60_000,
    });
  }

  function stopWatching(): void {
    if (watchId !== null) geolocation?.clearWatch(watchId);
    watchId = null;
  }

  async function reportPosition(): Promise<void> {
    const fix = position.fix;
    if (!reporting || sending || !socket.connected || !fix) return;
    const now = Date.now();
    if (now - lastSentAt < POSITION_REPORT_MS) return;
    lastSentAt = now;
    sending = true;
    try {
      const ack = await socket
        .timeout(POSITION_ACK_TIMEOUT_MS)
        .emitWithAck('worker:position', { location: fix.location, accuracyM: fix.accuracyM });
      if (ack.ok) {
        position.markReported(ack.data.at);
      } else if (ack.error.code === 'conflict') {
        // Off duty: positions are private then. Ask again after the next connect.
        stopReporting();
        position.markDuty('off');
      } else if (ack.error.code !== 'invalid_request' && ack.error.code !== 'internal') {
        // Not a worker on the roster (forbidden, not_found): asking again changes nothing.
        stopReporting();
      }
    } catch {
      // No answer in time: the next tick tries again.
    } finally {
      sending = false;
    }
  }

  function startReporting(): void {
    reporting = true;
    lastSentAt = -Infinity;
    position.markDuty('unknown');
    clearInterval(reportTimer);
    // Also a heartbeat: a worker standing still sends no new fixes but is still there.
    reportTimer = setInterval(() => void reportPosition(), POSITION_REPORT_MS);
    void reportPosition();
  }

  function stopReporting(): void {
    reporting = false;
    clearInterval(reportTimer);
    reportTimer = undefined;
  }

  // ── session and connection ────────────────────────────────────────────────

  function connectIfSignedIn(): void {
    if (auth.status === 'signed-in' && !socket.connected && !socket.active) socket.connect();
  }

  function retryLater(): void {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connectIfSignedIn, WORKER_RETRY_MS);
  }

  async function recheckThenRetry(): Promise<void> {
    if ((await auth.check()) !== 'signed-out') retryLater();
  }

  function followSession(status: typeof auth.status): void {
    if (status === 'signed-in') {
      connectIfSignedIn();
      startWatching();
    } else if (status === 'signed-out') {
      clearTimeout(retryTimer);
      stopReporting();
      stopWatching();
      socket.disconnect();
      tasks.clear();
      position.reset();
      connection.reset();
    }
  }

  const server = {
    'workOrder:assigned': tasks.assigned,
    'workOrder:updated': tasks.updated,
    'workOrder:withdrawn': tasks.withdrawn,
  } as const;

  const onConnect = (): void => {
    connection.markConnected(socket.recovered);
    void tasks.refresh();
    void actions.flush();
    startReporting();
  };
  const onDisconnect = (reason: Socket.DisconnectReason): void => {
    stopReporting();
    if (socket.active) {
      connection.markReconnecting(reason);
    } else {
      connection.markDisconnected(reason);
      if (reason === 'io server disconnect') void recheckThenRetry();
    }
  };
  const onConnectError = (err: Error): void => {
    if (socket.active) {
      connection.markReconnecting(err.message);
      return;
    }
    connection.markDisconnected(err.message);
    if (err.message === UNAUTHORIZED) void recheckThenRetry();
    else if (!err.message.startsWith('forbidden')) retryLater();
  };
  const onReconnectAttempt = (attempt: number): void => connection.markReconnecting(undefined, attempt);
  const onOnline = (): void => {
    actions.setOnline(true);
    if (auth.status !== 'signed-in') return;
    void actions.flush();
    connectIfSignedIn();
  };
  const onOffline = (): void => actions.setOnline(false);

  socket.on('workOrder:assigned', server['workOrder:assigned']);
  socket.on('workOrder:updated', server['workOrder:updated']);
  socket.on('workOrder:withdrawn', server['workOrder:withdrawn']);
  socket.on('connect', onConnect);
  socket.on('disconnect', onDisconnect);
  socket.on('connect_error', onConnectError);
  socket.io.on('reconnect_attempt', onReconnectAttempt);
  events?.addEventListener('online', onOnline);
  events?.addEventListener('offline', onOffline);
  // Synchronous, so that sign-out disconnects before anything else runs.
  const stopFollowing = watch(() => auth.status, followSession, { immediate: true, flush: 'sync' });

  return () => {
    stopFollowing();
    clearTimeout(retryTimer);
    stopReporting();
    stopWatching();
    socket.off('workOrder:assigned', server['workOrder:assigned']);
    socket.off('workOrder:updated', server['workOrder:updated']);
    socket.off('workOrder:withdrawn', server['workOrder:withdrawn']);
    socket.off('connect', onConnect);
    socket.off('disconnect', onDisconnect);
    socket.off('connect_error', onConnectError);
    socket.io.off('reconnect_attempt', onReconnectAttempt);
    events?.removeEventListener('online', onOnline);
    events?.removeEventListener('offline', onOffline);
  };
}
