import { createHash, randomUUID } from 'node:crypto';
import { caseCategory, categoryForAlert, type Urgency } from '@shared/domain/caseCategories';
import { OPEN_ALERT_STATES, type Alert } from '@shared/schemas/alert.schema';
import type { AuditActor, AuditOrigin } from '@shared/schemas/audit.schema';
import type { LngLat } from '@shared/schemas/common.schema';
import type { GridCell } from '@shared/schemas/geo.schema';
import type { Incident } from '@shared/schemas/incident.schema';
import type { Worker } from '@shared/schemas/worker.schema';
import {
  OPEN_WORK_ORDER_STATES,
  WorkOrderPolicySchema,
  type DispatchFrom,
  type DispatchSuggestion,
  type Fix,
  type KpiResponse,
  type Photo,
  type TimelineEntry,
  type WorkerPosition,
  type WorkOrder,
  type WorkOrderCommand,
  type WorkOrderCreate,
  type WorkOrderPolicy,
  type WorkOrderSource,
} from '@shared/schemas/workOrder.schema';
import type { Neighbours } from '../domain/alerts/correlation';
import { pickAutoDispatch, rankWorkers } from '../domain/workOrders/dispatch';
import { computeKpis, type KpiOptions } from '../domain/workOrders/kpi';
import { onDuty } from '../domain/workOrders/roster';
import { DEFAULT_POLICY } from '../domain/workOrders/sla';
import {
  decide,
  markOverdue,
  offlineAgeRefusal,
  registerCase,
  replayedEntry,
  SYSTEM_ACTOR,
  type Actor,
  type NewCase,
  type Refusal,
} from '../domain/workOrders/stateMachine';
import { AlertActionError, type AlertingService } from './alerting.service';
import type { AuditService } from './audit.service';
import type { CatalogService } from './catalog.service';
import type { DomainEvents } from './events';
import type { IncidentService } from './incidents.service';
import { probePhoto, PhotoRejected } from './photoProbe';
import type {
  PhotoRepository,
  SettingsRepository,
  WorkerPositionRepository,
  WorkOrderFilter,
  WorkOrderRepository,
} from './ports';
import { shanghaiDate, shanghaiDayStart } from '@shared/domain/shanghaiTime';

/** A refused work-order action: the API error code, a machine-readable reason, words, and the field. */
export class WorkOrderError extends Error {
  constructor(
    readonly code:
      | 'not_found'
      | 'forbidden'
      | 'conflict'
      | 'invalid_request'
      | 'payload_too_large'
      | 'unsupported_media_type',
    readonly reason: string,
    message: string,
    readonly path?: string,
  ) {
    super(message);
    this.name = 'WorkOrderError';
  }
}

const fromRefusal = (r: Refusal) => new WorkOrderError(r.code, r.reason, r.message, r.path);

/**
 * The part of the city a dispatcher acts on (their districts): the workers they may hand a case
 * to, and the cells they reach. Omitted: the whole city.
 */
export interface CallerReach {
  worker(worker: Worker): boolean;
  cell(cell: { id: string; districtId: string }): boolean;
}

export interface WorkOrderSettings {
  /** How often stage deadlines are checked, ms; 0: only when `tick()` is called (virtual time). */
  tickMs: number;
  /** Largest photo accepted, bytes. */
  maxPhotoBytes: number;
  /** KPI pushes to the wall at most this often, ms; 0: only when `pushKpis()` is called. */
  kpiPushMs: number;
}

export interface WorkOrderDeps {
  orders: WorkOrderRepository;
  photos: PhotoRepository;
  positions: WorkerPositionRepository;
  settingsRepo: SettingsRepository;
  catalog: CatalogService;
  alerting: AlertingService;
  incidents: IncidentService;
  audit: AuditService;
  events: DomainEvents;
  neighbours: Neighbours;
  clock: () => number;
  settings: WorkOrderSettings;
  onError: (message: string, err: unknown) => void;
  /** In a cluster: whether this node leads (only the leader checks deadlines). Absent: always. */
  isLeader?: () => boolean;
}

const POLICY_KEY = 'work-order-policy';
/** `dispatchTo` of a one-action dispatch without a named worker: the best suggestion, if it fits. */
const BEST = 'best';
const SYSTEM_ORIGIN: AuditOrigin = { via: 'system' };
/** Who the service's own repairs are recorded as (the audit names system actions so too). */
const SYSTEM_ACTOR_ID = 'workOrders';
/** A lost compare-and-set is retried this many times (another node or request changed the case meanwhile). */
const MAX_CAS_RETRIES = 5;
/** Closed cases remembered so a late, older write cannot put them back in the open mirror. */
const MAX_GONE = 10_000;
/** States in which a case is in a worker's hands: handing it on from there withdraws it from them. */
const WITH_WORKER: readonly WorkOrder['state'][] = ['dispatched', 'accepted', 'handling'];
const DAY_MS = 86_400_000;

function auditActorOf(actor: Actor): AuditActor {
  return actor.role === 'system'
    ? { type: 'system', id: 'workOrders' }
    : { type: 'user', id: actor.id, role: actor.role };
}

/**
 * 案卷 use cases: register (from an operator, an alert, an incident, a citizen, a worker's
 * patrol), dispatch with ranked suggestions, every state-machine command (validated,
 * attributed, audited, announced), stage timers with overdue flags, photos, worker
 * positions, the dispatch policy and KPIs. Open cases are mirrored in memory for the
 * timers and the workers' loads; the store decides conflicts (version compare-and-set).
 */
export class WorkOrderService {
  private policy: WorkOrderPolicy = DEFAULT_POLICY;
  private readonly open = new Map<string, WorkOrder>();
  /** Ids of cases seen closed, evaluated or cancelled (final states), oldest first. */
  private readonly gone = new Set<string>();
  private readonly positions = new Map<string, WorkerPosition>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly unfollow: Array<() => void> = [];
  private kpiDirty = false;
  private ticking = false;
  private pushing = false;

  constructor(private readonly deps: WorkOrderDeps) {}

  async start(): Promise<void> {
    const stored = await this.deps.settingsRepo.get<unknown>(POLICY_KEY);
    if (stored) {
      const parsed = WorkOrderPolicySchema.safeParse(stored.data);
      if (parsed.success) this.policy = parsed.data;
      else this.deps.onError('stored work-order policy is invalid; using the defaults', parsed.error);
    }
    this.open.clear();
    this.gone.clear();
    for (const o of await this.deps.orders.listOpen()) this.mirror(o);
    for (const p of await this.deps.positions.list()) this.positions.set(p.workerId, p);
    this.followCluster();
    const { tickMs, kpiPushMs } = this.deps.settings;
    if (tickMs > 0)
      this.timers.push(
        setInterval(() => {
          // In a cluster only the leader checks deadlines (the version check would make a second
          // checker harmless, but not free).
          if (this.deps.isLeader?.() ?? true) void this.tick();
        }, tickMs),
      );
    if (kpiPushMs > 0)
      this.timers.push(
        setInterval(() => {
          if (this.kpiDirty) void this.pushKpis();
        }, kpiPushMs),
      );
  }

  /**
   * A case is stored first and its alerts linked to it by further writes: a process killed
   * between them leaves an open case its alerts do not point to (the wall shows them
   * undispatched, and a new dispatch is refused by the one-open-case-per-alert index). Called
   * once at start, after the node joined its cluster (so the others hear of the repair): links
   * every open case's alert again where it is not, and the open alerts of its incident that no
   * case handles. Linking is idempotent, so nodes repairing at once write each link once.
   * Returns how many alerts it linked.
   */
  async relinkAlerts(): Promise<number> {
    let linked = 0;
    const link = async (alert: Alert, order: WorkOrder) => {
      try {
        await this.deps.alerting.linkWorkOrder(alert.id, order.id, { id: SYSTEM_ACTOR_ID }, (current) =>
          this.replaceable(current),
        );
        linked += 1;
        this.deps.onError(
          `alert ${alert.id} was not linked to its case ${order.id} (a dispatch cut off); linked now`,
          null,
        );
      } catch (err) {
        if (!(err instanceof AlertActionError)) throw err;
      }
    };
    for (const order of [...this.open.values()]) {
      if (order.alertId) {
        const alert = await this.deps.alerting.find(order.alertId);
        if (alert && alert.state !== 'closed' && alert.workOrderId !== order.id) await link(alert, order);
      }
      if (order.incidentId) {
        for (const alert of await this.deps.incidents.alertsOf(order.incidentId)) {
          if (alert.state !== 'closed' && !alert.workOrderId && alert.id !== order.alertId)
            await link(alert, order);
        }
      }
    }
    return linked;
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    for (const u of this.unfollow.splice(0)) u();
  }

  /** Cases, positions and the policy changed on other nodes of a cluster reach this node's mirror. */
  private followCluster(): void {
    const { events } = this.deps;
    const remote = { remoteOnly: true };
    const changed = (e: { order: WorkOrder }) => {
      this.mirror(e.order);
      this.kpiDirty = true;
    };
    this.unfollow.push(
      events.on('workOrder.created', changed, remote),
      events.on('workOrder.updated', changed, remote),
      events.on('worker.moved', (e) => this.positions.set(e.position.workerId, e.position), remote),
      events.on(
        'policy.changed',
        () => {
          void this.deps.settingsRepo.get<unknown>(POLICY_KEY).then((stored) => {
            const parsed = WorkOrderPolicySchema.safeParse(stored?.data);
            if (parsed.success) this.policy = parsed.data;
          });
        },
        remote,
      ),
    );
  }

  // ── policy ────────────────────────────────────────────────────────────────

  currentPolicy(): WorkOrderPolicy {
    return this.policy;
  }

  async setPolicy(policy: WorkOrderPolicy, actor: Actor, origin: AuditOrigin): Promise<WorkOrderPolicy> {
    const before = this.policy;
    await this.deps.settingsRepo.put(POLICY_KEY, {
      data: policy,
      updatedAt: this.deps.clock(),
      updatedBy: actor.id,
    });
    this.policy = policy;
    this.deps.events.emit('policy.changed', {});
    await this.deps.audit.record({
      actor: auditActorOf(actor),
      action: 'workOrder.policy.change',
      target: { type: 'setting', id: POLICY_KEY },
      before: { ...before },
      after: { ...policy },
      origin,
    });
    return policy;
  }

  // ── reading ───────────────────────────────────────────────────────────────

  find(id: string): Promise<WorkOrder | null> {
    return this.deps.orders.find(id);
  }

  query(filter: WorkOrderFilter): Promise<{ items: WorkOrder[]; total: number }> {
    return this.deps.orders.query(filter);
  }

  /** Open cases in memory (the wall's pipeline, the workers' loads). */
  openOrders(): WorkOrder[] {
    return [...this.open.values()];
  }

  /**
   * Keep the open mirror in step with a version of a case read or written: an older version than
   * the one held is ignored, a case no longer open leaves for good (closed, evaluated and
   * cancelled are final, so any open version arriving later is an older one).
   */
  private mirror(order: WorkOrder): void {
    if (!OPEN_WORK_ORDER_STATES.includes(order.state)) {
      this.open.delete(order.id);
      this.gone.add(order.id);
      if (this.gone.size > MAX_GONE) {
        const oldest = this.gone.values().next();
        if (!oldest.done) this.gone.delete(oldest.value);
      }
      return;
    }
    if (this.gone.has(order.id)) return;
    const held = this.open.get(order.id);
    if (held && held.version >= order.version) return;
    this.open.set(order.id, order);
  }

  /** The linked alert of a case and whether its sensor is still breaching (shown to the verifier). */
  async alertOf(order: WorkOrder): Promise<Alert | null> {
    return order.alertId ? this.deps.alerting.find(order.alertId) : null;
  }

  alertById(id: string): Promise<Alert | null> {
    return this.deps.alerting.find(id);
  }

  incidentById(id: string): Promise<Incident | null> {
    return this.deps.incidents.find(id);
  }

  /** A grid worker's tasks: open cases assigned to them (soonest due first), then those finished this week. */
  async tasksOf(workerId: string): Promise<{ items: WorkOrder[] }> {
    const open = [...this.open.values()]
      .filter((o) => o.assigneeId === workerId && o.state !== 'returned' && o.state !== 'escalated')
      .sort((a, b) => (a.dueAt ?? Infinity) - (b.dueAt ?? Infinity));
    const done = await this.deps.orders.query({
      assigneeId: workerId,
      states: ['closed', 'evaluated', 'cancelled'],
      // Finished recently, however long ago the case was registered.
      updatedFrom: this.deps.clock() - 7 * DAY_MS,
      limit: 50,
      offset: 0,
    });
    return { items: [...open, ...done.items] };
  }

  photo(id: string): Promise<Photo | null> {
    return this.deps.photos.find(id);
  }

  photoBytes(id: string): Promise<Buffer | null> {
    return this.deps.photos.bytes(id);
  }

  // ── dispatch suggestions ──────────────────────────────────────────────────

  private loads(): Map<string, number> {
    const loads = new Map<string, number>();
    for (const o of this.open.values())
      // A reported, escalated or returned case waits on someone else than its worker.
      if (o.assigneeId && o.state !== 'reported' && o.state !== 'escalated' && o.state !== 'returned')
        loads.set(o.assigneeId, (loads.get(o.assigneeId) ?? 0) + 1);
    return loads;
  }

  /** Workers for a site, best first, with the reasons; only those in the caller's reach, if given. */
  suggestFor(
    site: { location: LngLat; gridCellId: string; districtId: string; category: string },
    limit = 5,
    reach?: CallerReach,
  ): DispatchSuggestion[] {
    const workers = this.deps.catalog.listWorkers();
    return rankWorkers({
      site: { ...site, skill: caseCategory(site.category)?.skill ?? null },
      workers: reach ? workers.filter((w) => reach.worker(w)) : workers,
      neighbourCells: this.deps.neighbours.get(site.gridCellId) ?? new Set(),
      now: this.deps.clock(),
      positions: this.positions,
      loads: this.loads(),
      limit,
    });
  }

  // ── positions ─────────────────────────────────────────────────────────────

  listPositions(): WorkerPosition[] {
    return [...this.positions.values()];
  }

  /** A grid worker's phone reports where it is (only while on duty: off duty is private). */
  async reportPosition(workerId: string, fix: Fix): Promise<WorkerPosition> {
    const worker = this.deps.catalog.worker(workerId);
    if (!worker) throw new WorkOrderError('not_found', 'unknown-worker', `no worker ${workerId}`);
    const now = this.deps.clock();
    if (!onDuty(worker.shift, now))
      throw new WorkOrderError(
        'conflict',
        'off-duty',
        `worker ${workerId} is off duty (shift ${worker.shift.start}–${worker.shift.end}); positions are kept only on duty`,
      );
    const position: WorkerPosition = {
      workerId,
      location: fix.location,
      ...(fix.accuracyM !== undefined ? { accuracyM: fix.accuracyM } : {}),
      at: now,
    };
    await this.deps.positions.save(position);
    this.positions.set(workerId, position);
    this.deps.events.emit('worker.moved', { position, districtId: worker.districtId });
    return position;
  }

  // ── photos ────────────────────────────────────────────────────────────────

  /** Store an uploaded photo (type checked from its bytes; EXIF position and time kept). */
  async uploadPhoto(
    bytes: Buffer,
    declaredMime: string | undefined,
    actor: Actor,
    extra: { clientKey?: string; fix?: Fix; takenAt?: number },
  ): Promise<Photo> {
    let facts;
    try {
      facts = await probePhoto(bytes, declaredMime, this.deps.settings.maxPhotoBytes);
    } catch (err) {
      if (err instanceof PhotoRejected) {
        const code =
          err.reason === 'too_large'
            ? 'payload_too_large'
            : err.reason === 'unsupported_type'
              ? 'unsupported_media_type'
              : 'invalid_request';
        throw new WorkOrderError(code, err.reason, err.message);
      }
      throw err;
    }
    const location = facts.location ?? extra.fix?.location;
    const takenAt = facts.takenAt ?? extra.takenAt;
    const photo: Photo = {
      id: `PH-${randomUUID()}`,
      workOrderId: null,
      uploadedBy: actor.id,
      uploadedAt: this.deps.clock(),
      mime: facts.mime,
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      ...(location ? { location, locationSource: facts.location ? 'exif' : 'device' } : {}),
      ...(takenAt !== undefined
        ? { takenAt, takenAtSource: facts.takenAt !== undefined ? 'exif' : 'device' }
        : {}),
    };
    const key = extra.clientKey ? `${actor.id}:${extra.clientKey}` : undefined;
    return (await this.deps.photos.insert(photo, bytes, key)).photo;
  }

  /** Photos named by a command must exist, be the actor's own (or an operator's), and not belong to another case. */
  private async checkPhotos(ids: readonly string[], actor: Actor, orderId: string | null): Promise<void> {
    for (const [i, id] of ids.entries()) {
      const photo = await this.deps.photos.find(id);
      if (!photo)
        throw new WorkOrderError('invalid_request', 'unknown-photo', `no photo ${id}`, `photoIds.${i}`);
      if (photo.uploadedBy !== actor.id && actor.role === 'worker')
        throw new WorkOrderError(
          'forbidden',
          'not-your-photo',
          `photo ${id} was uploaded by someone else`,
          `photoIds.${i}`,
        );
      if (photo.workOrderId !== null && photo.workOrderId !== orderId)
        throw new WorkOrderError(
          'conflict',
          'photo-attached',
          `photo ${id} belongs to case ${photo.workOrderId}`,
          `photoIds.${i}`,
        );
    }
  }

  // ── registering ───────────────────────────────────────────────────────────

  /** The grid cell containing a point, or a refusal naming the field. */
  private cellAt(location: LngLat, path: string): GridCell {
    const cell = this.deps.catalog.cellAt(location);
    if (!cell)
      throw new WorkOrderError(
        'invalid_request',
        'outside-grid',
        `[${location.join(', ')}] is outside the city's grid cells`,
        path,
      );
    return cell;
  }

  private async newId(at: number): Promise<string> {
    const day = shanghaiDate(at).replaceAll('-', '');
    const n = await this.deps.orders.nextNumber(day);
    return `WO-${day}-${String(n).padStart(4, '0')}`;
  }

  /**
   * 立案: store a new case, attach its photos, announce it. A case for an alert that already has
   * an open case is refused (the store decides: two clicks at once make one case).
   */
  private async store(
    input: Omit<NewCase, 'id'>,
    actor: Actor,
    origin: AuditOrigin,
  ): Promise<{ order: WorkOrder; created: boolean }> {
    const now = this.deps.clock();
    const order = registerCase({ ...input, id: await this.newId(now) }, actor, { now, policy: this.policy });
    const key = input.actionId ? `${actor.id}:${input.actionId}` : undefined;
    const stored = await this.deps.orders.insert(order, key);
    if (!stored.inserted) {
      if (stored.conflict === 'open-alert')
        throw alreadyDispatched(`alert ${input.alertId ?? ''}`, stored.order);
      return { order: stored.order, created: false };
    }
    if (order.photoIds.length) await this.deps.photos.attach(order.photoIds, order.id);
    this.mirror(order);
    await this.deps.audit.record({
      actor: auditActorOf(actor),
      action: 'workOrder.register',
      target: { type: 'workOrder', id: order.id },
      after: {
        source: order.source,
        category: order.category,
        urgency: order.urgency,
        gridCellId: order.gridCellId,
      },
      origin,
    });
    this.deps.events.emit('workOrder.created', { order });
    this.kpiDirty = true;
    return { order, created: true };
  }

  /**
   * A new case's first dispatch: to `dispatchTo` (a worker id, or `best`: the best suggestion in
   * the caller's reach if it fits), or else automatically when the policy says so.
   */
  private dispatchNew(
    order: WorkOrder,
    actor: Actor,
    origin: AuditOrigin,
    dispatchTo?: string,
    reach?: CallerReach,
  ): Promise<WorkOrder> {
    if (dispatchTo && dispatchTo !== BEST)
      return this.command(order.id, { action: 'dispatch', assigneeId: dispatchTo }, actor, origin, reach);
    if (dispatchTo === BEST) return this.dispatchBest(order, actor, origin, reach);
    if (this.policy.autoDispatch.includes(order.category))
      return this.dispatchBest(order, SYSTEM_ACTOR, SYSTEM_ORIGIN);
    return Promise.resolve(order);
  }

  /**
   * Dispatch to the best suggestion, only if it covers the cell or a neighbour, is on duty and has the
   * skill; otherwise the case waits for a dispatcher. Auto-dispatch (the system) says why in the note.
   */
  private async dispatchBest(
    order: WorkOrder,
    actor: Actor,
    origin: AuditOrigin,
    reach?: CallerReach,
  ): Promise<WorkOrder> {
    const pick = pickAutoDispatch(this.suggestFor(order, 1, reach));
    if (!pick) return order;
    return this.command(
      order.id,
      {
        action: 'dispatch',
        assigneeId: pick.workerId,
        ...(actor === SYSTEM_ACTOR
          ? { note: `auto-dispatch: ${pick.reasons.map((r) => r.zh).join('，')}` }
          : {}),
      },
      actor,
      origin,
      reach,
    );
  }

  /** A worker a caller may hand a case to: on the roster (else 400) and in their reach (else 403). */
  private checkAssignee(workerId: string, reach: CallerReach | undefined): void {
    const worker = this.deps.catalog.worker(workerId);
    if (!worker)
      throw new WorkOrderError('invalid_request', 'unknown-worker', `no worker ${workerId}`, 'assigneeId');
    if (reach && !reach.worker(worker))
      throw new WorkOrderError(
        'forbidden',
        'outside-reach',
        `worker ${workerId} is outside your assigned area`,
        'assigneeId',
      );
  }

  /**
   * 立案 by an operator, or 巡查上报 (a problem a grid worker found on patrol). A create repeated
   * with the same `actionId` (an offline queue replaying after a lost answer) returns the case the
   * first one made, before anything else is checked or a case number is spent.
   */
  async create(
    input: WorkOrderCreate,
    actor: Actor,
    origin: AuditOrigin,
    reach?: CallerReach,
  ): Promise<WorkOrder> {
    if (input.actionId) {
      const made = await this.deps.orders.findByCreateKey(`${actor.id}:${input.actionId}`);
      if (made) return made;
    }
    const source: WorkOrderSource = actor.role === 'worker' ? 'worker' : 'operator';
    if (source === 'worker' && input.assigneeId)
      throw new WorkOrderError(
        'forbidden',
        'role',
        'a grid worker reports a problem; a dispatcher assigns it',
        'assigneeId',
      );
    const tooOld = offlineAgeRefusal(input.doneAt, actor, this.deps.clock());
    if (tooOld) throw fromRefusal(tooOld);
    if (input.sensorId && !this.deps.catalog.sensor(input.sensorId))
      throw new WorkOrderError(
        'invalid_request',
        'unknown-sensor',
        `no sensor ${input.sensorId}`,
        'sensorId',
      );
    if (input.assigneeId) this.checkAssignee(input.assigneeId, reach);
    const cell = this.cellAt(input.location, 'location');
    await this.checkPhotos(input.photoIds, actor, null);
    const { order, created } = await this.store(
      {
        source,
        ...(source === 'worker' && actor.workerId ? { sourceRef: actor.workerId } : {}),
        category: input.category,
        ...(input.urgency ? { urgency: input.urgency } : {}),
        title: input.title,
        ...(input.description ? { description: input.description } : {}),
        ...(input.address ? { address: input.address } : {}),
        location: input.location,
        gridCellId: cell.id,
        districtId: cell.districtId,
        ...(input.sensorId ? { sensorId: input.sensorId } : {}),
        photoIds: input.photoIds,
        ...(input.actionId ? { actionId: input.actionId } : {}),
        ...(input.doneAt !== undefined ? { doneAt: input.doneAt } : {}),
      },
      actor,
      origin,
    );
    // A create that lost a race with its own replay got the first one's case: nothing more to do.
    if (!created) return order;
    return this.dispatchNew(order, actor, origin, input.assigneeId, reach);
  }

  /** A citizen's report (Open311 / 12345): registered, then auto-dispatched if the policy says so. */
  async createCitizenCase(
    input: {
      category: string;
      title: string;
      description?: string;
      address?: string;
      location: LngLat;
      sourceRef?: string;
    },
    origin: AuditOrigin,
  ): Promise<WorkOrder> {
    const cell = this.cellAt(input.location, 'lat');
    const actor: Actor = { id: 'open311', name: '12345 市民', role: 'system', workerId: null };
    const { order } = await this.store(
      { ...input, source: 'citizen', gridCellId: cell.id, districtId: cell.districtId },
      actor,
      origin,
    );
    return this.dispatchNew(order, actor, origin);
  }

  /**
   * 一键派单: a case from an alert, linked both ways, dispatched at once. The worker is checked
   * before anything is stored; the link is made before the dispatch, so a failed dispatch leaves
   * a linked case waiting for a dispatcher, never an orphan.
   */
  async dispatchAlert(
    alertId: string,
    body: DispatchFrom,
    actor: Actor,
    origin: AuditOrigin,
    reach?: CallerReach,
  ): Promise<WorkOrder> {
    const alert = await this.deps.alerting.find(alertId);
    if (!alert) throw new WorkOrderError('not_found', 'not-found', `alert ${alertId} not found`);
    if (alert.state === 'closed') throw new WorkOrderError('conflict', 'state', `alert ${alertId} is closed`);
    this.refuseIfDispatched(alert.workOrderId, `alert ${alertId}`);
    if (body.assigneeId) this.checkAssignee(body.assigneeId, reach);
    const sensor = alert.subject.type === 'sensor' ? this.deps.catalog.sensor(alert.subject.id) : undefined;
    const where = this.siteOf(alert.location, alert.gridCellId, alert.districtId);
    const category = body.category ?? categoryForAlert(sensor?.subtype, alert.metric).id;
    const { order } = await this.store(
      {
        source: 'alert',
        sourceRef: alert.id,
        category,
        ...(body.urgency ? { urgency: body.urgency } : urgencyOf(alert)),
        title: alert.title.zh,
        description: `${alert.title.en}${alert.value !== undefined ? ` (${alert.metric} ${alert.value})` : ''}`,
        ...where,
        ...(sensor ? { sensorId: sensor.id } : {}),
        alertId: alert.id,
        ...(alert.incidentId ? { incidentId: alert.incidentId } : {}),
        ...(body.note ? { note: body.note } : {}),
      },
      actor,
      origin,
    );
    await this.linkAlerts([alert.id], order, actor, origin);
    return this.dispatchNew(order, actor, origin, body.assigneeId ?? BEST, reach);
  }

  /**
   * 一键派单 for an incident: one case for the group, linked to its open alerts. A caller limited
   * to some districts reaches the incident only if the case's site is in them (404 otherwise).
   */
  async dispatchIncident(
    incidentId: string,
    body: DispatchFrom,
    actor: Actor,
    origin: AuditOrigin,
    reach?: CallerReach,
  ): Promise<WorkOrder> {
    const incident = await this.deps.incidents.find(incidentId);
    if (!incident) throw new WorkOrderError('not_found', 'not-found', `incident ${incidentId} not found`);
    const alerts = (await this.deps.incidents.alertsOf(incidentId)).filter((a) => a.state !== 'closed');
    const first = alerts[0];
    const where = this.siteOf(
      incident.location ?? first?.location,
      incident.gridCellIds[0],
      incident.districtIds[0],
    );
    if (reach && !reach.cell({ id: where.gridCellId, districtId: where.districtId }))
      throw new WorkOrderError('not_found', 'not-found', `incident ${incidentId} not found`);
    if (incident.state !== 'open')
      throw new WorkOrderError('conflict', 'state', `incident ${incidentId} is ${incident.state}`);
    for (const a of alerts) this.refuseIfDispatched(a.workOrderId, `incident ${incidentId}`);
    if (body.assigneeId) this.checkAssignee(body.assigneeId, reach);
    const sensor = first?.subject.type === 'sensor' ? this.deps.catalog.sensor(first.subject.id) : undefined;
    const { order } = await this.store(
      {
        source: 'incident',
        sourceRef: incident.id,
        category: body.category ?? categoryForAlert(sensor?.subtype, first?.metric).id,
        ...(body.urgency ? { urgency: body.urgency } : first ? urgencyOf(first) : {}),
        title: incident.title.zh,
        description: `${incident.title.en} · ${alerts.length} alerts`,
        ...where,
        incidentId: incident.id,
        ...(first ? { alertId: first.id } : {}),
        ...(body.note ? { note: body.note } : {}),
      },
      actor,
      origin,
    );
    await this.linkAlerts(
      alerts.map((a) => a.id),
      order,
      actor,
      origin,
    );
    return this.dispatchNew(order, actor, origin, body.assigneeId ?? BEST, reach);
  }

  /**
   * Link a new case's alerts to it. An alert another open case got meanwhile makes this case a
   * duplicate: it is cancelled as such and the dispatch refused (409). An alert closed meanwhile
   * simply stays unlinked.
   */
  private async linkAlerts(
    alertIds: readonly string[],
    order: WorkOrder,
    actor: Actor,
    origin: AuditOrigin,
  ): Promise<void> {
    for (const alertId of alertIds) {
      try {
        await this.deps.alerting.linkWorkOrder(alertId, order.id, { id: actor.id }, (current) =>
          this.replaceable(current),
        );
      } catch (err) {
        if (!(err instanceof AlertActionError)) throw err;
        if (err.reason !== 'linked') continue;
        await this.command(
          order.id,
          { action: 'cancel', reason: 'duplicate', note: err.message },
          actor,
          origin,
        );
        throw new WorkOrderError('conflict', 'already-dispatched', err.message);
      }
    }
  }

  /** An alert's link to a case may move to a new case once that one is no longer open. */
  private replaceable(workOrderId: string): boolean {
    return !this.open.has(workOrderId);
  }

  private refuseIfDispatched(workOrderId: string | undefined, what: string): void {
    if (!workOrderId) return;
    const existing = this.open.get(workOrderId);
    if (existing) throw alreadyDispatched(what, existing);
  }

  /** Where a case about an alert or incident is: its position and cell, else the cell's or district's centre. */
  private siteOf(
    location: LngLat | undefined,
    gridCellId: string | undefined,
    districtId: string | undefined,
  ): { location: LngLat; gridCellId: string; districtId: string } {
    const cell = gridCellId ? this.deps.catalog.gridCell(gridCellId) : undefined;
    if (cell)
      return { location: location ?? cell.centroid, gridCellId: cell.id, districtId: cell.districtId };
    const point = location ?? (districtId ? this.deps.catalog.district(districtId)?.centroid : undefined);
    if (!point)
      throw new WorkOrderError(
        'invalid_request',
        'no-location',
        'the alert has no location, cell or district',
      );
    const at = this.cellAt(point, 'location');
    return { location: point, gridCellId: at.id, districtId: at.districtId };
  }

  // ── commands ──────────────────────────────────────────────────────────────

  private workerExists(id: string): boolean {
    return this.deps.catalog.worker(id) !== undefined;
  }

  private async mustFind(id: string): Promise<WorkOrder> {
    const order = await this.deps.orders.find(id);
    if (!order) throw new WorkOrderError('not_found', 'not-found', `work order ${id} not found`);
    return order;
  }

  /**
   * One state-machine command: decided on the stored case, written with a compare-and-set
   * (retried on a lost race), audited and announced. A command repeated with the same
   * `actionId` (an offline queue replaying after a lost answer) returns the case unchanged. A
   * caller limited to some districts dispatches and reassigns only to workers of theirs.
   */
  async command(
    id: string,
    command: WorkOrderCommand,
    actor: Actor,
    origin: AuditOrigin,
    reach?: CallerReach,
  ): Promise<WorkOrder> {
    if (command.action === 'report') await this.checkPhotos(command.photoIds, actor, id);
    if (command.action === 'dispatch' || command.action === 'reassign')
      this.checkAssignee(command.assigneeId, reach);
    for (let attempt = 0; ; attempt++) {
      const order = await this.mustFind(id);
      if (replayedEntry(order, actor.id, command.actionId)) return order;
      const alert = command.action === 'verify' ? await this.alertOf(order) : null;
      const decision = decide(order, command, actor, {
        now: this.deps.clock(),
        policy: this.policy,
        workerExists: (w) => this.workerExists(w),
        alertStillOpen: alert !== null && OPEN_ALERT_STATES.includes(alert.state),
      });
      if (!decision.ok) throw fromRefusal(decision.refusal);
      if (!(await this.deps.orders.update(decision.order))) {
        if (attempt < MAX_CAS_RETRIES) continue;
        throw new WorkOrderError('conflict', 'busy', `work order ${id} keeps changing; try again`);
      }
      await this.after(order, decision.order, decision.entry, actor, origin);
      return decision.order;
    }
  }

  /**
   * Side effects of a stored change: photos, the mirror, announcements, audit, then the linked
   * alerts on close — the change is stored, so a failure there is logged, never answered as one.
   */
  private async after(
    before: WorkOrder,
    order: WorkOrder,
    entry: TimelineEntry,
    actor: Actor,
    origin: AuditOrigin,
  ): Promise<void> {
    if (entry.action === 'report' && order.photoIds.length)
      await this.deps.photos.attach(order.photoIds, order.id);
    this.mirror(order);
    this.deps.events.emit('workOrder.updated', {
      order,
      entry,
      // Only a worker who still had the case in hand is told it was withdrawn; one who returned it,
      // or whose case went to a department, gave it up already.
      ...(before.assigneeId && before.assigneeId !== order.assigneeId && WITH_WORKER.includes(before.state)
        ? { previousAssigneeId: before.assigneeId }
        : {}),
    });
    this.kpiDirty = true;
    await this.deps.audit.record({
      actor: auditActorOf(actor),
      action: `workOrder.${entry.action}`,
      target: { type: 'workOrder', id: order.id },
      before: { state: before.state, assigneeId: before.assigneeId ?? null },
      after: {
        state: order.state,
        assigneeId: order.assigneeId ?? null,
        ...(entry.note ? { note: entry.note } : {}),
        ...(entry.data ?? {}),
      },
      origin,
    });
    if (order.state === 'closed' && before.state !== 'closed')
      await this.closeLinkedAlerts(order, actor).catch((err: unknown) =>
        this.deps.onError(`closing the alerts of ${order.id} failed`, err),
      );
  }

  /** 结案 closes the alerts the case was dispatched for (an alert still firing closes too; the verifier was told). */
  private async closeLinkedAlerts(order: WorkOrder, actor: Actor): Promise<void> {
    const ids = new Set<string>();
    if (order.alertId) ids.add(order.alertId);
    if (order.incidentId)
      for (const a of await this.deps.incidents.alertsOf(order.incidentId))
        if (a.workOrderId === order.id) ids.add(a.id);
    for (const alertId of ids) {
      try {
        await this.deps.alerting.closeByWorkOrder(alertId, order.id, { id: actor.id });
      } catch (err) {
        // Already closed (by an operator, or the rule removed): nothing left to do.
        if (!(err instanceof AlertActionError)) throw err;
      }
    }
  }

  // ── timers and KPIs ───────────────────────────────────────────────────────

  /** Flag cases whose current stage ran out of time (once per stage). A check still running is not overlapped. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const now = this.deps.clock();
      for (const order of [...this.open.values()]) {
        if (order.dueAt === null || order.overdueAt !== null || order.dueAt > now) continue;
        try {
          const fresh = await this.mustFind(order.id);
          const flagged = markOverdue(fresh, now);
          if (!flagged) {
            // Moved on meanwhile (here or on another node): the mirror learns the newer version.
            this.mirror(fresh);
            continue;
          }
          if (await this.deps.orders.update(flagged.order))
            await this.after(fresh, flagged.order, flagged.entry, SYSTEM_ACTOR, SYSTEM_ORIGIN);
        } catch (err) {
          this.deps.onError(`overdue check of ${order.id} failed`, err);
        }
      }
    } finally {
      this.ticking = false;
    }
  }

  async kpis(
    opts: KpiOptions & { districtIds?: readonly string[]; category?: string },
  ): Promise<KpiResponse> {
    let orders = await this.deps.orders.forKpis(opts.from, opts.to);
    if (opts.districtIds) orders = orders.filter((o) => opts.districtIds?.includes(o.districtId));
    if (opts.category) orders = orders.filter((o) => o.category === opts.category);
    return { from: opts.from, to: opts.to, groupBy: opts.groupBy, rows: computeKpis(orders, opts) };
  }

  /**
   * Today's KPIs (Asia/Shanghai day so far), city-wide and per district, to the wall. A push
   * asked for while one is running runs at the next interval instead.
   */
  async pushKpis(): Promise<void> {
    if (this.pushing) {
      this.kpiDirty = true;
      return;
    }
    this.pushing = true;
    this.kpiDirty = false;
    const now = this.deps.clock();
    const from = shanghaiDayStart(now);
    try {
      const orders = await this.deps.orders.forKpis(from, now + 1);
      const base = { from, to: now + 1, period: 'day' as const };
      const [city] = computeKpis(orders, { ...base, groupBy: 'all' });
      const districts = computeKpis(orders, { ...base, groupBy: 'district' });
      if (city) this.deps.events.emit('kpis.updated', { from, to: now, city, districts });
    } catch (err) {
      this.deps.onError('KPI push failed', err);
    } finally {
      this.pushing = false;
    }
  }
}

function alreadyDispatched(what: string, existing: WorkOrder): WorkOrderError {
  return new WorkOrderError(
    'conflict',
    'already-dispatched',
    `${what} is already being handled as case ${existing.id} (${existing.state})`,
  );
}

/** A red alert is an emergency, an orange one urgent; the category's default otherwise. */
function urgencyOf(alert: Alert): { urgency?: Urgency } {
  if (alert.severity === 'red') return { urgency: 'emergency' };
  if (alert.severity === 'orange') return { urgency: 'urgent' };
  return {};
}
