import type { Alert } from '@shared/schemas/alert.schema';
import type { AlertRepository } from '../../services/ports';
import type { SqliteDatabase } from './database';

/** Alerts in SQLite. The rule engine (its own issue) writes them; the snapshot reads the open ones. */
export class SqliteAlertRepository implements AlertRepository {
  constructor(private readonly db: SqliteDatabase) {}

  async listOpen(): Promise<Alert[]> {
    const rows = this.db
      .prepare(
        `SELECT data FROM alerts WHERE state IN ('pending', 'firing', 'acknowledged') ORDER BY starts_at DESC`,
      )
      .all() as Array<{ data: string }>;
    return rows.map((r) => JSON.parse(r.data) as Alert);
  }
}
