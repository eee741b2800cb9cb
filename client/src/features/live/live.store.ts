import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import { OPEN_ALERT_STATES, SEVERITIES } from '@shared/schemas/alert.schema';
import type { Alert, Severity } from '@shared/schemas/alert.schema';
import type { I18nName } from '@shared/schemas/common.schema';
import type { Incident } from '@shared/schemas/incident.schema';
import { roomOf } from '@shared/schemas/live.schema';
import type {
  LiveReading,
  LiveStats,
  ReadingsBatch,
  ReadingsResync,
  Scope,
  Snapshot,
} from '@shared/schemas/live.schema';
import type { LatestReading, ReadingQuality } from '@shared/schemas/reading.schema';
import type { Sensor, SensorKind } from '@shared/schemas/sensor.schema';
import { SPARKLINE_WINDOW_MS } from './rateSparkline.option';
import type { RateSample } from './rateSparkline.option';

/** Rows kept for the "latest readings" list; older ones are dropped. */
export const RECENT_LIMIT = 20;

/** A sensor counts as reporting when its newest reading is at most this old (ms). */
export const REPORTING_WINDOW_MS = 120_000;

/**
 * Offset changes smaller than this are network jitter, not clock drift; ignoring
 * them keeps the header clock from skipping or repeating a second.
 */
const CLOCK_JITTER_MS = 500;

/** A row of the latest-readings list. */
export interface RecentReading {
  /** Client-side sequence number, unique per row (list key). */
  seq: number;
  sensorId: string;
  /** Kind of the sensor; null when the sensor is not in the snapshot (auto-registered since). */
  kind: SensorKind | null;
  /** Sensor name; null when the sensor is unknown to this client. */
  name: I18nName | null;
  /** Observation time, epoch ms. */
  observedAt: number;
  /** Values keyed by metric id, in catalog units. */
  values: Readonly<Record<string, number>>;
  quality: ReadingQuality | undefined;
}

function alertInScope(alert: Alert, scope: Scope): boolean {
  // The server routes alerts; this only guards against one that plainly belongs elsewhere.
  if (scope.kind === 'city') return true;
  if (scope.kind === 'district') {
    const district = alert.districtId ?? (alert.subject.type === 'district' ? alert.subject.id : undefined);
    return district === undefined || district === scope.id;
  }
  const cell = alert.gridCellId ?? (alert.subject.type === 'cell' ? alert.subject.id : undefined);
  return cell === undefined || cell === scope.id;
}

/**
 * Live state of the followed scope: snapshot, then deltas from the socket.
 *
 * Batches bring up to ~1,000 readings ten times a second, so per-reading state
 * (latest values, last report times) lives in a plain Map outside Vue's
 * reactivity; the screen sees only counters, a bounded recent list and a
 * revision number, each replaced at most once per batch.
 */
export const useLiveStore = defineStore('live', () => {
  /** Scope the data on screen belongs to (from the last snapshot). */
  const scope = shallowRef<Scope>({ kind: 'city' });
  /** True once a snapshot has been applied: before that, nothing on screen is data. */
  const hasSnapshot = ref(false);
  /** Sensors of the scope by id, as the last snapshot listed them. */
  const sensorsById = shallowRef<ReadonlyMap<string, Sensor>>(markRaw(new Map()));
  /** Newest server counters (pushed about once a second). */
  const stats = shallowRef<LiveStats | null>(null);
  /** Server clock minus this browser's clock, ms: add it to `Date.now()` to get server time. */
  const clockOffsetMs = ref(0);
  /** Readings/s history, oldest first, covering at most the sparkline window. */
  const rateSamples = shallowRef<readonly RateSample[]>([]);
  /** Newest readings first, at most {@link RECENT_LIMIT}. */
  const recent = shallowRef<readonly RecentReading[]>([]);
  /** Sensors of the scope whose newest reading is within {@link REPORTING_WINDOW_MS} (recounted with each stats push). */
  const reportingCount = ref(0);
  /** Open alerts of the scope by id. */
  const openAlertsById = shallowRef<ReadonlyMap<string, Alert>>(markRaw(new Map()));
  /** Open incidents (correlated alerts) touching the scope, by id. */
  const openIncidentsById = shallowRef<ReadonlyMap<string, Incident>>(markRaw(new Map()));
  /** Bumped whenever latest values change; watch it to re-read {@link latestOf}. */
  const latestRevision = ref(0);
  /**
   * True while nobody can see the page (hidden tab, minimised window): reading batches are skipped
   * instead of piling up, and {@link needsSnapshot} says the screen must start over from a snapshot.
   */
  const paused = ref(false);
  /** True once a batch was skipped while paused, until the next snapshot replaces the data. */
  const needsSnapshot = ref(false);

  // Deliberately not reactive: written for every reading.
  let latestById = new Map<string, LatestReading>();
  let seq = 0;
  let hasClockOffset = false;

  /** Number of sensors in the scope. */
  const sensorCount = computed(() => sensorsById.value.size);
  /** Open alerts that are announced (not silenced or inhibited). */
  const announcedAlerts = computed(() => [...openAlertsById.value.values()].filter((a) => !a.suppressed));
  /** Number of announced open alerts in the scope (muted ones are counted apart). */
  const openAlertCount = computed(() => announcedAlerts.value.length);
  /** Open alerts muted by a silence or an inhibiting alert. */
  const mutedAlertCount = computed(() => openAlertsById.value.size - announcedAlerts.value.length);
  /** Red alerts escalated to supervisors and still not acknowledged. */
  const escalatedAlertCount = computed(
    () => announcedAlerts.value.filter((a) => a.escalatedAt !== undefined && a.state === 'firing').length,
  );
  const openIncidentCount = computed(() => openIncidentsById.value.size);
  /** Announced open alerts per warning colour, most severe first. */
  const openAlertsBySeverity = computed(() => {
    const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
    for (const a of announcedAlerts.value) counts[a.severity] += 1;
    return counts;
  });
  /** True while a simulated feed drives the data (the screen must say so). */
  const simulated = computed(() => stats.value?.simulated ?? false);

  /** Latest known values of a sensor (not reactive on its own: pair with `latestRevision`). */
  function latestOf(sensorId: string): LatestReading | undefined {
    return latestById.get(sensorId);
  }

  /** Server time now, by this browser's clock corrected with the last known offset. */
  function serverNow(): number {
    return Date.now() + clockOffsetMs.value;
  }

  function syncClock(serverTime: number): void {
    const offset = serverTime - Date.now();
    if (!hasClockOffset || Math.abs(offset - clockOffsetMs.value) > CLOCK_JITTER_MS) {
      clockOffsetMs.value = offset;
      hasClockOffset = true;
    }
  }

  /** Keeps the newest reading per sensor, merging metrics; an older, late reading changes nothing. */
  function mergeLatest(r: LiveReading | LatestReading): void {
    const prev = latestById.get(r.sensorId);
    if (prev && r.observedAt < prev.observedAt) return;
    latestById.set(r.sensorId, {
      sensorId: r.sensorId,
      observedAt: r.observedAt,
      values: prev ? { ...prev.values, ...r.values } : r.values,
      quality: r.quality,
    });
  }

  function recount(nowServerMs: number): void {
    const since = nowServerMs - REPORTING_WINDOW_MS;
    let n = 0;
    for (const id of sensorsById.value.keys()) {
      const latest = latestById.get(id);
      if (latest && latest.observedAt >= since) n += 1;
    }
    reportingCount.value = n;
  }

  function toRecent(r: LiveReading | LatestReading): RecentReading {
    const sensor = sensorsById.value.get(r.sensorId);
    seq += 1;
    return {
      seq,
      sensorId: r.sensorId,
      kind: sensor?.kind ?? null,
      name: sensor?.name ?? null,
      observedAt: r.observedAt,
      values: r.values,
      quality: r.quality,
    };
  }

  function addRateSample(s: LiveStats): void {
    const sample: RateSample = { t: s.serverTime, value: s.readingsPerSec };
    const from = sample.t - SPARKLINE_WINDOW_MS;
    const kept = rateSamples.value.filter((x) => x.t >= from && x.t < sample.t);
    kept.push(sample);
    rateSamples.value = kept;
  }

  /** Start over from a snapshot (on connect and on every scope change). */
  function applySnapshot(snapshot: Snapshot): void {
    scope.value = snapshot.scope;
    sensorsById.value = markRaw(new Map(snapshot.sensors.map((s) => [s.id, s])));
    latestById = new Map();
    for (const l of snapshot.latest) mergeLatest(l);
    openAlertsById.value = markRaw(
      new Map(
        snapshot.openAlerts.filter((a) => OPEN_ALERT_STATES.includes(a.state)).map((a) => [a.id, a] as const),
      ),
    );
    openIncidentsById.value = markRaw(
      new Map(snapshot.openIncidents.filter((i) => i.state === 'open').map((i) => [i.id, i] as const)),
    );
    // Seed the list so a scope switch does not leave it empty until the next batch.
    recent.value = [...snapshot.latest]
      .sort((a, b) => b.observedAt - a.observedAt)
      .slice(0, RECENT_LIMIT)
      .map(toRecent);
    stats.value = snapshot.stats;
    syncClock(snapshot.serverTime);
    addRateSample(snapshot.stats);
    recount(snapshot.serverTime);
    latestRevision.value += 1;
    hasSnapshot.value = true;
    needsSnapshot.value = false;
  }

  /** Stop or restart applying reading batches (see {@link paused}). */
  function setPaused(value: boolean): void {
    paused.value = value;
  }

  /** Apply one pushed batch; a batch for another room (late, from the previous scope) is ignored. */
  function applyBatch(batch: ReadingsBatch): void {
    if (batch.room !== roomOf(scope.value) || batch.items.length === 0) return;
    if (paused.value) {
      needsSnapshot.value = true;
      return;
    }
    for (const item of batch.items) mergeLatest(item);
    const fresh: RecentReading[] = [];
    for (let i = batch.items.length - 1; i >= 0 && fresh.length < RECENT_LIMIT; i -= 1) {
      const item = batch.items[i];
      if (item) fresh.push(toRecent(item));
    }
    recent.value =
      fresh.length >= RECENT_LIMIT ? fresh : fresh.concat(recent.value.slice(0, RECENT_LIMIT - fresh.length));
    latestRevision.value += 1;
  }

  /** Catch up after a recovered brief disconnect (batches missed meanwhile are not replayed). */
  function applyResync(resync: ReadingsResync): void {
    for (const l of resync.latest) mergeLatest(l);
    recount(serverNow());
    latestRevision.value += 1;
  }

  /** Take the server's counters (about once a second). */
  function applyStats(next: LiveStats): void {
    stats.value = next;
    syncClock(next.serverTime);
    addRateSample(next);
    recount(next.serverTime);
  }

  /** Take a raised or updated alert: kept while open, dropped once resolved or closed. */
  function applyAlert(alert: Alert): void {
    const prev = openAlertsById.value.get(alert.id);
    // Recovery may replay an alert event we already have in a newer state.
    if (prev && prev.updatedAt > alert.updatedAt) return;
    const open = OPEN_ALERT_STATES.includes(alert.state) && alertInScope(alert, scope.value);
    if (!open && !prev) return;
    const next = new Map(openAlertsById.value);
    if (open) next.set(alert.id, alert);
    else next.delete(alert.id);
    openAlertsById.value = markRaw(next);
  }

  /** Take an opened or updated incident: kept while open. */
  function applyIncident(incident: Incident): void {
    const prev = openIncidentsById.value.get(incident.id);
    if (prev && prev.updatedAt > incident.updatedAt) return;
    const open = incident.state === 'open';
    if (!open && !prev) return;
    const next = new Map(openIncidentsById.value);
    if (open) next.set(incident.id, incident);
    else next.delete(incident.id);
    openIncidentsById.value = markRaw(next);
  }

  /** Forget everything (on sign-out): the next user must not see the previous one's data. */
  function clear(): void {
    scope.value = { kind: 'city' };
    hasSnapshot.value = false;
    sensorsById.value = markRaw(new Map());
    stats.value = null;
    clockOffsetMs.value = 0;
    hasClockOffset = false;
    rateSamples.value = [];
    recent.value = [];
    reportingCount.value = 0;
    openAlertsById.value = markRaw(new Map());
    openIncidentsById.value = markRaw(new Map());
    latestById = new Map();
    latestRevision.value += 1;
    needsSnapshot.value = false;
  }

  return {
    scope,
    hasSnapshot,
    sensorsById,
    stats,
    clockOffsetMs,
    rateSamples,
    recent,
    reportingCount,
    openAlertsById,
    latestRevision,
    paused,
    needsSnapshot,
    sensorCount,
    openAlertCount,
    mutedAlertCount,
    escalatedAlertCount,
    openIncidentsById,
    openIncidentCount,
    openAlertsBySeverity,
    simulated,
    latestOf,
    serverNow,
    applySnapshot,
    setPaused,
    applyBatch,
    applyResync,
    applyStats,
    applyAlert,
    applyIncident,
    clear,
  };
});
