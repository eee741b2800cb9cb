import { SEVERITIES, type Alert, type Severity } from '@shared/schemas/alert.schema';
import type { CompiledScenario } from './generate';
import type { Expectation } from './scenario.schema';
import { formatDuration, isoInOffset, resolveTime } from './time';

/** An alert with its stored events (the scenario runner reads both from the store). */
export interface AlertHistory {
  alert: Alert;
  events: ReadonlyArray<{ at: number; type: string; data?: Record<string, unknown> }>;
}

/** A stretch of time during which an alert was firing at one severity, muted or not. */
export interface FiringSpan {
  from: number;
  /** Infinity while still firing at the end. */
  to: number;
  severity: Severity;
  muted: boolean;
}

export interface ExpectationResult {
  id: string;
  type: Expectation['type'];
  passed: boolean;
  /** What was expected, in words. */
  expected: string;
  /** What happened, with times (local to the scenario) and delays. */
  observed: string;
  /** For `alert`: the first matching alert's time and its delay from the reference time. */
  firstAt?: number;
  delayMs?: number;
  /** Alerts that matched (for `alert`) or violated (for `no-alert`), at most 5. */
  alerts: Array<{ id: string; ruleId: string; subject: string; severity: Severity; at: number }>;
}

const rank = (s: Severity) => SEVERITIES.length - SEVERITIES.indexOf(s); // red 4 … blue 1

/**
 * The firing spans of an alert, from its events: `pending` does not count; `firing` and
 * `severity` set the level; `resolved`, `cancelled` and `closed` end it; `suppressed` and
 * `unsuppressed` switch muting. Events at the same instant are applied together.
 */
export function firingSpans(h: AlertHistory): FiringSpan[] {
  const events = [...h.events].sort((a, b) => a.at - b.at);
  const spans: FiringSpan[] = [];
  let firing = false;
  let severity: Severity = h.alert.severity;
  let muted = false;
  let open: FiringSpan | null = null;
  for (let i = 0; i < events.length;) {
    const at = events[i]!.at;
    for (; i < events.length && events[i]!.at === at; i++) {
      const e = events[i]!;
      const sev = e.data?.['severity'];
      if (typeof sev === 'string' && (SEVERITIES as readonly string[]).includes(sev))
        severity = sev as Severity;
      if (e.type === 'firing') firing = true;
      else if (e.type === 'resolved' || e.type === 'cancelled' || e.type === 'closed') firing = false;
      else if (e.type === 'suppressed') muted = true;
      else if (e.type === 'unsuppressed') muted = false;
    }
    const same = open && firing && open.severity === severity && open.muted === muted;
    if (same) continue;
    if (open) {
      open.to = at;
      open = null;
    }
    if (firing) {
      open = { from: at, to: Infinity, severity, muted };
      spans.push(open);
    }
  }
  return spans;
}

function subjectOf(a: Alert): string {
  return `${a.subject.type} ${a.subject.id}`;
}

/** The sensor an alert is about, if any. */
export function alertSensorId(a: Alert): string | undefined {
  return a.labels?.['sensorId'] ?? (a.subject.type === 'sensor' ? a.subject.id : undefined);
}

interface Area {
  sensors?: ReadonlySet<string>;
  cells?: ReadonlySet<string>;
  districts?: ReadonlySet<string>;
}

/** An expectation's `where` as sets, built once per expectation. */
function areaOf(where: { sensors?: string[]; cells?: string[]; districts?: string[] }): Area {
  return {
    ...(where.sensors && { sensors: new Set(where.sensors) }),
    ...(where.cells && { cells: new Set(where.cells) }),
    ...(where.districts && { districts: new Set(where.districts) }),
  };
}

/** Does the alert concern this set of sensors / cells / districts? */
function inArea(a: Alert, { sensors, cells, districts }: Area): boolean {
  const sensorId = alertSensorId(a);
  if (sensors && sensorId && sensors.has(sensorId)) return true;
  if (cells && a.subject.type === 'cell' && cells.has(a.subject.id)) return true;
  if (districts && a.subject.type === 'district' && districts.has(a.subject.id)) return true;
  // A city-wide or drawn-fence alert has no single place: it concerns any part of the city.
  if (a.subject.type === 'area') return Boolean(sensors || cells || districts);
  // An explicit cell or district list also takes any alert located in it.
  if (cells && !sensors && a.gridCellId && cells.has(a.gridCellId)) return true;
  if (districts && !sensors && !cells && a.districtId && districts.has(a.districtId)) return true;
  return false;
}

function describe(e: Expectation, cs: CompiledScenario): string {
  const what = `${e.rule ? `rule ${e.rule}` : 'any rule'}${e.severity ? ` ≥ ${e.severity}` : ''}`;
  const where = e.where
    ? ` in ${[
        ...(e.where.sensors ?? []).map((s) => `sensor ${s}`),
        ...(e.where.cells ?? []).map((c) => `cell ${c}`),
        ...(e.where.districts ?? []).map((d) => `district ${d}`),
      ].join(', ')}`
    : '';
  if (e.type === 'alert') {
    const on = e.incident ? ` about incident ${e.incident}` : '';
    const muted = e.muted === undefined ? '' : e.muted ? ' (muted)' : ' (not muted)';
    const n = e.atLeast > 1 ? `${e.atLeast} subjects with ` : '';
    return `${n}an alert of ${what}${muted}${on}${where} within ${formatDuration(e.within * 1000)}`;
  }
  const from = e.from
    ? isoInOffset(resolveTime(e.from, cs.start, cs.offsetMin), cs.offsetMin).slice(11, 16)
    : 'start';
  const to = e.to
    ? isoInOffset(resolveTime(e.to, cs.start, cs.offsetMin), cs.offsetMin).slice(11, 16)
    : 'end';
  return `no ${e.includeMuted ? '' : 'unmuted '}alert of ${what}${where} from ${from} to ${to}`;
}

/** Check every expectation of the scenario against the alerts the run produced. */
export function checkExpectations(
  cs: CompiledScenario,
  histories: readonly AlertHistory[],
): ExpectationResult[] {
  const local = (t: number) => isoInOffset(t, cs.offsetMin).slice(11, 19);
  const spans = histories.map((h) => ({ h, spans: firingSpans(h) }));
  return cs.scenario.expect.map((e, i) => {
    const id = e.id ?? `expect[${i}]`;
    const min = e.severity ? rank(e.severity) : 1;
    const where = e.where && areaOf(e.where);
    const candidates = spans.filter(
      ({ h }) => (!e.rule || h.alert.ruleId === e.rule) && (!where || inArea(h.alert, where)),
    );
    if (e.type === 'alert') {
      const incident = e.incident ? cs.incidents.find((x) => x.id === e.incident) : undefined;
      const ref = e.after ? resolveTime(e.after, cs.start, cs.offsetMin) : (incident?.start ?? cs.start);
      const deadline = ref + e.within * 1000;
      const hits: Array<{ h: AlertHistory; at: number; severity: Severity }> = [];
      for (const { h, spans: ss } of candidates) {
        if (incident && !inArea(h.alert, incident.area)) continue;
        // Raised (or escalated to the severity asked) after the reference: an alert already
        // firing before the incident did not detect it.
        const span = ss.find(
          (s) => rank(s.severity) >= min && s.from >= ref && (e.muted === undefined || s.muted === e.muted),
        );
        if (span) hits.push({ h, at: span.from, severity: span.severity });
      }
      hits.sort((a, b) => a.at - b.at);
      const inTime = hits.filter((x) => x.at <= deadline);
      const subjects = new Set(inTime.map((x) => subjectOf(x.h.alert)));
      const passed = subjects.size >= e.atLeast;
      const first = hits[0];
      const observed = first
        ? `${inTime.length > 0 ? `${subjects.size} subject(s) in time; ` : ''}first ${first.h.alert.ruleId} (${first.severity}) on ${subjectOf(first.h.alert)} at ${local(first.at)} (+${formatDuration(first.at - ref)})`
        : 'no matching alert';
      return {
        id,
        type: e.type,
        passed,
        expected: describe(e, cs),
        observed,
        ...(first && { firstAt: first.at, delayMs: first.at - ref }),
        alerts: (inTime.length ? inTime : hits).slice(0, 5).map((x) => ({
          id: x.h.alert.id,
          ruleId: x.h.alert.ruleId,
          subject: subjectOf(x.h.alert),
          severity: x.severity,
          at: x.at,
        })),
      };
    }
    const from = e.from ? resolveTime(e.from, cs.start, cs.offsetMin) : cs.start;
    const to = e.to ? resolveTime(e.to, cs.start, cs.offsetMin) : cs.end;
    const bad: Array<{ h: AlertHistory; at: number; severity: Severity }> = [];
    for (const { h, spans: ss } of candidates) {
      const span = ss.find(
        (s) => rank(s.severity) >= min && s.from < to && s.to > from && (e.includeMuted || !s.muted),
      );
      if (span) bad.push({ h, at: Math.max(span.from, from), severity: span.severity });
    }
    bad.sort((a, b) => a.at - b.at);
    return {
      id,
      type: e.type,
      passed: bad.length === 0,
      expected: describe(e, cs),
      observed:
        bad.length === 0
          ? 'none'
          : `${bad.length} alert(s), first ${bad[0]!.h.alert.ruleId} (${bad[0]!.severity}) on ${subjectOf(bad[0]!.h.alert)} at ${local(bad[0]!.at)}`,
      alerts: bad.slice(0, 5).map((x) => ({
        id: x.h.alert.id,
        ruleId: x.h.alert.ruleId,
        subject: subjectOf(x.h.alert),
        severity: x.severity,
        at: x.at,
      })),
    };
  });
}
