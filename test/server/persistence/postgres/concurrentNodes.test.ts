import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../../shared/schemas/alert.schema';
import type { Reading } from '../../../../shared/schemas/reading.schema';
import { PgAlertRepository } from '../../../../server/src/persistence/postgres/alerts.repository';
import { PgAuditRepository } from '../../../../server/src/persistence/postgres/audit.repository';
import { migratePg, openPool, type PgPool } from '../../../../server/src/persistence/postgres/database';
import { PgReadingStore } from '../../../../server/src/persistence/postgres/readings.store';
import { PgWorkOrderRepository } from '../../../../server/src/persistence/postgres/workOrders.repository';
import { AuditService } from '../../../../server/src/services/audit.service';
import { AlertChangedError } from '../../../../server/src/services/ports';
import { workOrderAt } from '../../../fixtures/workOrders';
import { freshPgSchema, type PgTestSchema } from '../../../helpers/pgSchema';

// Two or three "nodes" are pools of their own on one schema: what several CityOps nodes on one
// PostgreSQL do. Each case races them and checks that the schema, not a process, kept order.

const T0 = Date.UTC(2026, 10, 22, 2, 0);
const NODES = 3;
const RACERS_PER_NODE = 8;

let schema: PgTestSchema;
let pools: PgPool[];

beforeAll(async () => {
  schema = await freshPgSchema();
  pools = Array.from({ length: NODES }, () => openPool({ url: schema.url, max: RACERS_PER_NODE }));
  // Nodes starting together migrate once (advisory lock): all three try at the same time.
  const applied = await Promise.all(pools.map((p) => migratePg(p)));
  expect(applied.map((a) => a.length).sort()).toEqual([0, 0, 1]);
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await schema.drop();
});

/** `RACERS_PER_NODE` calls of `fn` on every node at once. */
function race<T>(fn: (node: number, i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(
    pools.flatMap((_, node) => Array.from({ length: RACERS_PER_NODE }, (_unused, i) => fn(node, i))),
  );
}

function alert(id: string, subjectId: string): Alert {
  return {
    id,
    ruleId: 'grid-smoke',
    ruleVersion: 1,
    subject: { type: 'sensor', id: subjectId },
    severity: 'red',
    state: 'firing',
    title: { zh: '烟感告警', en: 'Smoke alarm' },
    startsAt: T0,
    updatedAt: T0,
    firingAt: T0,
  };
}

describe('PostgreSQL under concurrent nodes', () => {
  it('stores one open alert per (rule, subject) when every node raises it at once', async () => {
    const repos = pools.map((p) => new PgAlertRepository(p));
    const outcomes = await race((node, i) =>
      repos[node]!.insertOpen(alert(`al-${node}-${i}`, 'SMOKE-1'), [
        { alertId: `al-${node}-${i}`, at: T0, type: 'raised', actor: 'system' },
      ]),
    );
    const winners = outcomes.filter((o) => o.inserted);
    expect(winners).toHaveLength(1);
    // Every loser was handed the winner's alert, not its own.
    for (const o of outcomes) expect(o.alert.id).toBe(winners[0]!.alert.id);
    expect((await repos[0]!.listOpen()).filter((a) => a.subject.id === 'SMOKE-1')).toHaveLength(1);
    // Only the stored alert has events.
    expect(await repos[1]!.events(winners[0]!.alert.id)).toHaveLength(1);
    const loser = outcomes.find((o) => !o.inserted)!;
    expect(loser.alert.id).toBe(winners[0]!.alert.id);
  });

  it('lets one of two nodes change an alert from the same stored copy; the other is told it changed', async () => {
    const repos = pools.map((p) => new PgAlertRepository(p));
    const stored = (await repos[0]!.insertOpen(alert('al-cas', 'SMOKE-CAS'), [])).alert;
    const acked: Alert = { ...stored, state: 'acknowledged', updatedAt: T0 + 1 };
    const resolved: Alert = { ...stored, state: 'resolved', resolvedAt: T0 + 1, updatedAt: T0 + 1 };
    const outcomes = await Promise.allSettled([
      repos[1]!.update(acked, [], stored),
      repos[2]!.update(resolved, [], stored),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(AlertChangedError);
    const now = (await repos[0]!.find('al-cas'))!;
    expect([acked, resolved]).toContainEqual(now);
  });

  it('lets exactly one node win each work-order transition (compare-and-set on version)', async () => {
    const repos = pools.map((p) => new PgWorkOrderRepository(p));
    const registered = workOrderAt(T0, {
      id: 'WO-CAS',
      source: 'alert',
      title: '井盖倾斜',
      location: [120.15, 30.27],
    });
    expect((await repos[0]!.insert(registered)).inserted).toBe(true);
    const next = { ...registered, version: registered.version + 1, updatedAt: T0 + 1 };
    const won = await race((node, i) =>
      repos[node]!.update({ ...next, assigneeId: `W-${node}-${i}`, state: 'dispatched' }),
    );
    expect(won.filter(Boolean)).toHaveLength(1);
    const stored = (await repos[2]!.find('WO-CAS'))!;
    expect(stored.version).toBe(registered.version + 1);
    expect(stored.assigneeId).toMatch(/^W-\d-\d$/);
  });

  it('makes one open case per alert and one case per create key, whichever node the clicks reach', async () => {
    const repos = pools.map((p) => new PgWorkOrderRepository(p));
    const perAlert = await race((node, i) =>
      repos[node]!.insert(
        workOrderAt(T0, {
          id: `WO-A-${node}-${i}`,
          source: 'alert',
          alertId: 'al-dispatch',
          title: '烟感',
          location: [120.15, 30.27],
        }),
      ),
    );
    expect(perAlert.filter((o) => o.inserted)).toHaveLength(1);
    for (const o of perAlert.filter((x) => !x.inserted)) expect(o).toMatchObject({ conflict: 'open-alert' });

    const perKey = await race((node, i) =>
      repos[node]!.insert(
        workOrderAt(T0, {
          id: `WO-K-${node}-${i}`,
          source: 'operator',
          title: '占道',
          location: [120.15, 30.27],
        }),
        'user-1:action-7',
      ),
    );
    const made = perKey.filter((o) => o.inserted);
    expect(made).toHaveLength(1);
    for (const o of perKey) expect(o.order.id).toBe(made[0]!.order.id);
  });

  it('hands out each case number of a day once across nodes', async () => {
    const repos = pools.map((p) => new PgWorkOrderRepository(p));
    const numbers = await race((node) => repos[node]!.nextNumber('20261122'));
    expect(numbers.sort((a, b) => a - b)).toEqual(
      Array.from({ length: NODES * RACERS_PER_NODE }, (_, i) => i + 1),
    );
  });

  it('extends one unbroken audit chain when every node appends at once', async () => {
    const services = pools.map((p) => new AuditService({ repo: new PgAuditRepository(p), clock: () => T0 }));
    await race((node, i) =>
      services[node]!.record({
        actor: { type: 'system', id: `node-${node}` },
        action: 'test.append',
        target: { type: 'user', id: `u-${i}` },
        origin: { via: 'system' },
      }),
    );
    const verdict = await services[0]!.verify();
    expect(verdict).toMatchObject({ ok: true, count: NODES * RACERS_PER_NODE });
  });

  it('stores a reading sent to several nodes once, and counts it once in the rollups', async () => {
    const options = {
      flushMs: 1,
      maxBatch: 500,
      retentionEveryMs: 0,
      rawRetentionMs: 86_400_000,
      rollup1mRetentionMs: 86_400_000,
      rollup1hRetentionMs: 86_400_000,
    };
    const stores = pools.map((p) => new PgReadingStore(p, options));
    // 200 readings of 20 sensors over 10 minutes, every one sent to every node at once.
    const readings: Reading[] = Array.from({ length: 200 }, (_, i) => ({
      sensorId: `AQ-${i % 20}`,
      observedAt: T0 + Math.floor(i / 20) * 60_000,
      values: { pm25: i, no2: 2 * i },
    }));
    const outcomes = await Promise.all(stores.map((s) => s.write(readings)));
    expect(outcomes.reduce((n, o) => n + o.inserted.length, 0)).toBe(readings.length);
    expect(outcomes.reduce((n, o) => n + o.duplicates, 0)).toBe(readings.length * (NODES - 1));

    // The minute rollups hold each reading once: sensor AQ-3 has pm25 = 3, 23, 43, … 183.
    const points = await stores[1]!.history({
      sensorId: 'AQ-3',
      metric: 'pm25',
      from: T0,
      to: T0 + 10 * 60_000,
      resolution: '1m',
      bucketMs: 0,
    });
    expect(points.map((p) => [p.count, p.avg])).toEqual(
      Array.from({ length: 10 }, (_, k) => [1, 3 + 20 * k]),
    );
    const hour = await stores[2]!.history({
      sensorId: 'AQ-3',
      metric: 'no2',
      from: T0,
      to: T0 + 10 * 60_000,
      resolution: '1h',
      bucketMs: 0,
    });
    expect(hour).toEqual([{ t: T0, min: 6, max: 366, avg: 186, count: 10 }]);
    await Promise.all(stores.map((s) => s.close()));
  });
});
