import { afterEach, describe, expect, it } from 'vitest';
import type { Alert, Severity } from '../../../../shared/schemas/alert.schema';
import {
  migrate,
  openDatabase,
  type SqliteDatabase,
} from '../../../../server/src/persistence/sqlite/database';
import { SqliteAlertRepository } from '../../../../server/src/persistence/sqlite/alerts.repository';

const HOUR = 3_600_000;
/** 2026-04-02 00:00 in Asia/Shanghai. */
const SHANGHAI_MIDNIGHT = Date.UTC(2026, 3, 1, 16);

const databases: SqliteDatabase[] = [];
afterEach(() => {
  for (const db of databases.splice(0)) db.close();
});

function repo(): SqliteAlertRepository {
  const db = openDatabase(':memory:', { synchronous: 'NORMAL' });
  databases.push(db);
  migrate(db);
  return new SqliteAlertRepository(db);
}

let n = 0;
function alertAt(startsAt: number, severity: Severity, districtId?: string): Alert {
  n += 1;
  return {
    id: `al-${n}`,
    ruleId: 'r-1',
    ruleVersion: 1,
    subject: { type: 'sensor', id: `S-${n}` },
    severity,
    state: 'closed',
    title: { zh: '告警', en: 'Alert' },
    startsAt,
    updatedAt: startsAt,
    ...(districtId && { districtId }),
  };
}

describe('SqliteAlertRepository.raisedPerHour', () => {
  it('counts alerts per Shanghai hour, severity and district, on both sides of local midnight', async () => {
    const alerts = repo();
    for (const a of [
      alertAt(SHANGHAI_MIDNIGHT - 1, 'red', '330106'),
      alertAt(SHANGHAI_MIDNIGHT - HOUR, 'red', '330106'),
      alertAt(SHANGHAI_MIDNIGHT - HOUR + 5, 'blue'),
      alertAt(SHANGHAI_MIDNIGHT, 'red', '330106'),
      alertAt(SHANGHAI_MIDNIGHT + 59 * 60_000, 'orange', '330102'),
      // Outside [from, to):
      alertAt(SHANGHAI_MIDNIGHT - 2 * HOUR - 1, 'red', '330106'),
      alertAt(SHANGHAI_MIDNIGHT + HOUR, 'red', '330106'),
    ])
      await alerts.insertOpen(a, []);

    const rows = await alerts.raisedPerHour(SHANGHAI_MIDNIGHT - 2 * HOUR, SHANGHAI_MIDNIGHT + HOUR);

    expect(rows.sort((a, b) => a.hourStart - b.hourStart || a.severity.localeCompare(b.severity))).toEqual([
      { hourStart: SHANGHAI_MIDNIGHT - HOUR, severity: 'blue', districtId: null, count: 1 },
      { hourStart: SHANGHAI_MIDNIGHT - HOUR, severity: 'red', districtId: '330106', count: 2 },
      { hourStart: SHANGHAI_MIDNIGHT, severity: 'orange', districtId: '330102', count: 1 },
      { hourStart: SHANGHAI_MIDNIGHT, severity: 'red', districtId: '330106', count: 1 },
    ]);
  });

  it('reads the range through the starts_at index', async () => {
    const db = openDatabase(':memory:', { synchronous: 'NORMAL' });
    databases.push(db);
    migrate(db);
    const prepared: string[] = [];
    const prepare = db.prepare.bind(db);
    db.prepare = ((sql: string) => {
      prepared.push(sql);
      return prepare(sql);
    }) as typeof db.prepare;
    const alerts = new SqliteAlertRepository(db);
    await alerts.raisedPerHour(0, 1);
    const sql = prepared.find((q) => /GROUP BY hour_start/.test(q))!;

    const plan = prepare(`EXPLAIN QUERY PLAN ${sql}`).all(0, 1) as Array<{ detail: string }>;

    expect(plan.map((p) => p.detail).join(' | ')).toMatch(
      /USING INDEX alerts_starts_at \(starts_at>\? AND starts_at<\?\)/,
    );
  });
});
