import { join } from 'node:path';
import { migrate, openDatabase, type SqliteDatabase } from '../../server/src/persistence/sqlite/database';
import { SqliteReadingStore } from '../../server/src/persistence/sqlite/readings.store';

/**
 * A real SQLite file in `dir`, migrated, with a reading store that keeps everything
 * (no retention) and commits fast: for tests that write readings and read them back.
 */
export async function openTestReadingStore(
  dir: string,
): Promise<{ db: SqliteDatabase; store: SqliteReadingStore; file: string }> {
  const file = join(dir, 'cityops.db');
  const db = openDatabase(file, { synchronous: 'NORMAL' });
  migrate(db);
  const store = await SqliteReadingStore.open(db, {
    file,
    synchronous: 'NORMAL',
    flushMs: 2,
    maxBatch: 5000,
    rollupFlushMs: 60_000,
    retentionEveryMs: 0,
    rawRetentionMs: 1e12,
    rollup1mRetentionMs: 1e12,
    rollup1hRetentionMs: 1e12,
  });
  return { db, store, file };
}
