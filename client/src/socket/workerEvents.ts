import type { Pinia } from 'pinia';
import { useAuthStore } from '../features/auth/auth.store';
import { useWorkerPositionStore } from '../features/worker/position.store';
import { useTasksStore } from '../features/worker/tasks.store';
import { useWorkerActionsStore } from '../features/worker/workerActions.store';
import { bindConnectionLifecycle } from './connectionLifecycle';
import type { LiveSocket } from './socket';

/** The phone reports its position at most this often while on duty, ms. */
export const POSITION_REPORT_MS = 30_000;
/** How long a position report waits for its acknowledgement, ms. */
export const POSITION_ACK_TIMEOUT_MS = 10_000;
/** A fix older than this is not sent (nor repeated as a heartbeat): the worker may have moved, ms. */
export const MAX_FIX_AGE_MS = 2 * 60_000;
/** After an "off duty" answer, ask again this often while connected (a shift may be about to start), ms. */
export const OFF_DUTY_RETRY_MS = 5 * 60_000;
/** When the server closed the connection itself, try again after this delay, ms. */
export const WORKER_RETRY_MS = 5_000;
/** The contract caps a reported accuracy here (metres); a worse fix is still worth sending. */
const MAX_ACCURACY_M = 100_000;

/** What the binding uses of the browser; tests pass stand-ins. */
export interface WorkerBindingEnv {
  /** The phone's GPS (`navigator.geolocation`); null where there is none. */
  geolocation?: Pick<Geolocation, 'watchPosition' | 'clearWatch'> | null;
  /** Where `online` / `offline` are announced (`window`). */
  events?: Pick<Window, 'addEventListener' | 'removeEventListener'> | null;
}

/**
 * Bind the grid worker's socket: each server event goes to one store action, connection
 * events to the connection store. The socket follows the session like the wall's does
 * ({@link bindConnectionLifecycle}). On every connect the task list is fetched again (missed
 * events are never replayed) and the offline queue is sent; it is sent again whenever the
 * browser is back online. While connected and on duty, the phone's position goes to the
 * server at most every {@link POSITION_REPORT_MS}, as long as the fix is fresh
 * ({@link MAX_FIX_AGE_MS}); off duty, the phone asks again every {@link OFF_DUTY_RETRY_MS}.
 * Returns a function that unbinds it all.
 */
export function bindWorkerSocket(socket: LiveSocket, pinia?: Pinia, env: WorkerBindingEnv = {}): () => void {
  const auth = useAuthStore(pinia);
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

  let reportTimer: ReturnType<typeof setInterval> | undefined;
  let dutyRetryTimer: ReturnType<typeof setTimeout> | undefined;
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
    // An old fix is no news: sent as if fresh, it would place the worker where they no longer are.
    if (now - fix.at > MAX_FIX_AGE_MS) return;
    if (now - lastSentAt < POSITION_REPORT_MS) return;
    lastSentAt = now;
    sending = true;
    try {
      const ack = await socket
        .timeout(POSITION_ACK_TIMEOUT_MS)
        .emitWithAck('worker:position', { location: fix.location, accuracyM: fix.accuracyM });
      // Disconnected or signed out meanwhile: the answer is about a connection that is gone.
      if (!reporting) return;
      if (ack.ok) {
        position.markReported(ack.data.at);
      } else if (ack.error.code === 'conflict') {
        offDuty();
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

  /** Report now, then every {@link POSITION_REPORT_MS}; `fresh` (a new connection) forgets the duty state. */
  function startReporting(fresh: boolean): void {
    stopReporting();
    reporting = true;
    lastSentAt = -Infinity;
    if (fresh) position.markDuty('unknown');
    // Also a heartbeat: a worker standing still sends no new fixes but is still there (as long
    // as the last fix is fresh).
    reportTimer = setInterval(() => void reportPosition(), POSITION_REPORT_MS);
    void reportPosition();
  }

  function stopReporting(): void {
    reporting = false;
    clearInterval(reportTimer);
    reportTimer = undefined;
    clearTimeout(dutyRetryTimer);
    dutyRetryTimer = undefined;
  }

  /**
   * Off duty: positions are private then. A shift may start soon (the app opened at 07:55 for
   * 08:00): ask again after {@link OFF_DUTY_RETRY_MS} while still connected.
   */
  function offDuty(): void {
    stopReporting();
    position.markDuty('off');
    dutyRetryTimer = setTimeout(() => {
      if (socket.connected) startReporting(false);
    }, OFF_DUTY_RETRY_MS);
  }

  const server = {
    'workOrder:assigned': tasks.assigned,
    'workOrder:updated': tasks.updated,
    'workOrder:withdrawn': tasks.withdrawn,
  } as const;

  const onOnline = (): void => {
    actions.setOnline(true);
    if (auth.status !== 'signed-in') return;
    void actions.flush();
    lifecycle.connectIfSignedIn();
  };
  const onOffline = (): void => actions.setOnline(false);

  socket.on('workOrder:assigned', server['workOrder:assigned']);
  socket.on('workOrder:updated', server['workOrder:updated']);
  socket.on('workOrder:withdrawn', server['workOrder:withdrawn']);
  const lifecycle = bindConnectionLifecycle(socket, pinia, {
    retryMs: WORKER_RETRY_MS,
    onConnect() {
      void tasks.refresh();
      void actions.flush();
      startReporting(true);
    },
    onDisconnect: stopReporting,
    // The GPS runs while signed in, online or not.
    onSignedIn: startWatching,
    onSignedOut() {
      stopReporting();
      stopWatching();
      tasks.clear();
      position.reset();
    },
  });
  events?.addEventListener('online', onOnline);
  events?.addEventListener('offline', onOffline);

  return () => {
    lifecycle.unbind();
    stopReporting();
    stopWatching();
    socket.off('workOrder:assigned', server['workOrder:assigned']);
    socket.off('workOrder:updated', server['workOrder:updated']);
    socket.off('workOrder:withdrawn', server['workOrder:withdrawn']);
    events?.removeEventListener('online', onOnline);
    events?.removeEventListener('offline', onOffline);
  };
}
