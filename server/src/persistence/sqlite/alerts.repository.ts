import type { Alert, AlertStatsRow } from '@shared/schemas/alert.schema';
import type { AlertHourCount } from '../../domain/vitals';
import {
  AlertChangedError,
  type AlertEventRecord,
  type AlertFilter,
  type AlertRepository,
  type AlertStatsFilter,
} from '../../services/ports';
import {
  alertColumns,
  alertEventOf,
  alertStatsQuery,
  alertWhere,
  foldAlertStats,
  hourCountOf,
  OPEN_STATES_SQL as OPEN,
  RAISED_PER_HOUR_SQL,
  type AlertEventRow,
  type AlertStatsSqlRow,
  type HourCountRow,
} from '../rows/alerts';
import type { SqliteDatabase } from './database';
import { documentPage } from './sqlWhere';

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
  private readonly updateIfStmt;
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
    this.updateIfStmt = db.prepare(
      `UPDATE alerts SET state = @state, severity = @severity, updated_at = @updatedAt, firing_at = @firingAt,
         acknowledged_at = @acknowledgedAt, resolved_at = @resolvedAt, closed_at = @closedAt,
         incident_id = @incidentId, data = @data
       WHERE id = @id AND data = @previous`,
    );
    this.raisedPerHourStmt = db.prepare(RAISED_PER_HOUR_SQL);
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
      const result = this.insertStmt.run(alertColumns(alert));
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

  async update(alert: Alert, events: readonly AlertEventRecord[], previous?: Alert): Promise<void> {
    this.db.transaction(() => {
      const result = previous
        ? this.updateIfStmt.run({ ...alertColumns(alert), previous: JSON.stringify(previous) })
        : this.updateStmt.run(alertColumns(alert));
      if (result.changes !== 1) {
        if (previous && this.findStmt.get(alert.id)) throw new AlertChangedError(alert.id);
        throw new Error(`alert ${alert.id} not found`);
      }
      for (const e of events) this.appendEvent(e);
    })();
  }

  async query(filter: AlertFilter): Promise<{ items: Alert[]; total: number }> {
    const where = alertWhere(
      filter,
      (set) => `json_extract(data, '$.suppressed') IS ${set ? 'NOT NULL' : 'NULL'}`,
    );
    return documentPage<Alert>(this.db, 'alerts', where, filter.limit, filter.offset);
  }

  async events(alertId: string): Promise<AlertEventRecord[]> {
    const rows = this.db
      .prepare(`SELECT alert_id, at, type, actor, data FROM alert_events WHERE alert_id = ? ORDER BY seq`)
      .all(alertId) as AlertEventRow[];
    return rows.map(alertEventOf);
  }

  async raisedPerHour(from: number, to: number): Promise<AlertHourCount[]> {
    const rows = this.raisedPerHourStmt.all(from, to) as Array<HourCountRow>;
    return rows.map(hourCountOf);
  }

  async stats(f: AlertStatsFilter): Promise<AlertStatsRow[]> {
    const { sql, params } = alertStatsQuery(f);
    return foldAlertStats(this.db.prepare(sql).all(...params) as AlertStatsSqlRow[]);
  }
}
