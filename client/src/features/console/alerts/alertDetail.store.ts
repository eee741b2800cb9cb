import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { isMetricId } from '@shared/metrics';
import type { Alert } from '@shared/schemas/alert.schema';
import type { Incident } from '@shared/schemas/incident.schema';
import type { HistoryResponse } from '@shared/schemas/reading.schema';
import { getJson, HttpError } from '../../../api/http';
import { useLiveStore } from '../../live/live.store';
import { newest } from './alertList';
import { useConsoleAlertsStore } from './consoleAlerts.store';

/** Readings shown before the alert started, ms. */
export const EVIDENCE_BEFORE_MS = 3_600_000;
/** Readings shown after the alert resolved, ms. */
export const EVIDENCE_AFTER_MS = 30 * 60_000;

/** One entry of an alert's history (`GET /api/v1/alerts/:id`). */
export interface AlertEvent {
  /** Epoch ms. */
  at: number;
  /** pending, firing, severity, flapping, acknowledged, escalated, resolved, closed, linked, suppressed… */
  type: string;
  /** User id or `system`. */
  actor: string;
  data?: Record<string, unknown>;
}

/** Where one part of the drawer stands. `unavailable`: there is nothing to load for this alert. */
export type PartStatus = 'idle' | 'loading' | 'ready' | 'failed' | 'unavailable';

/** Why an alert has no readings chart. */
export type NoEvidenceReason = 'not-sensor' | 'no-metric' | 'derived-metric';

/** The readings window around an alert: an hour before it started, until half an hour after it resolved (or now). */
export function evidenceWindow(alert: Alert, now: number): { from: number; to: number } {
  const from = alert.startsAt - EVIDENCE_BEFORE_MS;
  const to = Math.min(now, (alert.resolvedAt ?? now) + EVIDENCE_AFTER_MS);
  return { from, to: Math.max(to, from + 1) };
}

/** Why `alert` has no readings of its own to chart; null when it has. */
export function noEvidenceReason(alert: Alert): NoEvidenceReason | null {
  if (alert.subject.type !== 'sensor') return 'not-sensor';
  if (alert.metric === undefined) return 'no-metric';
  // AQI, TTI… are derived by the rule engine: the store keeps the readings they come from.
  return isMetricId(alert.metric) ? null : 'derived-metric';
}

function asHttpError(err: unknown): HttpError {
  return err instanceof HttpError ? err : new HttpError(0, 'network', String(err));
}

/**
 * The alert open in the detail drawer: its history, the readings around it (evidence) and
 * the other alerts of its incident. The alert itself is the newest copy known — the live
 * push, the history row or the detail answer — so the drawer follows every push.
 */
export const useAlertDetailStore = defineStore('consoleAlertDetail', () => {
  const live = useLiveStore();
  const list = useConsoleAlertsStore();

  /** Id of the alert in the drawer; null when the drawer is closed. */
  const alertId = ref<string | null>(null);
  /** The alert as the detail answer gave it (older than a push that came since). */
  const loaded = shallowRef<Alert | null>(null);
  /** The alert as the row that opened it showed it. */
  const seed = shallowRef<Alert | null>(null);
  /** The alert as last pushed (a resolved or closed alert leaves the live store, but not the drawer). */
  const pushed = shallowRef<Alert | null>(null);
  /** The alert's history, oldest first. */
  const events = shallowRef<readonly AlertEvent[]>([]);
  const eventsStatus = ref<PartStatus>('idle');
  const eventsError = shallowRef<HttpError | null>(null);
  /** Readings of the alert's metric around it; null until loaded. */
  const evidence = shallowRef<HistoryResponse | null>(null);
  const evidenceStatus = ref<PartStatus>('idle');
  const evidenceError = shallowRef<HttpError | null>(null);
  /** The window the readings were asked for, epoch ms; null before. */
  const evidenceRange = shallowRef<{ from: number; to: number } | null>(null);
  /** Why there is no readings chart (`evidenceStatus` is `unavailable`). */
  const noEvidence = ref<NoEvidenceReason | null>(null);
  /** The incident the alert belongs to; null when it belongs to none or it is not loaded. */
  const incident = shallowRef<Incident | null>(null);
  /** The incident's other alerts, as the server listed them. */
  const related = shallowRef<readonly Alert[]>([]);
  const incidentStatus = ref<PartStatus>('idle');
  const incidentError = shallowRef<HttpError | null>(null);

  // Bumped by every open and close: an answer for another alert is dropped.
  let generation = 0;

  /** The alert in the drawer, newest copy known; undefined when closed or not known yet. */
  const alert = computed<Alert | undefined>(() => {
    const id = alertId.value;
    if (id === null) return undefined;
    const copies = [
      live.openAlertsById.get(id),
      list.historyAlert(id),
      pushed.value,
      loaded.value,
      seed.value,
    ];
    return newest(...copies.filter((a) => a?.id === id));
  });

  async function loadEvents(gen: number, id: string): Promise<void> {
    eventsStatus.value = 'loading';
    try {
      const answer = await getJson<{ alert: Alert; events: AlertEvent[] }>(
        `/api/v1/alerts/${encodeURIComponent(id)}`,
      );
      if (gen !== generation) return;
      loaded.value = answer.alert;
      events.value = answer.events;
      eventsStatus.value = 'ready';
      eventsError.value = null;
    } catch (err) {
      if (gen !== generation) return;
      eventsStatus.value = 'failed';
      eventsError.value = asHttpError(err);
    }
  }

  async function loadEvidence(gen: number, a: Alert): Promise<void> {
    const reason = noEvidenceReason(a);
    if (reason !== null) {
      noEvidence.value = reason;
      evidenceStatus.value = 'unavailable';
      return;
    }
    evidenceStatus.value = 'loading';
    const { from, to } = evidenceWindow(a, live.serverNow());
    evidenceRange.value = { from, to };
    const q = new URLSearchParams({ metric: a.metric ?? '', from: String(from), to: String(to) });
    try {
      const answer = await getJson<HistoryResponse>(
        `/api/v1/sensors/${encodeURIComponent(a.subject.id)}/history?${q.toString()}`,
      );
      if (gen !== generation) return;
      evidence.value = answer;
      evidenceStatus.value = 'ready';
    } catch (err) {
      if (gen !== generation) return;
      evidenceStatus.value = 'failed';
      evidenceError.value = asHttpError(err);
    }
  }

  async function loadIncident(gen: number, a: Alert): Promise<void> {
    if (a.incidentId === undefined) {
      incidentStatus.value = 'unavailable';
      return;
    }
    incidentStatus.value = 'loading';
    try {
      const answer = await getJson<{ incident: Incident; alerts: Alert[] }>(
        `/api/v1/incidents/${encodeURIComponent(a.incidentId)}`,
      );
      if (gen !== generation) return;
      incident.value = answer.incident;
      related.value = answer.alerts.filter((other) => other.id !== a.id);
      incidentStatus.value = 'ready';
    } catch (err) {
      if (gen !== generation) return;
      incidentStatus.value = 'failed';
      incidentError.value = asHttpError(err);
    }
  }

  function reset(): void {
    generation += 1;
    loaded.value = null;
    seed.value = null;
    pushed.value = null;
    events.value = [];
    eventsStatus.value = 'idle';
    eventsError.value = null;
    evidence.value = null;
    evidenceRange.value = null;
    evidenceStatus.value = 'idle';
    evidenceError.value = null;
    noEvidence.value = null;
    incident.value = null;
    related.value = [];
    incidentStatus.value = 'idle';
    incidentError.value = null;
  }

  /**
   * Open the drawer on an alert and load its history, evidence and incident. With the row's
   * copy of the alert all three go out at once; without it the evidence and incident wait
   * for the detail answer.
   */
  async function open(id: string, fromRow?: Alert): Promise<void> {
    reset();
    alertId.value = id;
    const gen = generation;
    const known = newest(fromRow, live.openAlertsById.get(id), list.historyAlert(id));
    seed.value = known ?? null;
    if (known) {
      await Promise.all([loadEvents(gen, id), loadEvidence(gen, known), loadIncident(gen, known)]);
      return;
    }
    await loadEvents(gen, id);
    const a = loaded.value;
    if (gen !== generation || a === null) return;
    await Promise.all([loadEvidence(gen, a), loadIncident(gen, a)]);
  }

  /** Load the history again (after an action: its entry is there now). */
  async function refreshEvents(): Promise<void> {
    if (alertId.value !== null) await loadEvents(generation, alertId.value);
  }

  function close(): void {
    reset();
    alertId.value = null;
  }

  live.$onAction(({ name, args, after }) => {
    if (name === 'applyAlert') {
      const [a] = args;
      after(() => {
        if (a.id === alertId.value && (pushed.value === null || pushed.value.updatedAt <= a.updatedAt))
          pushed.value = a;
      });
    } else if (name === 'clear') after(close);
  });

  return {
    alertId,
    alert,
    events,
    eventsStatus,
    eventsError,
    evidence,
    evidenceRange,
    evidenceStatus,
    evidenceError,
    noEvidence,
    incident,
    related,
    incidentStatus,
    incidentError,
    open,
    refreshEvents,
    close,
  };
});
