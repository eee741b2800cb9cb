import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { Rule, RuleBacktestResult } from '@shared/schemas/rule.schema';
import { attempt, callApi, problemOf } from '../consoleApi';
import type { ApiProblem, Outcome } from '../consoleApi';

/** Where a source of the page stands (`unavailable`: this role may not read it). */
export type LoadStatus = 'idle' | 'loading' | 'ready' | 'failed' | 'unavailable';

/** What a backtest replays: a stored rule's current version, or a document (a draft not saved yet). */
export type BacktestTarget = { ruleId: string } | { rule: unknown };

const path = (id: string) => `/api/v1/rules/${encodeURIComponent(id)}`;

function statusOf(problem: ApiProblem): LoadStatus {
  return problem.status === 403 ? 'unavailable' : 'failed';
}

/**
 * Rules in the console: the list, the selected rule's versions, and the engineer's changes
 * (enable/disable, a new version, a backtest). Every change answers with the rule's new
 * version, which replaces the one held (never an older one over a newer).
 */
export const useRulesStore = defineStore('consoleRules', () => {
  /** Current version of every rule, by id order. */
  const items = shallowRef<readonly Rule[]>([]);
  /** Where the list stands. */
  const status = ref<LoadStatus>('idle');
  /** Why the list could not be loaded; null otherwise. */
  const problem = shallowRef<ApiProblem | null>(null);
  /** Id of the rule open in the side panel; null when none is. */
  const selectedId = ref<string | null>(null);
  /** Versions of the selected rule, newest first. */
  const versions = shallowRef<readonly Rule[]>([]);
  /** Where the versions stand. */
  const versionsStatus = ref<LoadStatus>('idle');
  /** Ids of rules whose enable/disable is on its way. */
  const toggling = shallowRef<ReadonlySet<string>>(new Set());
  /** True while a new version is being saved. */
  const saving = ref(false);
  /** True while a backtest runs (the server replays in the request: seconds, not milliseconds). */
  const backtesting = ref(false);
  /** The last backtest's answer for the selected rule; null before one ran. */
  const backtestResult = shallowRef<RuleBacktestResult | null>(null);

  let listRequest = 0;
  let versionsRequest = 0;

  /** The selected rule's current version. */
  const selected = computed(() => items.value.find((r) => r.id === selectedId.value) ?? null);

  /** Hold a rule version the server answered with, unless a newer one is held. */
  function put(rule: Rule): void {
    const at = items.value.findIndex((r) => r.id === rule.id);
    if (at >= 0 && items.value[at]!.version >= rule.version) return;
    const next = [...items.value];
    if (at >= 0) next[at] = rule;
    else next.push(rule);
    items.value = next.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Fetch the rules (`GET /api/v1/rules`). */
  async function load(): Promise<void> {
    listRequest += 1;
    const no = listRequest;
    status.value = 'loading';
    try {
      const page = await callApi<{ items: Rule[] }>('GET', '/api/v1/rules');
      if (no !== listRequest) return;
      items.value = [...page.items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      problem.value = null;
      status.value = 'ready';
    } catch (err) {
      if (no !== listRequest) return;
      problem.value = problemOf(err);
      status.value = statusOf(problem.value);
    }
  }

  /** Fetch the versions of the selected rule (`GET /rules/:id/versions`), newest first. */
  async function loadVersions(): Promise<void> {
    const id = selectedId.value;
    if (id === null) return;
    versionsRequest += 1;
    const no = versionsRequest;
    versionsStatus.value = 'loading';
    try {
      const page = await callApi<{ items: Rule[] }>('GET', `${path(id)}/versions`);
      if (no !== versionsRequest) return;
      versions.value = [...page.items].sort((a, b) => b.version - a.version);
      versionsStatus.value = 'ready';
    } catch (err) {
      if (no !== versionsRequest) return;
      versionsStatus.value = statusOf(problemOf(err));
    }
  }

  /** Open a rule in the side panel (null closes it) and fetch its versions. */
  function select(id: string | null): Promise<void> {
    if (selectedId.value === id) return Promise.resolve();
    selectedId.value = id;
    versions.value = [];
    versionsStatus.value = 'idle';
    versionsRequest += 1;
    backtestResult.value = null;
    return loadVersions();
  }

  function afterChange(rule: Rule): void {
    put(rule);
    if (selectedId.value === rule.id) void loadVersions();
  }

  /** Enable or disable a rule (`PATCH /rules/:id`); the reason is kept with the version and audited. */
  async function setEnabled(id: string, enabled: boolean, reason: string): Promise<Outcome<Rule>> {
    toggling.value = new Set([...toggling.value, id]);
    try {
      const outcome = await attempt(() => callApi<Rule>('PATCH', path(id), { enabled, reason }));
      if (outcome.ok) afterChange(outcome.value);
      return outcome;
    } finally {
      const next = new Set(toggling.value);
      next.delete(id);
      toggling.value = next;
    }
  }

  /**
   * Save a new version of a rule (`PUT /rules/:id` with `{ rule, reason, expectedVersion }`):
   * `expectedVersion` is the version the engineer started from, so a rule changed meanwhile is
   * refused (409) instead of overwritten.
   */
  async function save(
    id: string,
    rule: unknown,
    reason: string,
    expectedVersion: number,
  ): Promise<Outcome<Rule>> {
    saving.value = true;
    try {
      const outcome = await attempt(() => callApi<Rule>('PUT', path(id), { rule, reason, expectedVersion }));
      if (outcome.ok) afterChange(outcome.value);
      return outcome;
    } finally {
      saving.value = false;
    }
  }

  /** Replay stored readings over [from, to) through a rule (`POST /rules/backtest`); nothing is stored. */
  async function backtest(
    target: BacktestTarget,
    from: number,
    to: number,
  ): Promise<Outcome<RuleBacktestResult>> {
    backtesting.value = true;
    const forId = selectedId.value;
    try {
      const outcome = await attempt(() =>
        callApi<RuleBacktestResult>('POST', '/api/v1/rules/backtest', { ...target, from, to }),
      );
      if (outcome.ok && selectedId.value === forId) backtestResult.value = outcome.value;
      return outcome;
    } finally {
      backtesting.value = false;
    }
  }

  return {
    items,
    status,
    problem,
    selectedId,
    selected,
    versions,
    versionsStatus,
    toggling,
    saving,
    backtesting,
    backtestResult,
    load,
    select,
    loadVersions,
    setEnabled,
    save,
    backtest,
  };
});
