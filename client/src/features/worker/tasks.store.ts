import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { OPEN_WORK_ORDER_STATES } from '@shared/schemas/workOrder.schema';
import type { TimelineEntry, WorkOrder } from '@shared/schemas/workOrder.schema';
import { getJson } from '../../api/http';
import { useAuthStore } from '../auth/auth.store';
import { ring } from './ring';
import { explainWithdrawal } from './taskFormat';
import type { Bilingual } from './taskFormat';

const MY_TASKS = '/api/v1/me/work-orders';

/** Something the worker must read: a task taken away, or a queued action the server refused. */
export interface WorkerNotice {
  /** Stable id: the same news is listed once (`withdrawn:{order}:{version}`, `outbox:{entry}`). */
  id: string;
  kind: 'withdrawn' | 'conflict';
  /** The case it is about, if any. */
  orderId?: string;
  /** The offline-queue entry it explains (dismissing the notice drops the entry). */
  entryId?: string;
  /** What happened and why. */
  text: Bilingual;
  /** When the phone learnt it, epoch ms. */
  at: number;
}

/** Change pushed by the server (`workOrder:updated` / `workOrder:withdrawn`). */
export interface OrderChange {
  order: WorkOrder;
  entry: TimelineEntry;
}

const OPEN = new Set<string>(OPEN_WORK_ORDER_STATES);

/** Whether a case is still being worked on (not closed, evaluated or cancelled). */
export function isOpen(order: Pick<WorkOrder, 'state'>): boolean {
  return OPEN.has(order.state);
}

/** The list order: open tasks first, soonest due first (no clock last); then finished ones, latest first. */
export function compareTasks(a: WorkOrder, b: WorkOrder): number {
  const openA = isOpen(a);
  const openB = isOpen(b);
  if (openA !== openB) return openA ? -1 : 1;
  if (!openA) return b.updatedAt - a.updatedAt;
  return (a.dueAt ?? Infinity) - (b.dueAt ?? Infinity) || a.createdAt - b.createdAt;
}

/**
 * The grid worker's tasks: the server's list (`GET /me/work-orders`), kept current by the
 * socket's pushes. A push older than what we hold is ignored (versions only grow), so a
 * late event can never undo a newer state.
 */
export const useTasksStore = defineStore('workerTasks', () => {
  const auth = useAuthStore();

  /** The worker's cases by id, as the server last described them. */
  const byId = shallowRef<ReadonlyMap<string, WorkOrder>>(new Map());
  /** Case open in the detail view; null on the list. */
  const selectedId = ref<string | null>(null);
  /** Withdrawals and refused actions, oldest first, until the worker dismisses them. */
  const notices = ref<WorkerNotice[]>([]);
  /** True while the list is being fetched. */
  const loading = ref(false);
  /** Why the last refresh failed (API error code); null after a success. */
  const error = ref<string | null>(null);
  /** When the list was last fetched, epoch ms; null before the first time. */
  const refreshedAt = ref<number | null>(null);

  /** Cases pushed while a refresh was on its way: its answer may be older than they are. */
  let pushedDuringRefresh: Map<string, WorkOrder> | null = null;
  let refreshing: Promise<void> | null = null;

  /** Tasks in list order (open ones soonest due first). */
  const list = computed(() => [...byId.value.values()].sort(compareTasks));
  /** Open tasks. */
  const openCount = computed(() => list.value.filter(isOpen).length);
  const selected = computed(() => (selectedId.value ? (byId.value.get(selectedId.value) ?? null) : null));

  /** Whether a case belongs on this worker's list (tasksOf leaves out returned and escalated ones). */
  function belongsHere(order: WorkOrder): boolean {
    const me = auth.session?.user.workerId ?? null;
    return (
      me !== null && order.assigneeId === me && order.state !== 'returned' && order.state !== 'escalated'
    );
  }

  function put(order: WorkOrder): void {
    const next = new Map(byId.value);
    if (belongsHere(order)) next.set(order.id, order);
    else next.delete(order.id);
    byId.value = next;
  }

  /**
   * Take the server's word on a case (a push, or the answer to one of our actions). Ignored
   * when we already hold that version or a newer one; a case no longer ours leaves the list.
   */
  function applyServer(order: WorkOrder): boolean {
    const held = byId.value.get(order.id);
    if (held && order.version <= held.version) return false;
    notePushed(order);
    if (!held && !belongsHere(order)) return false;
    put(order);
    return true;
  }

  /** `workOrder:assigned`: a new task — the phone rings. */
  function assigned(order: WorkOrder): void {
    if (applyServer(order)) ring();
  }

  /** `workOrder:updated`: a case in the worker's cells changed (only their own are kept). */
  function updated(change: OrderChange): void {
    applyServer(change.order);
  }

  /** `workOrder:withdrawn`: a task went to someone else or was cancelled; say why. */
  function withdrawn(change: OrderChange): void {
    const { order, entry } = change;
    const held = byId.value.get(order.id);
    if (held && order.version < held.version) return;
    if (held) {
      const next = new Map(byId.value);
      next.delete(order.id);
      byId.value = next;
    }
    notePushed(order);
    if (selectedId.value === order.id) selectedId.value = null;
    addNotice({
      id: `withdrawn:${order.id}:${order.version}`,
      kind: 'withdrawn',
      orderId: order.id,
      text: explainWithdrawal(held ?? order, entry),
      at: Date.now(),
    });
  }

  function notePushed(order: WorkOrder): void {
    const seen = pushedDuringRefresh?.get(order.id);
    if (!seen || seen.version < order.version) pushedDuringRefresh?.set(order.id, order);
  }

  async function fetchList(): Promise<void> {
    loading.value = true;
    const pushed = new Map<string, WorkOrder>();
    pushedDuringRefresh = pushed;
    try {
      const { items } = await getJson<{ items: WorkOrder[] }>(MY_TASKS);
      const next = new Map<string, WorkOrder>();
      for (const order of items) if (belongsHere(order)) next.set(order.id, order);
      // A push that came while we waited may be newer than the answer: the newer one wins.
      for (const [id, order] of pushed) {
        const got = items.find((o) => o.id === id);
        if (got && got.version >= order.version) continue;
        if (belongsHere(order)) next.set(id, order);
        else next.delete(id);
      }
      byId.value = next;
      if (selectedId.value && !next.has(selectedId.value)) selectedId.value = null;
      error.value = null;
      refreshedAt.value = Date.now();
    } catch (err) {
      error.value = (err as { code?: string }).code ?? 'network';
    } finally {
      if (pushedDuringRefresh === pushed) pushedDuringRefresh = null;
      loading.value = false;
    }
  }

  /**
   * Fetch the list again (on every connect: events missed while offline are never replayed,
   * the list is the truth). Concurrent calls share one request. Never rejects: a failure
   * leaves the list as it was, with {@link error} set.
   */
  function refresh(): Promise<void> {
    refreshing ??= fetchList().finally(() => (refreshing = null));
    return refreshing;
  }

  function select(id: string | null): void {
    selectedId.value = id;
  }

  /** List a notice, once per id. */
  function addNotice(notice: WorkerNotice): void {
    if (notices.value.some((n) => n.id === notice.id)) return;
    notices.value = [...notices.value, notice];
  }

  function dismissNotice(id: string): void {
    notices.value = notices.value.filter((n) => n.id !== id);
  }

  /** Forget everything (sign-out). */
  function clear(): void {
    byId.value = new Map();
    selectedId.value = null;
    notices.value = [];
    error.value = null;
    refreshedAt.value = null;
  }

  return {
    byId,
    selectedId,
    notices,
    loading,
    error,
    refreshedAt,
    list,
    openCount,
    selected,
    applyServer,
    assigned,
    updated,
    withdrawn,
    refresh,
    select,
    addNotice,
    dismissNotice,
    clear,
  };
});
