import { afterEach, describe, expect, it } from 'vitest';
import type { WorkOrder } from '../../../../shared/schemas/workOrder.schema';
import {
  migrate,
  openDatabase,
  type SqliteDatabase,
} from '../../../../server/src/persistence/sqlite/database';
import { MIGRATIONS } from '../../../../server/src/persistence/sqlite/migrations';
import { SqliteWorkOrderRepository } from '../../../../server/src/persistence/sqlite/workOrders.repository';
import { workOrderAt } from '../../../fixtures/workOrders';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 21, 2, 0);

function order(id: string, over: Partial<WorkOrder> = {}): WorkOrder {
  return workOrderAt(T0, { id, source: 'alert', title: '井盖倾斜', location: [120.15, 30.27], ...over });
}

const databases: SqliteDatabase[] = [];
afterEach(() => {
  for (const db of databases.splice(0)) db.close();
});

function open(migrations = MIGRATIONS): SqliteDatabase {
  const db = openDatabase(':memory:', { synchronous: 'NORMAL' });
  databases.push(db);
  migrate(db, migrations);
  return db;
}

describe('SqliteWorkOrderRepository', () => {
  it('keeps one open case per alert, and allows a new one once the first is closed', async () => {
    const repo = new SqliteWorkOrderRepository(open());
    const first = order('WO-1', { alertId: 'al-1' });
    expect(await repo.insert(first)).toEqual({ order: first, inserted: true });

    expect(await repo.insert(order('WO-2', { alertId: 'al-1' }))).toEqual({
      order: first,
      inserted: false,
      conflict: 'open-alert',
    });

    expect(await repo.update({ ...first, version: 2, state: 'cancelled' })).toBe(true);
    expect((await repo.insert(order('WO-3', { alertId: 'al-1' }))).inserted).toBe(true);
  });

  it('finds the case of a create key, and returns it for a repeated create', async () => {
    const repo = new SqliteWorkOrderRepository(open());
    const first = order('WO-1', { source: 'worker' });
    await repo.insert(first, 'u-w1:patrol-0001');

    expect(await repo.findByCreateKey('u-w1:patrol-0001')).toEqual(first);
    expect(await repo.findByCreateKey('u-w1:patrol-0002')).toBeNull();
    expect(await repo.insert(order('WO-2'), 'u-w1:patrol-0001')).toEqual({
      order: first,
      inserted: false,
      conflict: 'create-key',
    });
  });

  it('gives a KPI window the cases registered in it and those changed in it, not older untouched ones', async () => {
    const repo = new SqliteWorkOrderRepository(open());
    const from = T0;
    const to = T0 + 24 * HOUR;
    await repo.insert(order('WO-in', { createdAt: T0 + HOUR, updatedAt: T0 + HOUR }));
    await repo.insert(order('WO-flagged', { createdAt: T0 - 48 * HOUR, updatedAt: T0 + 2 * HOUR }));
    await repo.insert(order('WO-idle', { createdAt: T0 - 48 * HOUR, updatedAt: T0 - 47 * HOUR }));
    await repo.insert(order('WO-later', { createdAt: to + HOUR, updatedAt: to + HOUR }));

    expect((await repo.forKpis(from, to)).map((o) => o.id).sort()).toEqual(['WO-flagged', 'WO-in']);
  });

  it('migrates a store holding two open cases of one alert, keeping the older as the alert’s case', async () => {
    const db = open(MIGRATIONS.filter((m) => m.version < 8));
    const before = new SqliteWorkOrderRepository(db);
    await before.insert(order('WO-1', { alertId: 'al-1' }));
    await before.insert(order('WO-2', { alertId: 'al-1' }));

    migrate(db);

    const repo = new SqliteWorkOrderRepository(db);
    expect(await repo.insert(order('WO-3', { alertId: 'al-1' }))).toMatchObject({
      inserted: false,
      conflict: 'open-alert',
      order: { id: 'WO-1' },
    });
    // The other keeps its link in its document and can still change.
    const second = (await repo.find('WO-2'))!;
    expect(second.alertId).toBe('al-1');
    expect(await repo.update({ ...second, version: 2, state: 'cancelled' })).toBe(true);
  });
});
