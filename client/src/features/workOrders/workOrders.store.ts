import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { roomOf } from '@shared/schemas/live.schema';
import type { Scope } from '@shared/schemas/live.schema';
import { OPEN_WORK_ORDER_STATES, WORK_ORDER_STATES } from '@shared/schemas/workOrder.schema';
import type {
  KpiResponse,
  KpiRow,
  TimelineEntry,
  WorkOrder,
  WorkOrderState,
} from '@shared/schemas/workOrder.schema';
import { getJson, HttpError } from '../../api/http';
import { shanghaiDayStart } from '@shared/domain/shanghaiTime';

/** Overdue cases listed on the wall; the count covers them all. */
export const OVERDUE_SHOWN = 20;

/** Open cases fetched at most on a resync (the API's page limit). */
export const RESYNC_LIMIT = 500;

/** Removed cases remembered (with their last version) so a late, older push cannot bring one back. */
const REMOVED_KEPT = 1_000;

/** What the wall keeps of an open case: enough to count, place (on the map too) and flag it. */
export type OpenCase = Pick<
  WorkOrder,
  | 'id'
  | 'state'
  | 'category'
  | 'urgency'
  | 'overdueAt'
  | 'dueAt'
  | 'districtId'
  | 'gridCellId'
  | 'location'
  | 'updatedAt'
  | 'version'
> & {
  /** Worker the case is dispatched to; null before dispatch. */
  assigneeId: string | null;
};

/** `kpis:updated`: today's KPIs (Asia/Shanghai day so far), city-wide and per district. */
export interface KpisPush {
  /** Start of the day, epoch ms. */
  from: number;
  /** Time of the figures, epoch ms. */
  to: number;
  city: KpiRow;
  districts: KpiRow[];
}

/** A case change pushed by the server (`workOrder:updated`). */
export interface OrderChange {
  order: WorkOrder;
  entry: TimelineEntry;
}

/**
 * Where one source of the panel stands: never asked, on its way, loaded, refused to this role
 * (403: the panel leaves it out), or failed (the last data stays).
 */
export type SourceStatus = 'idle' | 'loading' | 'ready' | 'unavailable' | 'failed';

const OPEN = new Set<WorkOrderState>(OPEN_WORK_ORDER_STATES);

/** Start of the Asia/Shanghai calendar day containing `now`, epoch ms (the day the server's KPIs count). */
export const startOfKpiDay = shanghaiDayStart;

/** Whether a case belongs to the scope the wall follows (the grid code starts with its district). */
function inScope(order: Pick<WorkOrder, 'districtId' | 'gridCellId'>, scope: Scope): boolean {
  if (scope.kind === 'city') return true;
  return scope.kind === 'district' ? order.districtId === scope.id : order.gridCellId === scope.id;
}

function slim(order: WorkOrder, entry?: TimelineEntry): OpenCase {
  return {
    id: order.id,
    state: order.state,
    category: order.category,
    urgency: order.urgency,
    // The overdue entry is the news itself; the case's own flag normally says the same.
    overdueAt: order.overdueAt ?? (entry?.action === 'overdue' ? entry.at : null),
    dueAt: order.dueAt,
    districtId: order.districtId,
    gridCellId: order.gridCellId,
    location: order.location,
    assigneeId: order.assigneeId ?? null,
    updatedAt: order.updatedAt,
    version: order.version,
  };
}

function openQuery(scope: Scope): string {
  // District and cell ids are digits only: nothing to escape.
  const where =
    scope.kind === 'district'
      ? `&districtId=${scope.id}`
      : scope.kind === 'cell'
        ? `&gridCellId=${scope.id}`
        : '';
  return `/api/v1/work-orders?state=${OPEN_WORK_ORDER_STATES.join(',')}&limit=${RESYNC_LIMIT}${where}`;
}

function kpiQuery(groupBy: 'all' | 'district', from: number, to: number): string {
  return `/api/v1/work-orders/kpis?groupBy=${groupBy}&from=${from}&to=${to}`;
}

function statusOf(err: unknown): SourceStatus {
  return err instanceof HttpError && err.status === 403 ? 'unavailable' : 'failed';
}

/**
 * The work-order loop on the wall: the open cases of the followed scope, counted by state,
 * the overdue ones, and today's KPIs. A resync (every connect, every scope change) takes the
 * API's word; pushes keep it current between. Versions only grow, so a push not newer than
 * what is held changes nothing, and a case that left the open states stays gone.
 */
export const useWorkOrdersStore = defineStore('workOrders', () => {
  /** Scope of the cases held (the wall's scope at the last resync). */
  const scope = shallowRef<Scope>({ kind: 'city' });
  /** Open cases of the scope by id. */
  const byId = shallowRef<ReadonlyMap<string, OpenCase>>(new Map());
  /** Where the case list stands (`unavailable`: this role may not read work orders). */
  const ordersStatus = ref<SourceStatus>('idle');
  /** Today's KPIs over everything the user may see; null before the first figures. */
  const kpiCity = shallowRef<KpiRow | null>(null);
  /** Today's KPIs per district, by district id. */
  const kpiDistricts = shallowRef<ReadonlyMap<string, KpiRow>>(new Map());
  /** The KPI day: from its start to the time of the figures (epoch ms); null before the first figures. */
  const kpiPeriod = shallowRef<{ from: number; to: number } | null>(null);
  /** Where the KPIs stand (`unavailable`: this role may not read KPIs). */
  const kpisStatus = ref<SourceStatus>('idle');

  // Not reactive: bookkeeping for pushes, never shown.
  /** Last version of each case that left the open states (or the scope), oldest first. */
  let removed = new Map<string, number>();
  let requestNo = 0;
  /** Cases pushed while a resync was on its way (its answer may be older than they are). */
  let pushedDuringResync: Map<string, OpenCase> | null = null;
  let kpisPushedDuringResync = false;

  /** Open cases per state (every state is present; closed ones stay 0). */
  const countsByState = computed(() => {
    const counts = Object.fromEntries(WORK_ORDER_STATES.map((s) => [s, 0])) as Record<WorkOrderState, number>;
    for (const c of byId.value.values()) counts[c.state] += 1;
    return counts;
  });
  /** Number of open cases. */
  const openCount = computed(() => byId.value.size);
  /** Open cases whose current stage ran out of time, most recently flagged first. */
  const overdueCases = computed(() =>
    [...byId.value.values()]
      .filter((c) => c.overdueAt !== null)
      .sort((a, b) => (b.overdueAt ?? 0) - (a.overdueAt ?? 0) || b.updatedAt - a.updatedAt),
  );
  /** Number of overdue open cases. */
  const overdueCount = computed(() => overdueCases.value.length);
  /** The overdue cases on screen: newest first, at most {@link OVERDUE_SHOWN}. */
  const overdueList = computed(() => overdueCases.value.slice(0, OVERDUE_SHOWN));
  /** Today's KPIs of the followed scope: the city's, or the (cell's) district's; null when unknown. */
  const kpiRow = computed(() => {
    const s = scope.value;
    if (s.kind === 'city') return kpiCity.value;
    // A grid code's first six digits are its district's code.
    return kpiDistricts.value.get(s.kind === 'district' ? s.id : s.id.slice(0, 6)) ?? null;
  });

  /** Hold `next` for its id (or drop it if it left the open states or the scope). */
  function put(map: Map<string, OpenCase>, next: OpenCase): void {
    if (OPEN.has(next.state) && inScope(next, scope.value)) {
      map.set(next.id, next);
      removed.delete(next.id);
      return;
    }
    map.delete(next.id);
    removed.delete(next.id);
    removed.set(next.id, next.version);
    // A Map iterates oldest first: forget the oldest beyond the limit.
    for (const id of removed.keys()) {
      if (removed.size <= REMOVED_KEPT) break;
      removed.delete(id);
    }
  }

  function apply(order: WorkOrder, entry?: TimelineEntry): void {
    if (ordersStatus.value === 'unavailable') return;
    const held = byId.value.get(order.id)?.version ?? removed.get(order.id);
    if (held !== undefined && order.version <= held) return;
    const next = slim(order, entry);
    const seen = pushedDuringResync?.get(order.id);
    if (!seen || seen.version < next.version) pushedDuringResync?.set(order.id, next);
    const map = new Map(byId.value);
    put(map, next);
    byId.value = map;
  }

  /** `workOrder:created`: 立案, a new case in the scope. */
  function created(order: WorkOrder): void {
    apply(order);
  }

  /** `workOrder:updated`: a case moved on, was flagged overdue, or left the open states. */
  function updated(change: OrderChange): void {
    apply(change.order, change.entry);
  }

  /** `kpis:updated`: today's figures so far. */
  function kpis(payload: KpisPush): void {
    if (kpisStatus.value === 'unavailable') return;
    kpisPushedDuringResync = true;
    kpiCity.value = payload.city;
    kpiDistricts.value = new Map(payload.districts.map((r) => [r.key, r]));
    kpiPeriod.value = { from: payload.from, to: payload.to };
  }

  async function loadOrders(no: number, target: Scope): Promise<void> {
    const pushed = new Map<string, OpenCase>();
    pushedDuringResync = pushed;
    ordersStatus.value = 'loading';
    try {
      const { items } = await getJson<{ items: WorkOrder[] }>(openQuery(target));
      if (no !== requestNo) return;
      const answered = new Map(items.map((o) => [o.id, o.version]));
      const next = new Map<string, OpenCase>();
      removed = new Map();
      for (const order of items) put(next, slim(order));
      // A push that came while we waited may be newer than the answer: the newer one wins.
      for (const c of pushed.values()) if ((answered.get(c.id) ?? 0) < c.version) put(next, c);
      byId.value = next;
      ordersStatus.value = 'ready';
    } catch (err) {
      if (no !== requestNo) return;
      ordersStatus.value = statusOf(err);
      // Pushed before the refusal, perhaps: a role without the permission is shown nothing.
      if (ordersStatus.value === 'unavailable') byId.value = new Map();
    } finally {
      if (pushedDuringResync === pushed) pushedDuringResync = null;
    }
  }

  async function loadKpis(no: number, now: number): Promise<void> {
    kpisPushedDuringResync = false;
    kpisStatus.value = 'loading';
    const from = startOfKpiDay(now);
    const to = Math.max(now, from + 1);
    try {
      const [all, districts] = await Promise.all([
        getJson<KpiResponse>(kpiQuery('all', from, to)),
        getJson<KpiResponse>(kpiQuery('district', from, to)),
      ]);
      if (no !== requestNo) return;
      // A push on the way meanwhile is at least as new as this answer.
      if (!kpisPushedDuringResync) {
        kpiCity.value = all.rows[0] ?? null;
        kpiDistricts.value = new Map(districts.rows.map((r) => [r.key, r]));
        kpiPeriod.value = { from: all.from, to: all.to };
      }
      kpisStatus.value = 'ready';
    } catch (err) {
      if (no !== requestNo) return;
      kpisStatus.value = statusOf(err);
      if (kpisStatus.value === 'unavailable') clearKpis();
    }
  }

  /**
   * Take the API's word again: the open cases of `target` and today's KPIs up to `now` (server
   * time, epoch ms). Called on every connect and scope change: events missed meanwhile are never
   * replayed. Only the newest resync applies its answer. Never rejects; a role without the
   * permission gets `unavailable` and nothing is shown for it.
   */
  async function resync(target: Scope = scope.value, now: number = Date.now()): Promise<void> {
    requestNo += 1;
    const no = requestNo;
    if (roomOf(target) !== roomOf(scope.value)) {
      scope.value = target;
      // What was held belongs to another scope; until the answer comes, show nothing wrong.
      byId.value = new Map();
      removed = new Map();
    }
    await Promise.all([loadOrders(no, target), loadKpis(no, now)]);
  }

  function clearKpis(): void {
    kpiCity.value = null;
    kpiDistricts.value = new Map();
    kpiPeriod.value = null;
  }

  /** Forget everything (sign-out): the next user must not see the previous one's cases. */
  function clear(): void {
    requestNo += 1;
    scope.value = { kind: 'city' };
    byId.value = new Map();
    ordersStatus.value = 'idle';
    clearKpis();
    kpisStatus.value = 'idle';
    removed = new Map();
    pushedDuringResync = null;
  }

  return {
    scope,
    byId,
    ordersStatus,
    kpiCity,
    kpiDistricts,
    kpiPeriod,
    kpisStatus,
    countsByState,
    openCount,
    overdueCount,
    overdueList,
    kpiRow,
    created,
    updated,
    kpis,
    resync,
    clear,
  };
});
