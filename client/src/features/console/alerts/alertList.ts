import { SEVERITIES } from '@shared/schemas/alert.schema';
import type { Alert, AlertState, Severity } from '@shared/schemas/alert.schema';
import type { AlertMatchers } from '@shared/schemas/silence.schema';
import { SENSOR_KINDS, SENSOR_SUBTYPES } from '@shared/schemas/sensor.schema';
import type { Sensor, SensorKind, SensorSubtype } from '@shared/schemas/sensor.schema';
import { DISPLAY_TIME_ZONE, zonedParts } from '../../../format/time.format';

/** A category filter: a sensor kind (`kind:air`) or a device family (`subtype:waterlogging`). */
export type CategoryFilter = `kind:${SensorKind}` | `subtype:${SensorSubtype}`;

/** Every category the filter offers: the kinds, then the device families. */
export const CATEGORY_FILTERS: readonly CategoryFilter[] = [
  ...SENSOR_KINDS.map((k) => `kind:${k}` as const),
  ...SENSOR_SUBTYPES.map((s) => `subtype:${s}` as const),
];

/** Filters of the console's alert list; null means any. */
export interface AlertFilters {
  /** 6-digit district code. */
  districtId: string | null;
  category: CategoryFilter | null;
  /** Warning level (红/橙/黄/蓝). */
  severity: Severity | null;
  state: AlertState | null;
}

export const NO_FILTERS: Readonly<AlertFilters> = Object.freeze({
  districtId: null,
  category: null,
  severity: null,
  state: null,
});

const RANK = Object.fromEntries(SEVERITIES.map((s, i) => [s, i])) as Record<Severity, number>;

/**
 * Order of the list: most severe first, then newest first (by when the condition
 * started, which never changes), then id so that every alert has one place.
 */
export function compareAlerts(a: Alert, b: Alert): number {
  return (
    RANK[a.severity] - RANK[b.severity] || b.startsAt - a.startsAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/** First index of `rows` (sorted by {@link compareAlerts}) whose alert does not sort before `alert`. */
export function sortedIndex(rows: readonly Alert[], alert: Alert): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareAlerts(rows[mid]!, alert) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Put `alert` in its place in `rows` (sorted, mutated). */
export function insertSorted(rows: Alert[], alert: Alert): void {
  rows.splice(sortedIndex(rows, alert), 0, alert);
}

/**
 * Take out the row of `held` (the version of the alert that was inserted, whose sort
 * key found its place); false when it was not there.
 */
export function removeSorted(rows: Alert[], held: Alert): boolean {
  const at = sortedIndex(rows, held);
  if (rows[at]?.id === held.id) {
    rows.splice(at, 1);
    return true;
  }
  const found = rows.findIndex((r) => r.id === held.id);
  if (found >= 0) rows.splice(found, 1);
  return found >= 0;
}

/** District of an alert: its own, or its subject when that is a district. */
export function districtOf(alert: Alert): string | undefined {
  return alert.districtId ?? (alert.subject.type === 'district' ? alert.subject.id : undefined);
}

/** Sensor kind and device family of an alert: from its labels, else from the sensor it is about. */
export function categoryOf(
  alert: Alert,
  sensors: ReadonlyMap<string, Sensor>,
): { kind: string | null; subtype: string | null } {
  const sensor = alert.subject.type === 'sensor' ? sensors.get(alert.subject.id) : undefined;
  return {
    kind: alert.labels?.['sensorKind'] ?? sensor?.kind ?? null,
    subtype: alert.labels?.['subtype'] ?? sensor?.subtype ?? null,
  };
}

/** Whether `alert` passes every filter set. */
export function matchesFilters(
  alert: Alert,
  filters: AlertFilters,
  sensors: ReadonlyMap<string, Sensor>,
): boolean {
  if (filters.severity !== null && alert.severity !== filters.severity) return false;
  if (filters.state !== null && alert.state !== filters.state) return false;
  if (filters.districtId !== null && districtOf(alert) !== filters.districtId) return false;
  if (filters.category !== null) {
    const { kind, subtype } = categoryOf(alert, sensors);
    const [type, value] = filters.category.split(':') as ['kind' | 'subtype', string];
    if ((type === 'kind' ? kind : subtype) !== value) return false;
  }
  return true;
}

/** The alerts passing `filters`, sorted by {@link compareAlerts}. */
export function filterAndSort(
  alerts: Iterable<Alert>,
  filters: AlertFilters,
  sensors: ReadonlyMap<string, Sensor>,
): Alert[] {
  const out: Alert[] = [];
  for (const a of alerts) if (matchesFilters(a, filters, sensors)) out.push(a);
  return out.sort(compareAlerts);
}

/** Of several copies of one alert, the most recently updated (undefined when none is known). */
export function newest(...copies: Array<Alert | null | undefined>): Alert | undefined {
  let best: Alert | undefined;
  for (const c of copies) if (c && (!best || c.updatedAt > best.updatedAt)) best = c;
  return best;
}

/** The case number (`WO-20261121-0007`) in a refusal such as "alert … is already being handled as case WO-…". */
export function caseNumberOf(message: string | null | undefined): string | null {
  return /\b(WO-\d{8}-\d{4,})\b/.exec(message ?? '')?.[1] ?? null;
}

/** How long a silence made from the drawer lasts: an hour, four hours, or until 08:00 the next morning. */
export const SILENCE_CHOICES = ['1h', '4h', 'morning'] as const;
export type SilenceChoice = (typeof SILENCE_CHOICES)[number];

const HOUR_MS = 3_600_000;
/** The day shift takes over at 08:00 local time: a night-time silence ends then. */
const MORNING_HOUR = 8;

/** Start of the local calendar day containing `now` in `timeZone`, epoch ms. */
function startOfLocalDay(now: number, timeZone: string): number {
  const p = zonedParts(now, timeZone);
  const intoDay = ((Number(p.hour) * 60 + Number(p.minute)) * 60 + Number(p.second)) * 1000;
  return now - intoDay - (((now % 1000) + 1000) % 1000);
}

/**
 * When a silence chosen at `now` ends: `morning` is the next 08:00 in the display zone
 * (today's when it is still night, else tomorrow's).
 */
export function silenceEndsAt(
  choice: SilenceChoice,
  now: number,
  timeZone: string = DISPLAY_TIME_ZONE,
): number {
  if (choice === '1h') return now + HOUR_MS;
  if (choice === '4h') return now + 4 * HOUR_MS;
  const today = startOfLocalDay(now, timeZone) + MORNING_HOUR * HOUR_MS;
  // Asia/Shanghai has no daylight saving: a day is always 24 hours.
  return today > now ? today : today + 24 * HOUR_MS;
}

/** The label (silence matcher) that names an alert's subject and lets a district operator silence it. */
const SUBJECT_LABEL = { sensor: 'sensorId', cell: 'gridCellId', district: 'districtId' } as const;

/**
 * Matchers of a silence for exactly this alert's rule and subject. Besides `subjectId`, the
 * subject is named by its own label (`sensorId`, `gridCellId`, `districtId`): the server lets
 * an operator limited to some districts silence only what those labels place inside them.
 */
export function silenceMatchers(alert: Pick<Alert, 'ruleId' | 'subject'>): AlertMatchers {
  const matchers: AlertMatchers = { ruleId: [alert.ruleId], subjectId: [alert.subject.id] };
  if (alert.subject.type !== 'area') matchers[SUBJECT_LABEL[alert.subject.type]] = [alert.subject.id];
  return matchers;
}

/** Body of `POST /api/v1/silences` for one alert: from `now` for the chosen time, with the operator's reason. */
export interface SilenceRequest {
  matchers: AlertMatchers;
  schedule: { type: 'once'; startsAt: number; endsAt: number };
  comment: string;
}

export function silenceRequest(
  alert: Pick<Alert, 'ruleId' | 'subject'>,
  choice: SilenceChoice,
  now: number,
  comment: string,
): SilenceRequest {
  return {
    matchers: silenceMatchers(alert),
    schedule: { type: 'once', startsAt: now, endsAt: silenceEndsAt(choice, now) },
    comment: comment.trim(),
  };
}
