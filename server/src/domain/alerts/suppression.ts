import type { Alert, AlertSuppression } from '@shared/schemas/alert.schema';
import type {
  AlertMatchers,
  Inhibition,
  Silence,
  SilenceSchedule,
  SilenceState,
} from '@shared/schemas/silence.schema';

/**
 * Silences and inhibition, pure: labels, schedules and open alerts in, whether an
 * alert is muted (and by what) out. The alerting service asks this for every open
 * alert it writes and on every tick; muted alerts are still stored, shown as
 * muted, and neither escalated nor grouped into incidents.
 */

/** Whether labels satisfy every matcher (AND across labels, OR across a label's values). */
export function matchesLabels(matchers: AlertMatchers, labels: Readonly<Record<string, string>>): boolean {
  for (const name in matchers) {
    const value = labels[name];
    if (value === undefined || !matchers[name]!.includes(value)) return false;
  }
  return true;
}

const WEEKDAY: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
const formats = new Map<string, Intl.DateTimeFormat>();

/** ISO weekday (1 = Monday) and minute of the day of `at` in a time zone. */
export function localWeekMinute(at: number, timeZone: string): { day: number; minute: number } {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formats.set(timeZone, f);
  }
  let day = 0;
  let hour = 0;
  let minute = 0;
  for (const p of f.formatToParts(at)) {
    if (p.type === 'weekday') day = WEEKDAY[p.value] ?? 0;
    else if (p.type === 'hour') hour = Number(p.value);
    else if (p.type === 'minute') minute = Number(p.value);
  }
  return { day, minute: hour * 60 + minute };
}

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether a schedule's window is open at `now` (ignoring early expiry). */
export function scheduleActive(schedule: SilenceSchedule, now: number): boolean {
  if (schedule.type === 'once') return now >= schedule.startsAt && now < schedule.endsAt;
  if (schedule.startsAt !== undefined && now < schedule.startsAt) return false;
  if (schedule.endsAt !== undefined && now >= schedule.endsAt) return false;
  const { day, minute } = localWeekMinute(now, schedule.timeZone);
  const start = minutesOf(schedule.start);
  const end = minutesOf(schedule.end);
  if (start < end) return schedule.days.includes(day) && minute >= start && minute < end;
  // Past midnight: the evening part belongs to `day`, the morning part to the day before.
  const yesterday = day === 1 ? 7 : day - 1;
  return (
    (schedule.days.includes(day) && minute >= start) || (schedule.days.includes(yesterday) && minute < end)
  );
}

/** Scheduled (not yet or between windows), active now, or over. */
export function silenceState(silence: Pick<Silence, 'schedule' | 'expiredAt'>, now: number): SilenceState {
  if (silence.expiredAt !== undefined && silence.expiredAt <= now) return 'expired';
  const endsAt = silence.schedule.endsAt;
  if (endsAt !== undefined && now >= endsAt) return 'expired';
  return scheduleActive(silence.schedule, now) ? 'active' : 'scheduled';
}

/** States in which an alert can be muted: it is open. */
const MUTABLE: ReadonlySet<Alert['state']> = new Set(['pending', 'firing', 'acknowledged']);
/** States in which an alert inhibits others: it is firing (acknowledged still counts). */
const INHIBITING: ReadonlySet<Alert['state']> = new Set(['firing', 'acknowledged']);

/**
 * Open source alerts of every enabled inhibition rule, by the values of its `equal`
 * labels, built once per evaluation so each alert costs O(rules), not O(open alerts).
 */
export interface InhibitionIndex {
  /** Up to two sources per key: enough to find one that is not the alert asking. */
  rules: ReadonlyArray<{ rule: Inhibition; sources: ReadonlyMap<string, readonly Alert[]> }>;
}

function equalKey(equal: readonly string[], labels: Readonly<Record<string, string>>): string | null {
  let key = '';
  for (const name of equal) {
    const v = labels[name];
    if (v === undefined) return null;
    key += `${v}\u0000`;
  }
  return key;
}

export function buildInhibitionIndex(
  inhibitions: Iterable<Inhibition>,
  openAlerts: Iterable<Alert>,
): InhibitionIndex {
  const rules: Array<{ rule: Inhibition; sources: Map<string, Alert[]> }> = [];
  for (const rule of inhibitions) if (rule.enabled) rules.push({ rule, sources: new Map() });
  if (rules.length === 0) return { rules };
  for (const alert of openAlerts) {
    if (!INHIBITING.has(alert.state) || !alert.labels) continue;
    for (const { rule, sources } of rules) {
      if (!matchesLabels(rule.source, alert.labels)) continue;
      const key = equalKey(rule.equal, alert.labels);
      if (key === null) continue;
      const found = sources.get(key);
      if (!found) sources.set(key, [alert]);
      else if (found.length < 2) found.push(alert);
    }
  }
  return { rules };
}

/**
 * Why an alert is muted now, or undefined. A silence wins over inhibition (it names
 * the person who asked); an alert never inhibits itself. Resolved and closed alerts
 * keep whatever they had (history shows they were muted).
 */
export function suppressionOf(
  alert: Alert,
  activeSilences: readonly Silence[],
  index: InhibitionIndex,
): AlertSuppression | undefined {
  if (!MUTABLE.has(alert.state)) return alert.suppressed;
  const labels = alert.labels ?? {};
  for (const s of activeSilences) {
    if (matchesLabels(s.matchers, labels)) return { by: 'silence', id: s.id, reason: s.comment };
  }
  for (const { rule, sources } of index.rules) {
    if (sources.size === 0 || !matchesLabels(rule.target, labels)) continue;
    const key = equalKey(rule.equal, labels);
    if (key === null) continue;
    const source = sources.get(key)?.find((a) => a.id !== alert.id);
    if (source) return { by: 'inhibition', id: source.id, reason: `${rule.name.zh} / ${rule.name.en}` };
  }
  return undefined;
}

export function sameSuppression(a: AlertSuppression | undefined, b: AlertSuppression | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.by === b.by && a.id === b.id);
}
