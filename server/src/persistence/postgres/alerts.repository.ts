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
  ALERT_COLUMNS,
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
import { query, transaction, type PgClient, type PgPool } from './database';
import { documentPagePg } from './sqlWhere';

const INSERT = `INSERT INTO alerts (${ALERT_COLUMNS.join(', ')})
  VALUES (${ALERT_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT DO NOTHING`;
const UPDATE = `UPDATE alerts SET state = ?, severity = ?, updated_at = ?, firing_at = ?, acknowledged_at = ?,
  resolved_at = ?, closed_at = ?, incident_id = ?, data = ? WHERE id = ?`;
const FIND_OPEN = `SELECT data FROM alerts
  WHERE rule_id = ? AND subject_type = ? AND subject_id = ? AND state IN (${OPEN})`;

type DataRow = { data: string };
const parse = (rows: readonly DataRow[]) => rows.map((r) => JSON.parse(r.data) as Alert);

/**
 * Alerts in PostgreSQL, for any number of nodes. The partial unique index `alerts_one_open`
 * decides which of two nodes raising the same (rule, subject) at once stores its alert: the
 * other's INSERT … ON CONFLICT DO NOTHING inserts nothing and it reads the winner back.
 */
export class PgAlertRepository implements AlertRepository {
  constructor(private readonly pool: PgPool) {}

  private async appendEvents(c: PgClient, events: readonly AlertEventRecord[]): Promise<void> {
    if (events.length === 0) return;
    await c.query(
      `INSERT INTO alert_events (alert_id, at, type, actor, data)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[])`,
      [
        events.map((e) => e.alertId),
        events.map((e) => e.at),
        events.map((e) => e.type),
        events.map((e) => e.actor),
        events.map((e) => (e.data ? JSON.stringify(e.data) : null)),
      ],
    );
  }

  async listOpen(): Promise<Alert[]> {
    const { rows } = await query<DataRow>(
      this.pool,
      `SELECT data FROM alerts WHERE state IN (${OPEN}) ORDER BY starts_at DESC`,
    );
    return parse(rows);
  }

  async findOpen(ruleId: string, subjectType: string, subjectId: string): Promise<Alert | null> {
    const { rows } = await query<DataRow>(this.pool, FIND_OPEN, [ruleId, subjectType, subjectId]);
    return parse(rows)[0] ?? null;
  }

  async hasStarted(
    ruleId: string,
    subjectType: string,
    subjectId: string,
    startsAt: number,
  ): Promise<boolean> {
    const { rowCount } = await query(
      this.pool,
      `SELECT 1 FROM alerts WHERE rule_id = ? AND starts_at = ? AND subject_type = ? AND subject_id = ? LIMIT 1`,
      [ruleId, startsAt, subjectType, subjectId],
    );
    return (rowCount ?? 0) > 0;
  }

  async find(id: string): Promise<Alert | null> {
    const { rows } = await query<DataRow>(this.pool, `SELECT data FROM alerts WHERE id = ?`, [id]);
    return parse(rows)[0] ?? null;
  }

  async insertOpen(
    alert: Alert,
    events: readonly AlertEventRecord[],
  ): Promise<{ alert: Alert; inserted: boolean }> {
    return transaction(this.pool, async (c) => {
      const values = Object.values(alertColumns(alert));
      const result = await query(c, INSERT, values);
      if (result.rowCount === 1) {
        await this.appendEvents(c, events);
        return { alert, inserted: true };
      }
      const { rows } = await query<DataRow>(c, FIND_OPEN, [
        alert.ruleId,
        alert.subject.type,
        alert.subject.id,
      ]);
      const open = parse(rows)[0];
      if (!open) throw new Error(`alert ${alert.id} conflicts but no open alert exists (duplicate id?)`);
      return { alert: open, inserted: false };
    });
  }

  async update(alert: Alert, events: readonly AlertEventRecord[], previous?: Alert): Promise<void> {
    const a = alertColumns(alert);
    await transaction(this.pool, async (c) => {
      const cas = previous ? ' AND data = ?' : '';
      const result = await query(c, UPDATE + cas, [
        a.state,
        a.severity,
        a.updatedAt,
        a.firingAt,
        a.acknowledgedAt,
        a.resolvedAt,
        a.closedAt,
        a.incidentId,
        a.data,
        a.id,
        ...(previous ? [JSON.stringify(previous)] : []),
      ]);
      if (result.rowCount !== 1) {
        if (previous && (await query(c, 'SELECT 1 FROM alerts WHERE id = ?', [alert.id])).rowCount)
          throw new AlertChangedError(alert.id);
        throw new Error(`alert ${alert.id} not found`);
      }
      await this.appendEvents(c, events);
    });
  }

  async query(filter: AlertFilter): Promise<{ items: Alert[]; total: number }> {
    const where = alertWhere(
      filter,
      (set) => `NULLIF(data::jsonb -> 'suppressed', 'null'::jsonb) IS ${set ? 'NOT NULL' : 'NULL'}`,
    );
    return documentPagePg<Alert>(this.pool, 'alerts', where, filter.limit, filter.offset);
  }

  async events(alertId: string): Promise<AlertEventRecord[]> {
    const { rows } = await query<AlertEventRow>(
      this.pool,
      `SELECT alert_id, at, type, actor, data FROM alert_events WHERE alert_id = ? ORDER BY seq`,
      [alertId],
    );
    return rows.map(alertEventOf);
  }

  async raisedPerHour(from: number, to: number): Promise<AlertHourCount[]> {
    const { rows } = await query<HourCountRow>(this.pool, RAISED_PER_HOUR_SQL, [from, to]);
    return rows.map(hourCountOf);
  }

  async stats(f: AlertStatsFilter): Promise<AlertStatsRow[]> {
    const { sql, params } = alertStatsQuery(f);
    const { rows } = await query<AlertStatsSqlRow>(this.pool, sql, params);
    return foldAlertStats(rows);
  }
}
