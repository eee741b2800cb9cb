import type { Pinia } from 'pinia';
import type { Snapshot } from '@shared/schemas/live.schema';
import type { ServerToClientEvents } from '@shared/socket';
import { watch } from 'vue';
import { useAuthStore } from '../features/auth/auth.store';
import { useLiveStore } from '../features/live/live.store';
import { useScopeStore } from '../features/scope/scope.store';
import { useWorkOrdersStore } from '../features/workOrders/workOrders.store';
import { useVitalsStore } from '../features/vitals/vitals.store';
import { useWorkerPositionsStore } from '../features/workers/workerPositions.store';
import { bindConnectionLifecycle } from './connectionLifecycle';
import { bindVisibilityResync } from './visibilityResync';
import type { LiveSocket } from './socket';

/**
 * When the server closes the connection itself, Socket.IO does not retry. A
 * wall has nobody to press reload, so we retry after this delay, ms.
 */
export const SERVER_CLOSE_RETRY_MS = 5_000;

/**
 * Bind every live socket listener: each server event goes to one store
 * action, connection lifecycle events to the connection store. The socket
 * follows the session ({@link bindConnectionLifecycle}): it connects once
 * someone is signed in, and on sign-out it disconnects and the live state is
 * forgotten. Work orders and worker positions are fetched again from the API
 * after every snapshot (connect or scope switch) and every recovered connect:
 * missed work-order and position events are never replayed. Returns a function that unbinds it all.
 */
export function bindLiveSocket(socket: LiveSocket, pinia?: Pinia): () => void {
  const live = useLiveStore(pinia);
  const scope = useScopeStore(pinia);
  const auth = useAuthStore(pinia);
  const workOrders = useWorkOrdersStore(pinia);
  const vitals = useVitalsStore(pinia);
  const positions = useWorkerPositionsStore(pinia);

  /** A snapshot starts the live state and the 城市体征 over: both belong to its scope. */
  function applySnapshot(snapshot: Snapshot): void {
    live.applySnapshot(snapshot);
    vitals.applySnapshot(snapshot);
  }

  const server = {
    snapshot: applySnapshot,
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
    'vitals:updated': vitals.applyPush,
    'worker:moved': positions.moved,
  } satisfies { [E in keyof ServerToClientEvents]?: ServerToClientEvents[E] };
  type Event = keyof typeof server;
  const listeners = Object.entries(server) as [Event, (typeof server)[Event]][];

  /** Work orders and worker positions: what the socket never replays, asked of the API again. */
  function resyncFromApi(): void {
    if (auth.status !== 'signed-in') return;
    void workOrders.resync(live.scope, live.serverNow());
    void positions.resync(live.serverNow());
  }

  for (const [event, listener] of listeners) socket.on(event, listener);
  const lifecycle = bindConnectionLifecycle(socket, pinia, {
    retryMs: SERVER_CLOSE_RETRY_MS,
    onConnect() {
      // A new session gets a snapshot, which resyncs; a recovered one gets none — unless batches
      // were skipped while the tab was hidden, then it asks for one (see visibilityResync.ts).
      if (socket.recovered && live.needsSnapshot) void scope.refresh();
      else if (socket.recovered) resyncFromApi();
      // The server forgets a non-recovered session's scope; ask for ours again.
      void scope.resubscribe(socket.recovered);
    },
    onSignedOut() {
      live.clear();
      workOrders.clear();
      vitals.clear();
      positions.clear();
      scope.reset();
    },
  });
  // Every applied snapshot (on connect, or the ack of a scope switch) sets a new scope object;
  // the default flush runs this once the whole snapshot, clock offset included, is in.
  const stopResyncing = watch(() => live.scope, resyncFromApi);
  const unbindVisibility = bindVisibilityResync(pinia);

  return () => {
    lifecycle.unbind();
    stopResyncing();
    unbindVisibility();
    for (const [event, listener] of listeners) socket.off(event, listener);
  };
}
