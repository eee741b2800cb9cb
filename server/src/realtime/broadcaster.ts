import type { Alert } from '@shared/schemas/alert.schema';
import type { Incident } from '@shared/schemas/incident.schema';
import type { LiveReading } from '@shared/schemas/live.schema';
import type { Reading } from '@shared/schemas/reading.schema';
import type { TimelineEntry, WorkOrder } from '@shared/schemas/workOrder.schema';
import type { CatalogService } from '../services/catalog.service';
import type { DomainEventMap, DomainEvents } from '../services/events';
import type { LiveService } from '../services/live.service';
import { NO_WORKER_POSITIONS_ROOM, type CityOpsIo } from './socketServer';

/** Socket.IO clients parse batches on the main thread: keep each well under ~1,000 items. */
const MAX_ITEMS_PER_BATCH = 1000;

interface RoomBuffer {
  /** Newest reading per sensor in this interval. */
  items: Map<string, LiveReading>;
  /** Readings seen in this interval before coalescing. */
  received: number;
}

export interface BroadcasterOptions {
  pushIntervalMs: number;
  statsIntervalMs: number;
}

/**
 * The one place that maps domain events to rooms. In a cluster (Socket.IO's Redis adapter)
 * events of this node — alerts, incidents, cases, positions — go to every node's dashboards
 * once, from here; what each node computes for itself (reading batches of the whole cluster,
 * KPIs, vitals, stats) goes to its own dashboards only (`io.local`). Readings are coalesced per
 * room (newest per sensor) and pushed every `pushIntervalMs` as volatile
 * batches — a slow client misses a batch rather than slowing everyone; alerts
 * go out at once, reliably (replayed after a brief disconnect), and so do the
 * once-a-second stats.
 */
export class Broadcaster {
  private readonly buffers = new Map<string, RoomBuffer>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    private readonly io: CityOpsIo,
    private readonly events: DomainEvents,
    private readonly catalog: CatalogService,
    private readonly live: LiveService,
    private readonly options: BroadcasterOptions,
  ) {}

  start(): void {
    this.unsubscribe.push(
      // Readings are pushed by every node to its own dashboards, those of the other nodes too
      // (they arrive over the cluster's readings stream): no reading travels the adapter.
      this.events.on('readings.accepted', (e) => this.onReadings(e.readings), { remote: true }),
      this.events.on('alert.raised', (e) => this.emitAlert('alert:raised', e.alert)),
      this.events.on('alert.updated', (e) => this.emitAlert('alert:updated', e.alert)),
      this.events.on('incident.opened', (e) => this.emitIncident('incident:opened', e.incident)),
      this.events.on('incident.updated', (e) => this.emitIncident('incident:updated', e.incident)),
      this.events.on('workOrder.created', (e) =>
        this.io.to(this.orderRooms(e.order)).emit('workOrder:created', e.order),
      ),
      this.events.on('workOrder.updated', (e) =>
        this.emitOrderChange(e.order, e.entry, e.previousAssigneeId),
      ),
      this.events.on('worker.moved', (e) =>
        this.io
          .to(['city', `district:${e.districtId}`])
          .except(NO_WORKER_POSITIONS_ROOM)
          .emit('worker:moved', e.position),
      ),
      this.events.on('kpis.updated', (e) => this.emitKpis(e)),
      this.events.on('vitals.updated', (e) => this.emitVitals(e)),
    );
    this.timers.push(setInterval(() => this.flush(), this.options.pushIntervalMs));
    // Stats are reliable (not volatile) on purpose: connection-state recovery can only resume a
    // session whose last reliable packet is still in the server's buffer, and reading batches are
    // volatile. A small reliable packet each second keeps every dashboard resumable.
    this.timers.push(
      setInterval(() => this.io.local.emit('stats:updated', this.live.stats()), this.options.statsIntervalMs),
    );
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    for (const u of this.unsubscribe) u();
    this.timers.length = 0;
    this.unsubscribe.length = 0;
  }

  private hasMembers(room: string): boolean {
    return (this.io.sockets.adapter.rooms.get(room)?.size ?? 0) > 0;
  }

  private add(room: string, r: Reading): void {
    if (!this.hasMembers(room)) return;
    let buf = this.buffers.get(room);
    if (!buf) this.buffers.set(room, (buf = { items: new Map(), received: 0 }));
    buf.received += 1;
    const prev = buf.items.get(r.sensorId);
    if (!prev || prev.observedAt <= r.observedAt) {
      buf.items.set(r.sensorId, {
        sensorId: r.sensorId,
        observedAt: r.observedAt,
        values: r.values,
        ...(r.quality ? { quality: r.quality } : {}),
      });
    }
  }

  private onReadings(readings: readonly Reading[]): void {
    for (const r of readings) {
      this.add('city', r);
      const s = this.catalog.sensor(r.sensorId);
      if (s?.districtId) this.add(`district:${s.districtId}`, r);
      if (s?.gridCellId) this.add(`cell:${s.gridCellId}`, r);
    }
  }

  /**
   * Push what each room collected since the last flush: one batch per room.
   * Above MAX_ITEMS_PER_BATCH the rest waits for the next flush, because a
   * second volatile emit in the same tick finds the transport still busy with
   * the first and Socket.IO silently drops it.
   */
  flush(): void {
    const buffers = [...this.buffers];
    this.buffers.clear();
    for (const [room, buf] of buffers) {
      const items = [...buf.items.values()];
      const batch = items.slice(0, MAX_ITEMS_PER_BATCH);
      this.io.local
        .to(room)
        .volatile.emit('readings:batch', { v: 'v1', room, items: batch, received: buf.received });
      if (items.length > MAX_ITEMS_PER_BATCH && this.hasMembers(room)) {
        const rest = new Map(items.slice(MAX_ITEMS_PER_BATCH).map((r) => [r.sensorId, r]));
        this.buffers.set(room, { items: rest, received: 0 });
      }
    }
  }

  private emitAlert(event: 'alert:raised' | 'alert:updated', alert: Alert): void {
    const rooms = ['city'];
    if (alert.districtId) rooms.push(`district:${alert.districtId}`);
    if (alert.gridCellId) rooms.push(`cell:${alert.gridCellId}`);
    this.io.to(rooms).emit(event, alert);
  }

  private orderRooms(order: WorkOrder): string[] {
    return ['city', `district:${order.districtId}`, `cell:${order.gridCellId}`];
  }

  /**
   * A case change goes to its city/district/cell rooms and to its worker's own room; a worker
   * who just got it is told separately (the phone rings), and one who lost it learns why.
   */
  private emitOrderChange(order: WorkOrder, entry: TimelineEntry, previousAssigneeId?: string): void {
    const rooms = this.orderRooms(order);
    if (order.assigneeId) rooms.push(`worker:${order.assigneeId}`);
    this.io.to(rooms).emit('workOrder:updated', { order, entry });
    const handedOver = entry.action === 'dispatch' || entry.action === 'reassign';
    if (handedOver && order.assigneeId)
      this.io.to(`worker:${order.assigneeId}`).emit('workOrder:assigned', order);
    if (previousAssigneeId)
      this.io.to(`worker:${previousAssigneeId}`).emit('workOrder:withdrawn', { order, entry });
    else if (entry.action === 'cancel' && order.assigneeId)
      this.io.to(`worker:${order.assigneeId}`).emit('workOrder:withdrawn', { order, entry });
  }

  /**
   * The city room gets every row; a district room only its own (as its headline and its one
   * district row): a district-limited wall never sees the other districts' figures. Each socket
   * is in one scope room, so nobody gets two payloads.
   */
  private emitKpis(e: DomainEventMap['kpis.updated']): void {
    this.io.local.to('city').emit('kpis:updated', e);
    for (const row of e.districts)
      this.io.local
        .to(`district:${row.key}`)
        .emit('kpis:updated', { from: e.from, to: e.to, city: row, districts: [row] });
  }

  /**
   * Vitals as KPIs: the city room gets the city's, a district room only its district's own
   * figures (computed from its sensors, alerts and cases), so a district-limited wall never sees
   * another district's. Reliable: a push may carry the trend, which the next ones leave out.
   */
  private emitVitals(e: DomainEventMap['vitals.updated']): void {
    if (this.hasMembers('city')) this.io.local.to('city').emit('vitals:updated', e.city);
    for (const v of e.districts) {
      if (v.scope.kind !== 'district') continue;
      const room = `district:${v.scope.id}`;
      if (this.hasMembers(room)) this.io.local.to(room).emit('vitals:updated', v);
    }
  }

  /** An incident goes to the city and to every district and cell it touches. */
  private emitIncident(event: 'incident:opened' | 'incident:updated', incident: Incident): void {
    const rooms = [
      'city',
      ...incident.districtIds.map((d) => `district:${d}`),
      ...incident.gridCellIds.map((c) => `cell:${c}`),
    ];
    this.io.to(rooms).emit(event, incident);
  }
}
