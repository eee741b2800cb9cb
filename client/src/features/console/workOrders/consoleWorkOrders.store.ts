import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type {
  DispatchSuggestion,
  WorkOrder,
  WorkOrderCommandName,
  WorkOrderDetail,
} from '@shared/schemas/workOrder.schema';
import { useWorkOrdersStore } from '../../workOrders/workOrders.store';
import { attempt, callApi, problemOf } from '../consoleApi';
import type { ApiProblem, Outcome } from '../consoleApi';
import { byNewest, listQuery, matchesFilters, NO_FILTERS } from './workOrderFormat';
import type { CaseFilters } from './workOrderFormat';

/** Where a source of the page stands (`unavailable`: this role may not read it). */
export type LoadStatus = 'idle' | 'loading' | 'ready' | 'failed' | 'unavailable';

/** Suggestions asked for one case (the API's default is 5). */
export const SUGGESTION_LIMIT = 10;

/** Versions remembered of cases not (or no longer) in the list, so older pushes cannot bring one back. */
const VERSIONS_KEPT = 5_000;

function statusOf(problem: ApiProblem): LoadStatus {
  return problem.status === 403 ? 'unavailable' : 'failed';
}

/**
 * Work orders in the console (the dispatcher's desk): the filtered case list, the case open in the
 * detail panel with its photos and the ranked workers for dispatch, and the operator's
 * commands. Cases change under the operator's eyes: pushes (`workOrder:created`/`updated`,
 * observed on the wall's work-order store, see {@link follow}) and the answers of the
 * operator's own commands are applied alike, and a version not newer than the one held
 * changes nothing.
 */
export const useConsoleWorkOrdersStore = defineStore('consoleWorkOrders', () => {
  /** What the list is narrowed to. */
  const filters = ref<CaseFilters>({ ...NO_FILTERS });
  /** The cases of the filters, newest registration first (at most one API page, plus pushes). */
  const items = shallowRef<readonly WorkOrder[]>([]);
  /** How many cases match the filters on the server (kept roughly current by pushes). */
  const total = ref(0);
  /** Where the list stands. */
  const listStatus = ref<LoadStatus>('idle');
  /** Why the list could not be loaded; null otherwise. */
  const listProblem = shallowRef<ApiProblem | null>(null);
  /** Id of the case shown in the detail panel; null when none is. */
  const selectedId = ref<string | null>(null);
  /** The selected case as the verifier sees it: the case, its alert, photos, still breaching. */
  const detail = shallowRef<WorkOrderDetail | null>(null);
  /** Where the detail stands. */
  const detailStatus = ref<LoadStatus>('idle');
  /** Workers ranked for the selected case (dispatch / reassign), best first. */
  const suggestions = shallowRef<readonly DispatchSuggestion[]>([]);
  /** Where the suggestions stand. */
  const suggestionsStatus = ref<LoadStatus>('idle');
  /** The command on its way; null when none is. */
  const pending = ref<WorkOrderCommandName | null>(null);

  // Bookkeeping, never shown.
  /** Newest version seen of each case (listed or not). */
  let versions = new Map<string, number>();
  /** Cases pushed while the list was on its way (its answer may be older than they are). */
  let pushedDuringLoad: Map<string, WorkOrder> | null = null;
  let listRequest = 0;
  let detailRequest = 0;
  let suggestRequest = 0;

  /** The selected case: the detail's (fullest), else the list's. */
  const selected = computed<WorkOrder | null>(() => {
    const id = selectedId.value;
    if (id === null) return null;
    if (detail.value?.order.id === id) return detail.value.order;
    return items.value.find((o) => o.id === id) ?? null;
  });

  function remember(id: string, version: number): void {
    versions.delete(id);
    versions.set(id, version);
    // A Map iterates oldest first: forget the oldest beyond the limit.
    for (const key of versions.keys()) {
      if (versions.size <= VERSIONS_KEPT) break;
      versions.delete(key);
    }
  }

  function placeInList(order: WorkOrder): void {
    const list = items.value;
    const at = list.findIndex((o) => o.id === order.id);
    const belongs = matchesFilters(order, filters.value);
    if (at >= 0) {
      const next = [...list];
      if (belongs) next[at] = order;
      else {
        next.splice(at, 1);
        total.value = Math.max(0, total.value - 1);
      }
      items.value = next;
    } else if (belongs) {
      items.value = [...list, order].sort(byNewest);
      total.value += 1;
    }
  }

  /**
   * Apply a version of a case (a push or a command's answer): older or equal versions are
   * ignored; the list and the detail take the newer one. A case that moved on (state, photos)
   * has its detail fetched again, for the photos and whether the sensor is still breaching.
   */
  function apply(order: WorkOrder): void {
    const held = versions.get(order.id);
    if (held !== undefined && order.version <= held) return;
    remember(order.id, order.version);
    const seen = pushedDuringLoad?.get(order.id);
    if (!seen || seen.version < order.version) pushedDuringLoad?.set(order.id, order);
    placeInList(order);
    const shown = detail.value;
    if (shown && shown.order.id === order.id) {
      detail.value = { ...shown, order };
      const photosChanged = shown.order.photoIds.join() !== order.photoIds.join();
      if (photosChanged || shown.order.state !== order.state) void loadDetail(order.id);
    }
  }

  /** Fetch the list for the current filters. Only the newest request applies its answer. */
  async function load(): Promise<void> {
    listRequest += 1;
    const no = listRequest;
    const pushed = new Map<string, WorkOrder>();
    pushedDuringLoad = pushed;
    listStatus.value = 'loading';
    const wanted = filters.value;
    try {
      const page = await callApi<{ items: WorkOrder[]; total: number }>('GET', listQuery(wanted));
      if (no !== listRequest) return;
      const byId = new Map(page.items.map((o) => [o.id, o]));
      // A push that came while we waited may be newer than the answer: the newer one wins.
      for (const o of pushed.values()) {
        const answered = byId.get(o.id);
        if (!answered || answered.version < o.version) byId.set(o.id, o);
      }
      for (const o of byId.values()) {
        const held = versions.get(o.id);
        if (held === undefined || held < o.version) remember(o.id, o.version);
      }
      items.value = [...byId.values()].filter((o) => matchesFilters(o, wanted)).sort(byNewest);
      total.value = Math.max(page.total, items.value.length);
      listProblem.value = null;
      listStatus.value = 'ready';
    } catch (err) {
      if (no !== listRequest) return;
      listProblem.value = problemOf(err);
      listStatus.value = statusOf(listProblem.value);
      if (listStatus.value === 'unavailable') items.value = [];
    } finally {
      if (pushedDuringLoad === pushed) pushedDuringLoad = null;
    }
  }

  /** Narrow the list (the rest of the filters stay) and fetch it again. */
  function setFilters(change: Partial<CaseFilters>): Promise<void> {
    filters.value = { ...filters.value, ...change };
    return load();
  }

  /** Fetch the detail of `id` (the selected case). An answer older than a push already applied keeps the newer case. */
  async function loadDetail(id: string): Promise<void> {
    detailRequest += 1;
    const no = detailRequest;
    if (detail.value?.order.id !== id) detailStatus.value = 'loading';
    try {
      const answer = await callApi<WorkOrderDetail>('GET', `/api/v1/work-orders/${encodeURIComponent(id)}`);
      if (no !== detailRequest || selectedId.value !== id) return;
      const held = detail.value?.order.id === id ? detail.value.order : null;
      const newer = held && held.version > answer.order.version ? held : null;
      detail.value = newer ? { ...answer, order: newer } : answer;
      detailStatus.value = 'ready';
      if (!newer) apply(answer.order);
    } catch (err) {
      if (no !== detailRequest || selectedId.value !== id) return;
      detailStatus.value = statusOf(problemOf(err));
    }
  }

  /** Show a case in the detail panel (null closes it). */
  function select(id: string | null): Promise<void> {
    if (selectedId.value === id) return Promise.resolve();
    selectedId.value = id;
    detail.value = null;
    detailStatus.value = 'idle';
    suggestions.value = [];
    suggestionsStatus.value = 'idle';
    suggestRequest += 1;
    return id === null ? Promise.resolve() : loadDetail(id);
  }

  /** Rank the roster for the selected case (`GET /work-orders/:id/suggestions`). */
  async function loadSuggestions(): Promise<void> {
    const id = selectedId.value;
    if (id === null) return;
    suggestRequest += 1;
    const no = suggestRequest;
    suggestionsStatus.value = 'loading';
    try {
      const { items: ranked } = await callApi<{ items: DispatchSuggestion[] }>(
        'GET',
        `/api/v1/work-orders/${encodeURIComponent(id)}/suggestions?limit=${SUGGESTION_LIMIT}`,
      );
      if (no !== suggestRequest) return;
      suggestions.value = [...ranked].sort((a, b) => a.rank - b.rank);
      suggestionsStatus.value = 'ready';
    } catch (err) {
      if (no !== suggestRequest) return;
      suggestionsStatus.value = statusOf(problemOf(err));
    }
  }

  /**
   * Take an action on the selected case (`POST /work-orders/:id/{action}`), naming the version
   * the operator saw so a case changed meanwhile is refused rather than overwritten. The answer
   * is applied at once; a refusal because the case moved on fetches it again.
   */
  async function command(
    action: WorkOrderCommandName,
    body: Record<string, unknown>,
  ): Promise<Outcome<WorkOrder>> {
    const order = selected.value;
    if (!order) throw new Error('no case selected');
    pending.value = action;
    try {
      const outcome = await attempt(() =>
        callApi<WorkOrder>('POST', `/api/v1/work-orders/${encodeURIComponent(order.id)}/${action}`, {
          ...body,
          expectedVersion: order.version,
        }),
      );
      if (outcome.ok) {
        apply(outcome.value);
        // The verification may have closed the alert; dispatch changes who is suggested.
        if (selectedId.value === order.id) {
          suggestions.value = [];
          suggestionsStatus.value = 'idle';
          void loadDetail(order.id);
        }
      } else if (outcome.problem.status === 409 && selectedId.value === order.id) {
        void loadDetail(order.id);
      }
      return outcome;
    } finally {
      pending.value = null;
    }
  }

  /**
   * Follow the live pushes while the page is open: the wall's work-order store receives every
   * `workOrder:created` / `workOrder:updated` (client/src/socket/liveEvents.ts); this store takes
   * the same payloads from its actions, so there is still one socket handler per event. A wall
   * resync (reconnect, scope change: events missed meanwhile are not replayed) fetches the list
   * and the detail again; a sign-out clears it. Returns the function that stops following.
   */
  function follow(): () => void {
    const wall = useWorkOrdersStore();
    return wall.$onAction(({ name, args, after }) => {
      if (name === 'created') apply(args[0]);
      else if (name === 'updated') apply(args[0].order);
      else if (name === 'resync')
        after(() => {
          void load();
          if (selectedId.value !== null) void loadDetail(selectedId.value);
        });
      else if (name === 'clear') clear();
    }, true);
  }

  /** Forget everything (sign-out). */
  function clear(): void {
    listRequest += 1;
    detailRequest += 1;
    suggestRequest += 1;
    filters.value = { ...NO_FILTERS };
    items.value = [];
    total.value = 0;
    listStatus.value = 'idle';
    listProblem.value = null;
    selectedId.value = null;
    detail.value = null;
    detailStatus.value = 'idle';
    suggestions.value = [];
    suggestionsStatus.value = 'idle';
    pending.value = null;
    versions = new Map();
    pushedDuringLoad = null;
  }

  return {
    filters,
    items,
    total,
    listStatus,
    listProblem,
    selectedId,
    selected,
    detail,
    detailStatus,
    suggestions,
    suggestionsStatus,
    pending,
    apply,
    load,
    setFilters,
    select,
    loadDetail,
    loadSuggestions,
    command,
    follow,
    clear,
  };
});
