import type { Alert } from '@shared/schemas/alert.schema';
import type { Incident } from '@shared/schemas/incident.schema';
import type { IncidentFilter, IncidentRepository } from '../../services/ports';
import type { SqliteDatabase } from './database';
import { documentPage, SqlWhere } from './sqlWhere';

/** Incidents in SQLite; the JSON document is the source of truth, columns serve the queries. */
export class SqliteIncidentRepository implements IncidentRepository {
  private readonly saveStmt;

  constructor(private readonly db: SqliteDatabase) {
    this.saveStmt = db.prepare(
      `INSERT INTO incidents (id, state, severity, starts_at, updated_at, last_active_at, data)
       VALUES (@id, @state, @severity, @startsAt, @updatedAt, @lastActiveAt, @data)
       ON CONFLICT (id) DO UPDATE SET state = excluded.state, severity = excluded.severity,
         updated_at = excluded.updated_at, last_active_at = excluded.last_active_at, data = excluded.data`,
    );
  }

  async listActive(since: number): Promise<Incident[]> {
    const rows = this.db
      .prepare(`SELECT data FROM incidents WHERE state = 'open' OR last_active_at >= ? ORDER BY starts_at`)
      .all(since) as Array<{ data: string }>;
    return rows.map((r) => JSON.parse(r.data) as Incident);
  }

  async find(id: string): Promise<Incident | null> {
    const row = this.db.prepare(`SELECT data FROM incidents WHERE id = ?`).get(id) as
      { data: string } | undefined;
    return row ? (JSON.parse(row.data) as Incident) : null;
  }

  async save(incident: Incident): Promise<void> {
    this.saveStmt.run({
      id: incident.id,
      state: incident.state,
      severity: incident.severity,
      startsAt: incident.startsAt,
      updatedAt: incident.updatedAt,
      lastActiveAt: incident.lastActiveAt,
      data: JSON.stringify(incident),
    });
  }

  async query(filter: IncidentFilter): Promise<{ items: Incident[]; total: number }> {
    const where = new SqlWhere().eq('state', filter.state).range('starts_at', filter.from, filter.to);
    if (filter.districtIds) {
      const marks = filter.districtIds.map(() => '?').join(', ');
      where.add(
        filter.districtIds.length
          ? `EXISTS (SELECT 1 FROM json_each(data, '$.districtIds') WHERE value IN (${marks}))`
          : '0',
        filter.districtIds,
      );
    }
    return documentPage<Incident>(this.db, 'incidents', where, filter.limit, filter.offset);
  }

  async alertsOf(incidentId: string): Promise<Alert[]> {
    const rows = this.db
      .prepare(`SELECT data FROM alerts WHERE incident_id = ? ORDER BY starts_at, id LIMIT 1000`)
      .all(incidentId) as Array<{ data: string }>;
    return rows.map((r) => JSON.parse(r.data) as Alert);
  }
}
