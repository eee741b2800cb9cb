import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import { OPEN_ALERT_STATES } from '@shared/schemas/alert.schema';
import type { Alert } from '@shared/schemas/alert.schema';
import { getJson, HttpError } from '../../../api/http';
import { useLiveStore } from '../../live/live.store';
import {
  filterAndSort,
  insertSorted,
  matchesFilters,
  NO_FILTERS,
  removeSorted,
  type AlertFilters,
} from './alertList';

/** What the list shows: the open alerts (live), or a search of the alert history. */
export type AlertListMode = 'open' | 'history';

/** How far back a history search looks. */
export const HISTORY_RANGES = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
export type HistoryRange = keyof typeof HISTORY_RANGES;

/** Most alerts one history search fetches (the API's page limit). */
export const HISTORY_LIMIT = 1000;

/**
 * Beyond this many alerts changed in one flush (a snapshot, a scope switch), the list is
 * rebuilt from scratch rather than patched one alert at a time.
 */
const PATCH_LIMIT = 64;

/** Where the history search stands. */
export type SearchStatus = 'idle' | 'loading' | 'ready' | 'failed';

/** The filters the server applies to a history search (the category is applied here: the API has none). */
function historyQuery(filters: AlertFilters, from: number): string {
  const q = new URLSearchParams({ from: String(from), limit: String(HISTORY_LIMIT) });
  if (filters.districtId !== null) q.set('districtId', filters.districtId);
  if (filters.severity !== null) q.set('severity', filters.severity);
  if (filters.state !== null) q.set('state', filters.state);
  return `/api/v1/alerts?${q.toString()}`;
}

/**
 * The console's alert list: the open alerts of the live store, or a history search, filtered
 * (district, category, level, state) and sorted (level, then newest). The open list follows
 * the live store incrementally: each flush compares the store's map with the previous one by
 * reference and moves only the alerts that changed. Alerts pushed while a history search is on
 * screen update their rows too, whatever their state, so an action's result shows without
 * asking the server for the list again.
 */
export const useConsoleAlertsStore = defineStore('consoleAlerts', () => {
  const live = useLiveStore();

  /** Open alerts (live) or history search results. */
  const mode = ref<AlertListMode>('open');
  /** Filters set by the operator. */
  const filters = shallowRef<Readonly<AlertFilters>>(NO_FILTERS);
  /** How far back the history search looks. */
  const historyRange = ref<HistoryRange>('24h');
  /** The rows on screen, sorted; replaced (never mutated) on every change. */
  const rows = shallowRef<readonly Alert[]>([]);
  /** Where the history search stands. */
  const historyStatus = ref<SearchStatus>('idle');
  /** Why the last history search failed; null otherwise. */
  const historyError = shallowRef<HttpError | null>(null);
  /** Alerts the server found for the last search (more than shown when over {@link HISTORY_LIMIT}). */
  const historyTotal = ref(0);

  /** Every alert the last search returned (before the category filter), by id; pushes patch it. */
  const historyById = shallowRef<ReadonlyMap<string, Alert>>(new Map());
  let searchNo = 0;

  /** Rows on screen. */
  const count = computed(() => rows.value.length);

  function rebuild(): void {
    const source = mode.value === 'open' ? live.openAlertsById.values() : historyById.value.values();
    rows.value = filterAndSort(source, filters.value, live.sensorsById);
  }

  /** Replace `held` (if on screen) by `fresh` (if it passes the filters) in the sorted `next`. */
  function patch(next: Alert[], held: Alert | undefined, fresh: Alert | undefined): void {
    // Not judged by the filters: the sensors they read may have changed since `held` was placed.
    if (held) removeSorted(next, held);
    if (fresh && matchesFilters(fresh, filters.value, live.sensorsById)) insertSorted(next, fresh);
  }

  watch(
    () => live.openAlertsById,
    (now, before) => {
      if (mode.value !== 'open') return;
      const changes: Array<[Alert | undefined, Alert | undefined]> = [];
      let kept = 0;
      for (const [id, a] of now) {
        const held = before.get(id);
        if (held) kept += 1;
        if (held !== a) changes.push([held, a]);
      }
      // Some alerts of the previous map are gone (resolved, closed, out of scope).
      if (kept < before.size)
        for (const [id, held] of before) if (!now.has(id)) changes.push([held, undefined]);
      if (changes.length === 0) return;
      if (changes.length > PATCH_LIMIT) return rebuild();
      const next = rows.value.slice();
      for (const [held, fresh] of changes) patch(next, held, fresh);
      rows.value = next;
    },
  );

  // The sensors (kind, family) come with each snapshot; the category of an alert may depend on them.
  watch(
    () => live.sensorsById,
    () => {
      if (filters.value.category !== null) rebuild();
    },
  );

  /** A pushed alert (any state) that is among the search results takes their place. */
  function patchHistory(pushed: Alert): void {
    const held = historyById.value.get(pushed.id);
    if (!held || held.updatedAt > pushed.updatedAt) return;
    historyById.value = new Map(historyById.value).set(pushed.id, pushed);
    if (mode.value !== 'history') return;
    const next = rows.value.slice();
    patch(next, held, pushed);
    rows.value = next;
  }

  /** Forget the search and the filters (sign-out: the next user must not see this one's results). */
  function reset(): void {
    searchNo += 1;
    mode.value = 'open';
    filters.value = NO_FILTERS;
    historyRange.value = '24h';
    historyById.value = new Map();
    historyTotal.value = 0;
    historyStatus.value = 'idle';
    historyError.value = null;
    rebuild();
  }

  live.$onAction(({ name, args, after }) => {
    if (name === 'applyAlert') {
      const [pushed] = args;
      after(() => patchHistory(pushed));
    } else if (name === 'clear') after(reset);
  });

  /** Run the history search with the current filters; an older search's answer is dropped. */
  async function search(): Promise<void> {
    searchNo += 1;
    const no = searchNo;
    historyStatus.value = 'loading';
    historyError.value = null;
    const from = live.serverNow() - HISTORY_RANGES[historyRange.value];
    try {
      const page = await getJson<{ items: Alert[]; total: number }>(historyQuery(filters.value, from));
      if (no !== searchNo) return;
      historyById.value = new Map(page.items.map((a) => [a.id, a]));
      historyTotal.value = page.total;
      historyStatus.value = 'ready';
      if (mode.value === 'history') rebuild();
    } catch (err) {
      if (no !== searchNo) return;
      historyStatus.value = 'failed';
      historyError.value = err instanceof HttpError ? err : new HttpError(0, 'network', String(err));
    }
  }

  /** Show the open alerts, or the history (searched again on entering it). */
  function setMode(next: AlertListMode): void {
    if (next === mode.value) return;
    mode.value = next;
    // A state filter of the other list may not exist in this one (resolved, closed).
    if (next === 'open' && filters.value.state !== null && !OPEN_ALERT_STATES.includes(filters.value.state))
      filters.value = { ...filters.value, state: null };
    rebuild();
    if (next === 'history') void search();
  }

  /** Change some filters: the list follows at once; a history search asks the server again when its filters changed. */
  function setFilters(change: Partial<AlertFilters>): void {
    const prev = filters.value;
    const next = { ...prev, ...change };
    filters.value = next;
    rebuild();
    const serverSide =
      next.districtId !== prev.districtId || next.severity !== prev.severity || next.state !== prev.state;
    if (mode.value === 'history' && serverSide) void search();
  }

  function setHistoryRange(range: HistoryRange): void {
    historyRange.value = range;
    if (mode.value === 'history') void search();
  }

  /** The search result for an alert, if it is among them. */
  function historyAlert(id: string): Alert | undefined {
    return historyById.value.get(id);
  }

  rebuild();

  return {
    mode,
    filters,
    historyRange,
    rows,
    count,
    historyStatus,
    historyError,
    historyTotal,
    setMode,
    setFilters,
    setHistoryRange,
    search,
    historyAlert,
  };
});
