import type { Inhibition, Silence } from '@shared/schemas/silence.schema';
import type { SuppressionRepository } from '../../services/ports';
import type { SqliteDatabase } from './database';

type StoredSilence = Omit<Silence, 'state'>;

/** Silences and inhibition rules in SQLite (JSON documents; deleted rules keep their row). */
export class SqliteSuppressionRepository implements SuppressionRepository {
  constructor(private readonly db: SqliteDatabase) {}

  async listSilences(): Promise<StoredSilence[]> {
    const rows = this.db.prepare(`SELECT data FROM silences ORDER BY created_at`).all() as Array<{
      data: string;
    }>;
    return rows.map((r) => JSON.parse(r.data) as StoredSilence);
  }

  async saveSilence(silence: StoredSilence): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO silences (id, created_at, updated_at, expired_at, data) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, expired_at = excluded.expired_at,
           data = excluded.data`,
      )
      .run(
        silence.id,
        silence.createdAt,
        silence.updatedAt,
        silence.expiredAt ?? null,
        JSON.stringify(silence),
      );
  }

  async countInhibitions(): Promise<number> {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM inhibitions`).get() as { n: number }).n;
  }

  async listInhibitions(): Promise<Inhibition[]> {
    const rows = this.db
      .prepare(`SELECT data FROM inhibitions WHERE deleted = 0 ORDER BY id`)
      .all() as Array<{ data: string }>;
    return rows.map((r) => JSON.parse(r.data) as Inhibition);
  }

  async saveInhibition(rule: Inhibition): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO inhibitions (id, updated_at, deleted, data) VALUES (?, ?, 0, ?)
         ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, deleted = 0, data = excluded.data`,
      )
      .run(rule.id, rule.updatedAt, JSON.stringify(rule));
  }

  async deleteInhibition(id: string, at: number): Promise<void> {
    this.db.prepare(`UPDATE inhibitions SET deleted = 1, updated_at = ? WHERE id = ?`).run(at, id);
  }
}
