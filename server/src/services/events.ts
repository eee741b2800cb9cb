import type { Alert } from '@shared/schemas/alert.schema';
import type { Incident } from '@shared/schemas/incident.schema';
import type { Reading } from '@shared/schemas/reading.schema';
import type { Sensor } from '@shared/schemas/sensor.schema';
import type { CityVitals } from '@shared/schemas/vitals.schema';
import type { KpiRow, TimelineEntry, WorkerPosition, WorkOrder } from '@shared/schemas/workOrder.schema';

/** Typed domain events the services raise; realtime (and later the rule engine) listen. */
export interface DomainEventMap {
  /** Readings committed to the store for the first time (duplicates never appear here). */
  'readings.accepted': { readings: readonly Reading[] };
  /** A sensor registered itself by reporting (AUTO_REGISTER_SENSORS). */
  'sensor.registered': { sensor: Sensor };
  /** Sessions ended (logout, revocation, a user's rights changed): their sockets must go. */
  'sessions.revoked': { sessionIds: readonly string[] };
  /** A device credential was revoked or rotated: connections made with it must go. */
  'device.revoked': { credentialId: string };
  'alert.raised': { alert: Alert };
  'alert.updated': { alert: Alert };
  'incident.opened': { incident: Incident };
  'incident.updated': { incident: Incident };
  /** 立案: a new case. */
  'workOrder.created': { order: WorkOrder };
  /** A case changed (the entry says how); `previousAssigneeId` when it left a worker. */
  'workOrder.updated': { order: WorkOrder; entry: TimelineEntry; previousAssigneeId?: string };
  /** A grid worker's phone reported its position (on duty). */
  'worker.moved': { position: WorkerPosition; districtId: string };
  /** Today's KPIs, city-wide and per district (Asia/Shanghai day so far). */
  'kpis.updated': { from: number; to: number; city: KpiRow; districts: KpiRow[] };
  /** The wall's vital signs, of the city and of each district (its own figures only). */
  'vitals.updated': { city: CityVitals; districts: CityVitals[] };
  /** Rules were saved (a new version, a rule deleted): nodes reload the current set. */
  'rules.changed': Record<string, never>;
  /** Silences or inhibition rules changed: nodes reload them. */
  'suppression.changed': Record<string, never>;
  /** A device credential was issued or rotated: nodes reload the credentials. */
  'devices.changed': Record<string, never>;
  /** The dispatch policy changed: nodes reload it. */
  'policy.changed': Record<string, never>;
}

/** Events other nodes of a cluster hear too (see server/src/cluster/relay.ts). */
export const CLUSTER_EVENTS = [
  'alert.raised',
  'alert.updated',
  'incident.opened',
  'incident.updated',
  'workOrder.created',
  'workOrder.updated',
  'worker.moved',
  'sessions.revoked',
  'device.revoked',
  'sensor.registered',
  'rules.changed',
  'suppression.changed',
  'devices.changed',
  'policy.changed',
] as const satisfies ReadonlyArray<keyof DomainEventMap>;
export type ClusterEventType = (typeof CLUSTER_EVENTS)[number];

type Listener<K extends keyof DomainEventMap> = (event: DomainEventMap[K]) => void;

export interface ListenOptions {
  /**
   * Also hear this event when it happened on another node of the cluster (`emitRemote`).
   * Off by default: what a node pushes to its dashboards it pushes for its own events only
   * (the Socket.IO adapter carries it to the other nodes' dashboards).
   */
  remote?: boolean;
  /** Hear this event only when another node emitted it (caches that reload what this node already has). */
  remoteOnly?: boolean;
}

/**
 * A synchronous, in-process event bus. A listener that throws is reported to
 * `onListenerError` and does not stop the others or the publisher. In a cluster, `tap`
 * forwards this node's events to the others, which `emitRemote` them.
 */
export class DomainEvents {
  private readonly listeners = new Map<keyof DomainEventMap, Set<Listener<never>>>();
  private readonly remoteListeners = new Map<keyof DomainEventMap, Set<Listener<never>>>();
  private readonly taps = new Set<(type: keyof DomainEventMap, event: unknown) => void>();

  constructor(private readonly onListenerError: (event: string, err: unknown) => void = () => {}) {}

  on<K extends keyof DomainEventMap>(
    type: K,
    listener: Listener<K>,
    options: ListenOptions = {},
  ): () => void {
    const sets = options.remoteOnly
      ? [this.remoteListeners]
      : options.remote
        ? [this.listeners, this.remoteListeners]
        : [this.listeners];
    const added = sets.map((map) => {
      let set = map.get(type);
      if (!set) map.set(type, (set = new Set()));
      set.add(listener as Listener<never>);
      return set;
    });
    return () => {
      for (const set of added) set.delete(listener as Listener<never>);
    };
  }

  /** See every event this node emits (the cluster relay publishes them). */
  tap(fn: (type: keyof DomainEventMap, event: unknown) => void): () => void {
    this.taps.add(fn);
    return () => this.taps.delete(fn);
  }

  emit<K extends keyof DomainEventMap>(type: K, event: DomainEventMap[K]): void {
    this.deliver(this.listeners.get(type), type, event);
    for (const tap of this.taps) {
      try {
        tap(type, event);
      } catch (err) {
        this.onListenerError(type, err);
      }
    }
  }

  /** An event another node emitted: only listeners that asked for remote events hear it. */
  emitRemote<K extends keyof DomainEventMap>(type: K, event: DomainEventMap[K]): void {
    this.deliver(this.remoteListeners.get(type), type, event);
  }

  private deliver<K extends keyof DomainEventMap>(
    set: Set<Listener<never>> | undefined,
    type: K,
    event: DomainEventMap[K],
  ): void {
    if (!set) return;
    for (const l of set) {
      try {
        (l as Listener<K>)(event);
      } catch (err) {
        this.onListenerError(type, err);
      }
    }
  }
}
