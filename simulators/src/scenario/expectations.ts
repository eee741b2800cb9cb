import { SEVERITIES, type Alert, type Severity } from '@shared/schemas/alert.schema';
import type { WorkOrder } from '@shared/schemas/workOrder.schema';
import type { CompiledScenario } from './generate';
import { reportKey } from './model';
import type { CaseExpectation, Expectation } from './scenario.schema';
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
  /** For `case`: every case about the incident, with its times and whether it met the expectation. */
  cases?: CaseOutcome[];
}

/** The cases a run produced, for `case` expectations. */
export interface CaseRecords {
  /** Every work order of the run, with its timeline. */
  orders: readonly WorkOrder[];
  /** The case each citizen's report registered: `incident#index` → case id. */
  byReport: ReadonlyMap<string, string>;
}

/** One case checked against a `case` expectation. */
export interface CaseOutcome {
  id: string;
  state: WorkOrder['state'];
  category: string;
  /** When the problem became known: the citizen's report, or the alert firing. Epoch ms. */
  knownAt: number;
  /** First 派遣, and the passing 核实 (结案); null when it did not happen. */
  dispatchedAt: number | null;
  closedAt: number | null;
  /** 处置时限 */
  deadlineAt: number;
  /** 按期结案: closed, with the accepted report by the deadline. */
  onTime: boolean;
  passed: boolean;
  /** Why it failed, in words (empty when it passed). */
  problems: string[];
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

function describe(e: Exclude<Expectation, CaseExpectation>, cs: CompiledScenario): string {
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

/**
 * Check every expectation of the scenario against the alerts the run produced and, for `case`
 * expectations, the cases (without `cases`, a case expectation fails: nothing was dispatched).
 */
export function checkExpectations(
  cs: CompiledScenario,
  histories: readonly AlertHistory[],
  cases: CaseRecords = { orders: [], byReport: new Map() },
): ExpectationResult[] {
  const local = (t: number) => isoInOffset(t, cs.offsetMin).slice(11, 19);
  const spans = histories.map((h) => ({ h, spans: firingSpans(h) }));
  return cs.scenario.expect.map((e, i) => {
    const id = e.id ?? `expect[${i}]`;
    if (e.type === 'case') return checkCases(e, id, cs, histories, cases);
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

/** Effective time of a timeline entry: when the worker did it (offline queue) or when it was recorded. */
const effectiveAt = (e: WorkOrder['timeline'][number]) => e.doneAt ?? e.at;

/**
 * A case's 派遣, 结案 and 按期 facts from its timeline: the first dispatch; the passing
 * verification; on time when the report it accepted (the last report before it) came by the deadline.
 */
export function caseTimes(order: WorkOrder): {
  dispatchedAt: number | null;
  closedAt: number | null;
  onTime: boolean;
} {
  const dispatch = order.timeline.find((e) => e.action === 'dispatch');
  const passIndex = order.timeline.findIndex((e) => e.action === 'verify' && e.data?.['result'] === 'pass');
  const pass = passIndex >= 0 ? order.timeline[passIndex] : undefined;
  const report = order.timeline
    .slice(0, Math.max(0, passIndex))
    .reverse()
    .find((e) => e.action === 'report');
  return {
    dispatchedAt: dispatch ? effectiveAt(dispatch) : null,
    closedAt: pass ? effectiveAt(pass) : null,
    onTime: pass !== undefined && report !== undefined && effectiveAt(report) <= order.deadlineAt,
  };
}

/**
 * A `case` expectation: the cases of a citizen-reports incident are those its reports registered
 * (a report that registered none fails it); for any other incident, the cases dispatched for an
 * alert about its sensors, cells or districts, registered after its start. Every such case must
 * meet every condition, and there must be at least one.
 */
function checkCases(
  e: CaseExpectation,
  id: string,
  cs: CompiledScenario,
  histories: readonly AlertHistory[],
  records: CaseRecords,
): ExpectationResult {
  const local = (t: number) => isoInOffset(t, cs.offsetMin).slice(11, 19);
  const incident = cs.incidents.find((x) => x.id === e.incident);
  const since = incident?.start ?? cs.start;
  const ordersById = new Map(records.orders.map((o) => [o.id, o]));
  const problems: string[] = [];
  const found: Array<{ order: WorkOrder; knownAt: number }> = [];
  if (incident?.type === 'citizen-reports') {
    for (const r of incident.reports) {
      const caseId = records.byReport.get(reportKey(r));
      const order = caseId ? ordersById.get(caseId) : undefined;
      if (order) found.push({ order, knownAt: order.createdAt });
      else problems.push(`report ${reportKey(r)} at ${local(r.t)} registered no case`);
    }
  } else if (incident) {
    const alerts = new Map(histories.map((h) => [h.alert.id, h.alert]));
    for (const order of records.orders) {
      const alert = order.alertId ? alerts.get(order.alertId) : undefined;
      if (!alert || order.createdAt < since || !inArea(alert, incident.area)) continue;
      found.push({ order, knownAt: alert.firingAt ?? order.createdAt });
    }
  }
  found.sort((a, b) => a.order.createdAt - b.order.createdAt || a.order.id.localeCompare(b.order.id));

  const outcomes = found.map(({ order, knownAt }): CaseOutcome => {
    const t = caseTimes(order);
    const why: string[] = [];
    if (e.dispatchedWithin !== undefined) {
      if (t.dispatchedAt === null) why.push('not dispatched');
      else if (t.dispatchedAt - knownAt > e.dispatchedWithin * 1000)
        why.push(`dispatched after ${formatDuration(t.dispatchedAt - knownAt)}`);
    }
    if (e.closedOnTime || e.within !== undefined) {
      if (t.closedAt === null) why.push(`not closed (${order.state})`);
      else {
        if (e.closedOnTime && !t.onTime) why.push(`closed after its deadline ${local(order.deadlineAt)}`);
        if (e.within !== undefined && t.closedAt - since > e.within * 1000)
          why.push(`closed ${formatDuration(t.closedAt - since)} after the incident start`);
      }
    }
    return {
      id: order.id,
      state: order.state,
      category: order.category,
      knownAt,
      dispatchedAt: t.dispatchedAt,
      closedAt: t.closedAt,
      deadlineAt: order.deadlineAt,
      onTime: t.onTime,
      passed: why.length === 0,
      problems: why,
    };
  });

  const conditions = [
    e.dispatchedWithin !== undefined ? `dispatched within ${formatDuration(e.dispatchedWithin * 1000)}` : '',
    e.closedOnTime ? 'closed on time (by its deadline)' : '',
    e.within !== undefined ? `closed within ${formatDuration(e.within * 1000)} of the incident start` : '',
  ].filter(Boolean);
  const failed = outcomes.filter((o) => !o.passed);
  const passed = outcomes.length > 0 && failed.length === 0 && problems.length === 0;
  const first = failed[0];
  const observed =
    outcomes.length === 0
      ? ['no case', ...problems].join('; ')
      : [
          `${outcomes.length - failed.length}/${outcomes.length} case(s) met it`,
          ...problems,
          ...(first ? [`${first.id}: ${first.problems.join(', ')}`] : []),
        ].join('; ');
  return {
    id,
    type: e.type,
    passed,
    expected: `every case of incident ${e.incident} ${conditions.join(', ') || 'registered'}`,
    observed,
    alerts: [],
    cases: outcomes,
  };
}
