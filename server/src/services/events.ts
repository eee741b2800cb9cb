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
}

type Listener<K extends keyof DomainEventMap> = (event: DomainEventMap[K]) => void;

/**
 * A synchronous, in-process event bus. A listener that throws is reported to
 * `onListenerError` and does not stop the others or the publisher.
 */
export class DomainEvents {
  private readonly listeners = new Map<keyof DomainEventMap, Set<Listener<never>>>();

  constructor(private readonly onListenerError: (event: string, err: unknown) => void = () => {}) {}

  on<K extends keyof DomainEventMap>(type: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  emit<K extends keyof DomainEventMap>(type: K, event: DomainEventMap[K]): void {
    const set = this.listeners.get(type);
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
