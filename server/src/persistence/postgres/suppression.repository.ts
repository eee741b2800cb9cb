import type { Inhibition, Silence } from '@shared/schemas/silence.schema';
import type { SuppressionRepository } from '../../services/ports';
import { parseDocuments } from '../rows/documents';
import { query, type PgPool } from './database';

type StoredSilence = Omit<Silence, 'state'>;

/** Silences and inhibition rules in PostgreSQL (JSON documents; deleted rules keep their row). */
export class PgSuppressionRepository implements SuppressionRepository {
  constructor(private readonly pool: PgPool) {}

  async listSilences(): Promise<StoredSilence[]> {
    return parseDocuments<StoredSilence>(
      (await this.pool.query('SELECT data FROM silences ORDER BY created_at')).rows,
    );
  }

  async saveSilence(silence: StoredSilence): Promise<void> {
    await query(
      this.pool,
      `INSERT INTO silences (id, created_at, updated_at, expired_at, data) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, expired_at = excluded.expired_at,
         data = excluded.data`,
      [silence.id, silence.createdAt, silence.updatedAt, silence.expiredAt ?? null, JSON.stringify(silence)],
    );
  }

  async countInhibitions(): Promise<number> {
    return (await query<{ n: number }>(this.pool, 'SELECT COUNT(*) AS n FROM inhibitions')).rows[0]!.n;
  }

  async listInhibitions(): Promise<Inhibition[]> {
    return parseDocuments<Inhibition>(
      (await this.pool.query('SELECT data FROM inhibitions WHERE deleted = 0 ORDER BY id')).rows,
    );
  }

  async saveInhibition(rule: Inhibition): Promise<void> {
    await query(
      this.pool,
      `INSERT INTO inhibitions (id, updated_at, deleted, data) VALUES (?, ?, 0, ?)
       ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, deleted = 0, data = excluded.data`,
      [rule.id, rule.updatedAt, JSON.stringify(rule)],
    );
  }

  async deleteInhibition(id: string, at: number): Promise<void> {
    await query(this.pool, 'UPDATE inhibitions SET deleted = 1, updated_at = ? WHERE id = ?', [at, id]);
  }
}
