import type { Alert } from '@shared/schemas/alert.schema';

/** Rows the live alert feed keeps on screen (the panel shows as many whole rows as fit). */
export const ALERT_FEED_ROWS = 16;

/** When an alert was raised on the wall: when it fired, or, still pending, when its condition began. */
export function raisedAt(alert: Alert): number {
  return alert.firingAt ?? alert.startsAt;
}

/** Newest first; equal times by id, so the order never flickers. */
function newerFirst(a: Alert, b: Alert): number {
  return raisedAt(b) - raisedAt(a) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * The `limit` most recently raised announced alerts, newest first. Muted ones (silenced or
 * inhibited) stay off the feed: the wall counts them apart. One pass over the open alerts keeping
 * the best `limit` (O(n·limit)): with a thousand open alerts that beats sorting them all.
 */
export function newestAlerts(alerts: Iterable<Alert>, limit: number = ALERT_FEED_ROWS): Alert[] {
  const kept: Alert[] = [];
  if (limit <= 0) return kept;
  for (const a of alerts) {
    if (a.suppressed) continue;
    const worst = kept.at(-1);
    if (kept.length >= limit && worst && newerFirst(a, worst) >= 0) continue;
    let i = kept.length;
    while (i > 0 && newerFirst(a, kept[i - 1] as Alert) < 0) i -= 1;
    kept.splice(i, 0, a);
    if (kept.length > limit) kept.pop();
  }
  return kept;
}

/** Names the feed can put to an alert's place. */
export interface PlaceNames {
  /** District name by 6-digit code; undefined when unknown. */
  district(id: string): string | undefined;
  /** Sensor name by id; undefined when the sensor is not in the scope's catalogue. */
  sensor(id: string): string | undefined;
}

/**
 * Where an alert is, in words: its district and what raised it (the sensor's name, or the grid
 * cell or area code), joined by ` · `; the subject's id when nothing better is known.
 */
export function alertPlace(alert: Alert, names: PlaceNames): string {
  const { subject } = alert;
  const districtId = alert.districtId ?? (subject.type === 'district' ? subject.id : undefined);
  const district = districtId ? (names.district(districtId) ?? districtId) : undefined;
  let what: string | undefined;
  if (subject.type === 'sensor') what = names.sensor(subject.id) ?? subject.id;
  else if (subject.type === 'cell' || subject.type === 'area') what = subject.id;
  else if (alert.gridCellId) what = alert.gridCellId;
  return [district, what].filter((p): p is string => Boolean(p)).join(' · ');
}
