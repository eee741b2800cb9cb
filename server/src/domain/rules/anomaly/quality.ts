/**
 * Detector quality on labelled data, event-level (pure; used by the tests and `npm run bench`).
 *
 * - With `pendingMs` (the lifecycle's `for`), a point alerts only once its run of consecutive
 *   alerting points has lasted that long.
 * - An alert episode is a run of consecutive alerting points; runs separated by at most
 *   `mergeGapMs` are one episode (what the lifecycle's `keepFiringFor` would make of them).
 * - An episode is true when it overlaps a labelled event [start, end + lateToleranceMs).
 * - precision = true episodes ÷ all episodes (1 when there is no episode at all);
 *   recall = events with an alerting point inside [start, end + lateToleranceMs) ÷ events
 *   (1 when there is no event); delay = first such alert − event start.
 * - False alerts per day = false episodes ÷ days covered by the points.
 *
 * Only events with a judged point inside count: pass the points the detector judged (past its
 * warm-up), and events during the warm-up, or falling between two sparse readings, which no
 * detector could see, are left out.
 */

export interface GroundTruthEvent {
  id: string;
  /** First anomalous instant, epoch ms. */
  start: number;
  /** End of the event, epoch ms, exclusive. */
  end: number;
  type?: string;
}

export interface JudgedPoint {
  t: number;
  /** The detector alerted at this point. */
  alert: boolean;
}

export interface QualityOptions {
  /** A point alerts only once its run of alerting points lasted this long (ms), like `for`. Default 0. */
  pendingMs?: number;
  /** Alert runs this close (ms) are one episode. Default 0: only consecutive points. */
  mergeGapMs?: number;
  /** An alert this long (ms) after an event's end still belongs to it. Default 0. */
  lateToleranceMs?: number;
}

export interface AlertEpisode {
  start: number;
  /** Time of the last alerting point. */
  end: number;
}

export interface EventOutcome {
  id: string;
  type: string | undefined;
  detected: boolean;
  /** First alert − event start, seconds (null when missed). */
  delayS: number | null;
}

export interface DetectionQuality {
  events: number;
  detected: number;
  recall: number;
  episodes: number;
  trueEpisodes: number;
  falseEpisodes: number;
  precision: number;
  /** Mean and median detection delay over the detected events, seconds (null if none). */
  meanDelayS: number | null;
  medianDelayS: number | null;
  days: number;
  falseAlertsPerDay: number;
  perEvent: EventOutcome[];
}

/** Alert episodes of points in time order. */
export function alertEpisodes(points: readonly JudgedPoint[], mergeGapMs = 0): AlertEpisode[] {
  const episodes: AlertEpisode[] = [];
  let current: AlertEpisode | null = null;
  let previousAlerting = false;
  for (const p of points) {
    if (p.alert) {
      if (current && (previousAlerting || p.t - current.end <= mergeGapMs)) current.end = p.t;
      else episodes.push((current = { start: p.t, end: p.t }));
    }
    previousAlerting = p.alert;
  }
  return episodes;
}

function median(sorted: readonly number[]): number | null {
  if (sorted.length === 0) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Index of the first element of sorted `times` ≥ `t`. */
function lowerBound(times: readonly number[], t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The points with `alert` cleared until each run of alerting points has lasted `pendingMs`. */
export function applyPending(points: readonly JudgedPoint[], pendingMs: number): JudgedPoint[] {
  let runStart = -Infinity;
  let previousAlerting = false;
  return points.map((p) => {
    if (p.alert && !previousAlerting) runStart = p.t;
    previousAlerting = p.alert;
    return { t: p.t, alert: p.alert && p.t - runStart >= pendingMs };
  });
}

export function evaluateDetection(
  rawPoints: readonly JudgedPoint[],
  events: readonly GroundTruthEvent[],
  options: QualityOptions = {},
): DetectionQuality {
  const tolerance = options.lateToleranceMs ?? 0;
  const points = options.pendingMs ? applyPending(rawPoints, options.pendingMs) : rawPoints;
  const times = points.map((p) => p.t);
  const visible = events.filter((e) => {
    const t = times[lowerBound(times, e.start)];
    return t !== undefined && t < e.end;
  });
  const alertTimes = points.filter((p) => p.alert).map((p) => p.t);
  const episodes = alertEpisodes(points, options.mergeGapMs ?? 0);

  const perEvent: EventOutcome[] = visible.map((e) => {
    const at = alertTimes[lowerBound(alertTimes, e.start)];
    const detected = at !== undefined && at < e.end + tolerance;
    return { id: e.id, type: e.type, detected, delayS: detected ? (at - e.start) / 1000 : null };
  });
  const trueEpisodes = episodes.filter((ep) =>
    visible.some((e) => ep.start < e.end + tolerance && ep.end >= e.start),
  ).length;
  const delays = perEvent
    .map((o) => o.delayS)
    .filter((d): d is number => d !== null)
    .sort((a, b) => a - b);
  const detected = perEvent.filter((o) => o.detected).length;
  const first = times[0];
  const last = times.at(-1);
  const days = first === undefined || last === undefined ? 0 : (last - first) / 86_400_000;
  const falseEpisodes = episodes.length - trueEpisodes;
  return {
    events: visible.length,
    detected,
    recall: visible.length === 0 ? 1 : detected / visible.length,
    episodes: episodes.length,
    trueEpisodes,
    falseEpisodes,
    precision: episodes.length === 0 ? 1 : trueEpisodes / episodes.length,
    meanDelayS: delays.length === 0 ? null : delays.reduce((s, d) => s + d, 0) / delays.length,
    medianDelayS: median(delays),
    days,
    falseAlertsPerDay: days > 0 ? falseEpisodes / days : 0,
    perEvent,
  };
}

/** Sums several series' outcomes into one (events, episodes and days add up). */
export function combineQuality(parts: readonly DetectionQuality[]): DetectionQuality {
  const perEvent = parts.flatMap((p) => p.perEvent);
  const delays = perEvent
    .map((o) => o.delayS)
    .filter((d): d is number => d !== null)
    .sort((a, b) => a - b);
  const sum = (f: (q: DetectionQuality) => number) => parts.reduce((s, q) => s + f(q), 0);
  const events = sum((q) => q.events);
  const detected = sum((q) => q.detected);
  const episodes = sum((q) => q.episodes);
  const trueEpisodes = sum((q) => q.trueEpisodes);
  const days = sum((q) => q.days);
  return {
    events,
    detected,
    recall: events === 0 ? 1 : detected / events,
    episodes,
    trueEpisodes,
    falseEpisodes: episodes - trueEpisodes,
    precision: episodes === 0 ? 1 : trueEpisodes / episodes,
    meanDelayS: delays.length === 0 ? null : delays.reduce((s, d) => s + d, 0) / delays.length,
    medianDelayS: median(delays),
    days,
    falseAlertsPerDay: days > 0 ? (episodes - trueEpisodes) / days : 0,
    perEvent,
  };
}
