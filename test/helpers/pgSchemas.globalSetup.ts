import { randomBytes } from 'node:crypto';
import { dropRunSchemas } from './pgSchema';

/**
 * Name this test run (its PostgreSQL schemas are `t_<run>_…`, see pgSchema.ts) and, at the end,
 * drop whatever schema of the run a test left behind (a failed test, a cleanup not awaited).
 */
export function setup(): void {
  process.env.PG_TEST_RUN ??= randomBytes(3).toString('hex');
}

export async function teardown(): Promise<void> {
  await dropRunSchemas(process.env.PG_TEST_RUN!);
}
