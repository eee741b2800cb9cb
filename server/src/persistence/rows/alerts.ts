import {
  OPEN_ALERT_STATES,
  type Alert,
  type AlertStatsRow,
  type Severity,
} from '@shared/schemas/alert.schema';
import type { AlertHourCount } from '../../domain/vitals';
import type { AlertEventRecord, AlertFilter, AlertStatsFilter } from '../../services/ports';
import { SqlWhere } from '../sqlite/sqlWhere';

/** The open states as an SQL list, for `state IN (…)` (the same in the unique index of both stores). */
export const OPEN_STATES_SQL = OPEN_ALERT_STATES.map((s) => `'${s}'`).join(', ');

/** Columns of `alerts` in insert order; `alertColumns` gives the values by the same names. */
export const ALERT_COLUMNS = [
  'id',
  'rule_id',
  'subject_type',
  'subject_id',
  'state',
  'severity',
  'starts_at',
  'updated_at',
  'district_id',
  'grid_cell_id',
  'firing_at',
  'acknowledged_at',
  'resolved_at',
  'closed_at',
  'incident_id',
  'data',
] as const;

/** The queryable copies of an alert's fields beside its JSON document (the source of truth). */
export function alertColumns(alert: Alert) {
  return {
    id: alert.id,
    ruleId: alert.ruleId,
    subjectType: alert.subject.type,
    subjectId: alert.subject.id,
    state: alert.state,
    severity: alert.severity,
    startsAt: alert.startsAt,
    updatedAt: alert.updatedAt,
    districtId: alert.districtId ?? null,
    gridCellId: alert.gridCellId ?? null,
    firingAt: alert.firingAt ?? null,
    acknowledgedAt: alert.acknowledged?.at ?? null,
    resolvedAt: alert.resolvedAt ?? null,
    closedAt: alert.closed?.at ?? null,
    incidentId: alert.incidentId ?? null,
    data: JSON.stringify(alert),
  };
}

/** An `alert_events` row read back. */
export interface AlertEventRow {
  alert_id: string;
  at: number;
  type: string;
  actor: string;
  data: string | null;
}

export function alertEventOf(r: AlertEventRow): AlertEventRecord {
  return {
    alertId: r.alert_id,
    at: r.at,
    type: r.type,
    actor: r.actor,
    ...(r.data !== null && { data: JSON.parse(r.data) as Record<string, unknown> }),
  };
}

/**
 * WHERE of an alert history query. `suppressed(set)` is the store's test of the document's
 * `suppressed` field being present (set) or absent — JSON functions differ between stores.
 */
export function alertWhere(filter: AlertFilter, suppressed: (set: boolean) => string): SqlWhere {
  const nonEmpty = (v: readonly string[] | undefined) => (v?.length ? v : undefined);
  return (
    new SqlWhere()
      .range('starts_at', filter.from, filter.to)
      .in('severity', nonEmpty(filter.severities))
      .in('state', nonEmpty(filter.states))
      // An empty district list is a caller who reaches none of the districts asked for: nothing.
      .in('district_id', filter.districtIds)
      .eq('rule_id', filter.ruleId)
      .eq('grid_cell_id', filter.gridCellId)
      .eq('subject_id', filter.subjectId)
      .eq('incident_id', filter.incidentId)
      .add(suppressed(filter.suppressed ?? false), [], filter.suppressed !== undefined)
  );
}

/**
 * Alerts per UTC hour (integer division of integer epoch ms: also the Asia/Shanghai hour),
 * severity and district; parameters: from, to.
 */
export const RAISED_PER_HOUR_SQL = `SELECT (starts_at / 3600000) * 3600000 AS hour_start, severity, district_id,
    COUNT(*) AS n
  FROM alerts WHERE starts_at >= ? AND starts_at < ?
  GROUP BY hour_start, severity, district_id`;

/** A row of RAISED_PER_HOUR_SQL. */
export interface HourCountRow {
  hour_start: number;
  severity: Severity;
  district_id: string | null;
  n: number;
}

export function hourCountOf(r: HourCountRow): AlertHourCount {
  return { hourStart: r.hour_start, severity: r.severity, districtId: r.district_id, count: r.n };
}

/** The counts and MTTA/MTTR sums of `AlertRepository.stats`, one statement with `?` placeholders. */
export function alertStatsQuery(f: AlertStatsFilter): { sql: string; params: unknown[] } {
  const where = new SqlWhere()
    .range('starts_at', f.from, f.to)
    .in('district_id', f.districtIds)
    .eq('rule_id', f.ruleId);
  // The sums are cast so both stores return plain numbers (PostgreSQL sums bigints as numeric).
  const sql = `SELECT ((starts_at + ?) / ?) * ? - ? AS period_start, severity,
       COUNT(*) AS total,
       COUNT(firing_at) AS fired,
       COUNT(acknowledged_at) AS acked,
       COUNT(resolved_at) AS resolved,
       CAST(SUM(CASE WHEN acknowledged_at IS NOT NULL AND firing_at IS NOT NULL THEN acknowledged_at - firing_at END) AS DOUBLE PRECISION) AS ack_ms,
       COUNT(CASE WHEN acknowledged_at IS NOT NULL AND firing_at IS NOT NULL THEN 1 END) AS ack_n,
       CAST(SUM(CASE WHEN resolved_at IS NOT NULL AND firing_at IS NOT NULL THEN resolved_at - firing_at END) AS DOUBLE PRECISION) AS res_ms,
       COUNT(CASE WHEN resolved_at IS NOT NULL AND firing_at IS NOT NULL THEN 1 END) AS res_n
     FROM alerts ${where.clause}
     GROUP BY period_start, severity ORDER BY period_start`;
  return { sql, params: [f.offsetMs, f.periodMs, f.periodMs, f.offsetMs, ...where.params] };
}

export interface AlertStatsSqlRow {
  period_start: number;
  severity: string;
  total: number;
  fired: number;
  acked: number;
  resolved: number;
  ack_ms: number | null;
  ack_n: number;
  res_ms: number | null;
  res_n: number;
}

/** Fold the per-(period, severity) rows into one row per period with MTTA/MTTR in seconds. */
export function foldAlertStats(rows: readonly AlertStatsSqlRow[]): AlertStatsRow[] {
  const byPeriod = new Map<
    number,
    AlertStatsRow & { ackMs: number; ackN: number; resMs: number; resN: number }
  >();
  for (const r of rows) {
    let p = byPeriod.get(r.period_start);
    if (!p) {
      p = {
        periodStart: r.period_start,
        total: 0,
        bySeverity: {},
        fired: 0,
        acknowledged: 0,
        resolved: 0,
        mttaSeconds: null,
        mttrSeconds: null,
        ackMs: 0,
        ackN: 0,
        resMs: 0,
        resN: 0,
      };
      byPeriod.set(r.period_start, p);
    }
    p.total += r.total;
    p.bySeverity[r.severity] = r.total;
    p.fired += r.fired;
    p.acknowledged += r.acked;
    p.resolved += r.resolved;
    p.ackMs += r.ack_ms ?? 0;
    p.ackN += r.ack_n;
    p.resMs += r.res_ms ?? 0;
    p.resN += r.res_n;
  }
  return [...byPeriod.values()].map(({ ackMs, ackN, resMs, resN, ...row }) => ({
    ...row,
    mttaSeconds: ackN ? Math.round(ackMs / ackN / 100) / 10 : null,
    mttrSeconds: resN ? Math.round(resMs / resN / 100) / 10 : null,
  }));
}
