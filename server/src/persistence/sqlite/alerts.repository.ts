import {
  OPEN_ALERT_STATES,
  type Alert,
  type AlertStatsRow,
  type Severity,
} from '@shared/schemas/alert.schema';
import type { AlertHourCount } from '../../domain/vitals';
import type { AlertEventRecord, AlertFilter, AlertRepository, AlertStatsFilter } from '../../services/ports';
import type { SqliteDatabase } from './database';
import { documentPage, SqlWhere } from './sqlWhere';

const OPEN = OPEN_ALERT_STATES.map((s) => `'${s}'`).join(', ');

/**
 * Alerts in SQLite. The JSON document is the source of truth; columns copy what
 * history queries filter on. The partial unique index `alerts_one_open` (migration 1)
 * keeps one open alert per (rule, subject) whatever the writers do.
 */
export class SqliteAlertRepository implements AlertRepository {
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly eventStmt;
  private readonly findOpenStmt;
  private readonly findStmt;
  private readonly raisedPerHourStmt;

  constructor(private readonly db: SqliteDatabase) {
    this.insertStmt = db.prepare(
      `INSERT INTO alerts (id, rule_id, subject_type, subject_id, state, severity, starts_at, updated_at,
         district_id, grid_cell_id, firing_at, acknowledged_at, resolved_at, closed_at, incident_id, data)
       VALUES (@id, @ruleId, @subjectType, @subjectId, @state, @severity, @startsAt, @updatedAt,
         @districtId, @gridCellId, @firingAt, @acknowledgedAt, @resolvedAt, @closedAt, @incidentId, @data)
       ON CONFLICT DO NOTHING`,
    );
    this.updateStmt = db.prepare(
      `UPDATE alerts SET state = @state, severity = @severity, updated_at = @updatedAt, firing_at = @firingAt,
         acknowledged_at = @acknowledgedAt, resolved_at = @resolvedAt, closed_at = @closedAt,
         incident_id = @incidentId, data = @data
       WHERE id = @id`,
    );
    this.eventStmt = db.prepare(
      `INSERT INTO alert_events (alert_id, at, type, actor, data) VALUES (?, ?, ?, ?, ?)`,
    );
    this.findOpenStmt = db.prepare(
      `SELECT data FROM alerts WHERE rule_id = ? AND subject_type = ? AND subject_id = ? AND state IN (${OPEN})`,
    );
    this.findStmt = db.prepare(`SELECT data FROM alerts WHERE id = ?`);
    // Integer division of integer epoch ms: the UTC hour, which is also the Asia/Shanghai hour.
    this.raisedPerHourStmt = db.prepare(
      `SELECT (starts_at / 3600000) * 3600000 AS hour_start, severity, district_id, COUNT(*) AS n
       FROM alerts WHERE starts_at >= ? AND starts_at < ?
       GROUP BY hour_start, severity, district_id`,
    );
  }

  private static row(alert: Alert) {
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

  private appendEvent(event: AlertEventRecord): void {
    this.eventStmt.run(
      event.alertId,
      event.at,
      event.type,
      event.actor,
      event.data ? JSON.stringify(event.data) : null,
    );
  }

  async listOpen(): Promise<Alert[]> {
    const rows = this.db
      .prepare(`SELECT data FROM alerts WHERE state IN (${OPEN}) ORDER BY starts_at DESC`)
      .all() as Array<{ data: string }>;
    return rows.map((r) => JSON.parse(r.data) as Alert);
  }

  async findOpen(ruleId: string, subjectType: string, subjectId: string): Promise<Alert | null> {
    const row = this.findOpenStmt.get(ruleId, subjectType, subjectId) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as Alert) : null;
  }

  async hasStarted(
    ruleId: string,
    subjectType: string,
    subjectId: string,
    startsAt: number,
  ): Promise<boolean> {
    // The (rule_id, starts_at) index finds the few candidates.
    return (
      this.db
        .prepare(
          `SELECT 1 FROM alerts WHERE rule_id = ? AND starts_at = ? AND subject_type = ? AND subject_id = ? LIMIT 1`,
        )
        .get(ruleId, startsAt, subjectType, subjectId) !== undefined
    );
  }

  async find(id: string): Promise<Alert | null> {
    const row = this.findStmt.get(id) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as Alert) : null;
  }

  async insertOpen(
    alert: Alert,
    events: readonly AlertEventRecord[],
  ): Promise<{ alert: Alert; inserted: boolean }> {
    return this.db.transaction(() => {
      const result = this.insertStmt.run(SqliteAlertRepository.row(alert));
      if (result.changes === 1) {
        for (const e of events) this.appendEvent(e);
        return { alert, inserted: true };
      }
      const row = this.findOpenStmt.get(alert.ruleId, alert.subject.type, alert.subject.id) as
        { data: string } | undefined;
      if (!row) throw new Error(`alert ${alert.id} conflicts but no open alert exists (duplicate id?)`);
      return { alert: JSON.parse(row.data) as Alert, inserted: false };
    })();
  }

  async update(alert: Alert, events: readonly AlertEventRecord[]): Promise<void> {
    this.db.transaction(() => {
      const result = this.updateStmt.run(SqliteAlertRepository.row(alert));
      if (result.changes !== 1) throw new Error(`alert ${alert.id} not found`);
      for (const e of events) this.appendEvent(e);
    })();
  }

  async query(filter: AlertFilter): Promise<{ items: Alert[]; total: number }> {
    const nonEmpty = (v: readonly string[] | undefined) => (v?.length ? v : undefined);
    const where = new SqlWhere()
      .range('starts_at', filter.from, filter.to)
      .in('severity', nonEmpty(filter.severities))
      .in('state', nonEmpty(filter.states))
      // An empty district list is a caller who reaches none of the districts asked for: nothing.
      .in('district_id', filter.districtIds)
      .eq('rule_id', filter.ruleId)
      .eq('grid_cell_id', filter.gridCellId)
      .eq('subject_id', filter.subjectId)
      .eq('incident_id', filter.incidentId)
      .add(
        `json_extract(data, '$.suppressed') IS ${filter.suppressed ? 'NOT NULL' : 'NULL'}`,
        [],
        filter.suppressed !== undefined,
      );
    return documentPage<Alert>(this.db, 'alerts', where, filter.limit, filter.offset);
  }

  async events(alertId: string): Promise<AlertEventRecord[]> {
    const rows = this.db
      .prepare(`SELECT alert_id, at, type, actor, data FROM alert_events WHERE alert_id = ? ORDER BY seq`)
      .all(alertId) as Array<{
      alert_id: string;
      at: number;
      type: string;
      actor: string;
      data: string | null;
    }>;
    return rows.map((r) => ({
      alertId: r.alert_id,
      at: r.at,
      type: r.type,
      actor: r.actor,
      ...(r.data !== null && { data: JSON.parse(r.data) as Record<string, unknown> }),
    }));
  }

  async raisedPerHour(from: number, to: number): Promise<AlertHourCount[]> {
    const rows = this.raisedPerHourStmt.all(from, to) as Array<{
      hour_start: number;
      severity: Severity;
      district_id: string | null;
      n: number;
    }>;
    return rows.map((r) => ({
      hourStart: r.hour_start,
      severity: r.severity,
      districtId: r.district_id,
      count: r.n,
    }));
  }

  async stats(f: AlertStatsFilter): Promise<AlertStatsRow[]> {
    const where = ['starts_at >= ?', 'starts_at < ?'];
    const params: unknown[] = [f.from, f.to];
    if (f.districtIds) {
      where.push(`district_id IN (${f.districtIds.map(() => '?').join(', ') || "''"})`);
      params.push(...f.districtIds);
    }
    if (f.ruleId !== undefined) {
      where.push('rule_id = ?');
      params.push(f.ruleId);
    }
    const rows = this.db
      .prepare(
        `SELECT ((starts_at + @offset) / @period) * @period - @offset AS period_start, severity,
           COUNT(*) AS total,
           COUNT(firing_at) AS fired,
           COUNT(acknowledged_at) AS acked,
           COUNT(resolved_at) AS resolved,
           SUM(CASE WHEN acknowledged_at IS NOT NULL AND firing_at IS NOT NULL THEN acknowledged_at - firing_at END) AS ack_ms,
           COUNT(CASE WHEN acknowledged_at IS NOT NULL AND firing_at IS NOT NULL THEN 1 END) AS ack_n,
           SUM(CASE WHEN resolved_at IS NOT NULL AND firing_at IS NOT NULL THEN resolved_at - firing_at END) AS res_ms,
           COUNT(CASE WHEN resolved_at IS NOT NULL AND firing_at IS NOT NULL THEN 1 END) AS res_n
         FROM alerts WHERE ${where.join(' AND ')}
         GROUP BY period_start, severity ORDER BY period_start`,
      )
      .all({ offset: f.offsetMs, period: f.periodMs }, ...params) as Array<{
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
    }>;
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
}
