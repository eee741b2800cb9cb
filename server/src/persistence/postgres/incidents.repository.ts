import type { Alert } from '@shared/schemas/alert.schema';
import type { Incident } from '@shared/schemas/incident.schema';
import type { IncidentFilter, IncidentRepository } from '../../services/ports';
import { parseDocuments } from '../rows/documents';
import { SqlWhere } from '../sqlite/sqlWhere';
import { query, type PgPool } from './database';
import { documentPagePg } from './sqlWhere';

/** Incidents in PostgreSQL; the JSON document is the source of truth, columns serve the queries. */
export class PgIncidentRepository implements IncidentRepository {
  constructor(private readonly pool: PgPool) {}

  async listActive(since: number): Promise<Incident[]> {
    const { rows } = await query(
      this.pool,
      `SELECT data FROM incidents WHERE state = 'open' OR last_active_at >= ? ORDER BY starts_at`,
      [since],
    );
    return parseDocuments<Incident>(rows);
  }

  async find(id: string): Promise<Incident | null> {
    const { rows } = await query(this.pool, 'SELECT data FROM incidents WHERE id = ?', [id]);
    return parseDocuments<Incident>(rows)[0] ?? null;
  }

  async save(incident: Incident): Promise<void> {
    await query(
      this.pool,
      `INSERT INTO incidents (id, state, severity, starts_at, updated_at, last_active_at, data)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET state = excluded.state, severity = excluded.severity,
         updated_at = excluded.updated_at, last_active_at = excluded.last_active_at, data = excluded.data`,
      [
        incident.id,
        incident.state,
        incident.severity,
        incident.startsAt,
        incident.updatedAt,
        incident.lastActiveAt,
        JSON.stringify(incident),
      ],
    );
  }

  async query(filter: IncidentFilter): Promise<{ items: Incident[]; total: number }> {
    const where = new SqlWhere().eq('state', filter.state).range('starts_at', filter.from, filter.to);
    if (filter.districtIds) {
      // The districts live in the document only (an incident spans several): read its array.
      where.add(
        filter.districtIds.length
          ? `EXISTS (SELECT 1 FROM jsonb_array_elements_text(data::jsonb -> 'districtIds') AS d (id)
               WHERE d.id = ANY(?::text[]))`
          : 'FALSE',
        filter.districtIds.length ? [[...filter.districtIds]] : [],
      );
    }
    return documentPagePg<Incident>(this.pool, 'incidents', where, filter.limit, filter.offset);
  }

  async alertsOf(incidentId: string): Promise<Alert[]> {
    const { rows } = await query(
      this.pool,
      'SELECT data FROM alerts WHERE incident_id = ? ORDER BY starts_at, id LIMIT 1000',
      [incidentId],
    );
    return parseDocuments<Alert>(rows);
  }
}
