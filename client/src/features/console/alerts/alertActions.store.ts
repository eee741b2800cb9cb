import { defineStore } from 'pinia';
import { ref, shallowReactive, shallowRef } from 'vue';
import type { Alert } from '@shared/schemas/alert.schema';
import type { Silence } from '@shared/schemas/silence.schema';
import type { DispatchSuggestion, WorkOrder } from '@shared/schemas/workOrder.schema';
import { getJson, HttpError, postJson } from '../../../api/http';
import { useLiveStore } from '../../live/live.store';
import { caseNumberOf, silenceRequest } from './alertList';
import type { SilenceChoice } from './alertList';
import { useAlertDetailStore } from './alertDetail.store';

/** Ranked workers offered for a reassignment. */
export const SUGGESTIONS_SHOWN = 5;

/** One operator action: on its way, refused, or done. */
export interface ActionState<R> {
  /** True while the request is on its way (the button is disabled meanwhile). */
  pending: boolean;
  /** The refusal of the last attempt; null after a success or before any attempt. */
  error: HttpError | null;
  /** What the last success answered; null before one. */
  result: R | null;
}

/** A dispatch refused because the alert is already being handled (409 `already-dispatched`). */
export function alreadyDispatched(err: HttpError | null): boolean {
  return (
    err !== null &&
    err.status === 409 &&
    (err.details.some((d) => d.reason === 'already-dispatched') ||
      /already being handled/.test(err.serverMessage ?? ''))
  );
}

/** The message the server gave for one field of a refused body (`comment`, `reason`…); null when none. */
export function fieldError(err: HttpError | null, field: string): string | null {
  return err?.details.find((d) => d.path === field || d.path.startsWith(`${field}.`))?.message ?? null;
}

function asHttpError(err: unknown): HttpError {
  return err instanceof HttpError ? err : new HttpError(0, 'network', String(err));
}

/**
 * The operator's actions on the alert in the drawer: 确认 (acknowledge with a comment), 静默
 * (silence its rule and subject for a while), 派单 (one-click dispatch to the best-ranked worker)
 * and 改派 (hand the new case to another suggested worker). Successes are not copied into the
 * list: the server pushes `alert:updated` and the live store takes it from there.
 */
export const useAlertActionsStore = defineStore('consoleAlertActions', () => {
  const live = useLiveStore();
  const detail = useAlertDetailStore();

  // Bumped whenever the drawer shows another alert: an answer for the previous one is dropped.
  let generation = 0;

  function state<R>(): ActionState<R> {
    return shallowReactive<ActionState<R>>({ pending: false, error: null, result: null });
  }

  const acknowledged = state<Alert>();
  const silenced = state<Silence>();
  const dispatched = state<WorkOrder>();
  const reassigned = state<WorkOrder>();
  /** Workers ranked for the dispatched case (改派); null until asked. */
  const suggestions = shallowRef<readonly DispatchSuggestion[] | null>(null);
  const suggestionsPending = ref(false);
  const suggestionsError = shallowRef<HttpError | null>(null);
  /** Existing case number of a refused dispatch (409 `already-dispatched`); null otherwise. */
  const existingCase = ref<string | null>(null);

  async function run<R>(s: ActionState<R>, call: () => Promise<R>): Promise<R | null> {
    if (s.pending) return null;
    const gen = generation;
    s.pending = true;
    s.error = null;
    try {
      const r = await call();
      if (gen !== generation) return null;
      s.result = r;
      return r;
    } catch (err) {
      if (gen === generation) s.error = asHttpError(err);
      return null;
    } finally {
      if (gen === generation) s.pending = false;
    }
  }

  /** 确认: acknowledge the firing alert with the operator's comment. */
  async function acknowledge(alertId: string, comment: string): Promise<boolean> {
    const r = await run(acknowledged, () =>
      postJson<Alert>(`/api/v1/alerts/${encodeURIComponent(alertId)}/acknowledge`, {
        comment: comment.trim(),
      }),
    );
    if (r) void detail.refreshEvents();
    return r !== null;
  }

  /** 静默: mute this alert's rule on this subject from now for the chosen time, saying why. */
  async function silence(alert: Alert, choice: SilenceChoice, comment: string): Promise<boolean> {
    const body = silenceRequest(alert, choice, live.serverNow(), comment);
    const r = await run(silenced, () => postJson<Silence>('/api/v1/silences', body));
    if (r) void detail.refreshEvents();
    return r !== null;
  }

  /**
   * 派单: make a case for the alert and dispatch it to the best-ranked worker, in one request
   * (the server picks; the answer says whom). A 409 names the case already handling it.
   */
  async function dispatch(alert: Alert): Promise<boolean> {
    existingCase.value = null;
    suggestions.value = null;
    const r = await run(dispatched, () =>
      postJson<WorkOrder>(`/api/v1/alerts/${encodeURIComponent(alert.id)}/dispatch`, {}),
    );
    if (alreadyDispatched(dispatched.error))
      existingCase.value = caseNumberOf(dispatched.error?.serverMessage) ?? alert.workOrderId ?? null;
    return r !== null;
  }

  /** The ranked workers for the case just made, to hand it to another one (改派). */
  async function loadSuggestions(): Promise<void> {
    const order = dispatched.result;
    if (order === null || suggestionsPending.value) return;
    const gen = generation;
    suggestionsPending.value = true;
    suggestionsError.value = null;
    try {
      const answer = await getJson<{ items: DispatchSuggestion[] }>(
        `/api/v1/work-orders/${encodeURIComponent(order.id)}/suggestions?limit=${SUGGESTIONS_SHOWN}`,
      );
      if (gen === generation) suggestions.value = answer.items;
    } catch (err) {
      if (gen === generation) suggestionsError.value = asHttpError(err);
    } finally {
      if (gen === generation) suggestionsPending.value = false;
    }
  }

  /**
   * Hand the case just made to a suggested worker: 改派 (with the reason the server requires)
   * when it was dispatched, 派遣 when nobody suitable was found and it waits for a dispatcher.
   */
  async function reassign(assigneeId: string, reason: string): Promise<boolean> {
    const order = dispatched.result;
    if (order === null) return false;
    const waiting = order.state === 'registered' || order.state === 'returned';
    const path = `/api/v1/work-orders/${encodeURIComponent(order.id)}/${waiting ? 'dispatch' : 'reassign'}`;
    const body = waiting
      ? { assigneeId, expectedVersion: order.version }
      : { assigneeId, reason: reason.trim(), expectedVersion: order.version };
    const r = await run(reassigned, () => postJson<WorkOrder>(path, body));
    if (r) dispatched.result = r;
    return r !== null;
  }

  /** Forget every action's outcome (the drawer moved to another alert or closed). */
  function reset(): void {
    generation += 1;
    for (const s of [acknowledged, silenced, dispatched, reassigned] as ActionState<unknown>[]) {
      s.pending = false;
      s.error = null;
      s.result = null;
    }
    suggestions.value = null;
    suggestionsPending.value = false;
    suggestionsError.value = null;
    existingCase.value = null;
  }

  // Signed out: nothing of this user's actions may stay on screen.
  live.$onAction(({ name, after }) => {
    if (name === 'clear') after(reset);
  });

  return {
    acknowledged,
    silenced,
    dispatched,
    reassigned,
    suggestions,
    suggestionsPending,
    suggestionsError,
    existingCase,
    acknowledge,
    silence,
    dispatch,
    loadSuggestions,
    reassign,
    reset,
  };
});
