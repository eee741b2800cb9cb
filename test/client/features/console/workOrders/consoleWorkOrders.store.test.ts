import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WorkOrder } from '@shared/schemas/workOrder.schema';
import { useConsoleWorkOrdersStore } from '../../../../../client/src/features/console/workOrders/consoleWorkOrders.store';
import { useWorkOrdersStore } from '../../../../../client/src/features/workOrders/workOrders.store';
import { apiError, deferred, refusal, respond, stubApi } from '../../../auth.fixtures';
import {
  detailOf,
  detailRoute,
  entry,
  listAnswer,
  moved,
  OPEN_LIST,
  T0,
  workOrder,
} from './consoleWorkOrders.fixtures';

const ids = (orders: readonly WorkOrder[]) => orders.map((o) => o.id);

describe('useConsoleWorkOrdersStore', () => {
  let stop: (() => void) | null = null;

  beforeEach(() => {
    setActivePinia(createPinia());
  });
  afterEach(() => {
    stop?.();
    stop = null;
    vi.unstubAllGlobals();
  });

  /** The store following pushes, loaded with these cases. */
  async function loaded(items: WorkOrder[]) {
    stubApi({ [OPEN_LIST]: () => listAnswer(items) });
    const store = useConsoleWorkOrdersStore();
    stop = store.follow();
    await store.load();
    return store;
  }

  it('lists the cases of the filters newest first', async () => {
    const store = await loaded([
      workOrder('old', { createdAt: T0 - 3_600_000 }),
      workOrder('new', { createdAt: T0 - 60_000 }),
    ]);
    expect(store.listStatus).toBe('ready');
    expect(ids(store.items)).toEqual(['new', 'old']);
    expect(store.total).toBe(2);
  });

  it('asks again with the new filters when they change', async () => {
    const seen = stubApi({
      'GET /api/v1/work-orders?state=reported&districtId=330106&limit=500': () => listAnswer([]),
    });
    const store = useConsoleWorkOrdersStore();
    await store.setFilters({ state: 'reported', districtId: '330106' });
    expect(seen.map((r) => r.path)).toEqual([
      '/api/v1/work-orders?state=reported&districtId=330106&limit=500',
    ]);
    expect(store.listStatus).toBe('ready');
  });

  it('says the list is unavailable to a role that may not read work orders', async () => {
    stubApi({ [OPEN_LIST]: () => respond(apiError('forbidden', 'no'), 403) });
    const store = useConsoleWorkOrdersStore();
    await store.load();
    expect(store.listStatus).toBe('unavailable');
  });

  it('applies a newer version pushed to the wall store and ignores an older one after it', async () => {
    const store = await loaded([workOrder('wo-1', { version: 2, state: 'dispatched' })]);
    const wall = useWorkOrdersStore();
    const v3 = moved(workOrder('wo-1', { version: 2 }), 'accepted');

    wall.updated({ order: v3, entry: entry(3, 'accept', 'dispatched', 'accepted') });
    expect(store.items[0]).toMatchObject({ version: 3, state: 'accepted' });

    // A late push of version 2 (a slower node) must not undo the acceptance.
    wall.updated({
      order: workOrder('wo-1', { version: 2, state: 'dispatched' }),
      entry: entry(2, 'dispatch', 'registered', 'dispatched'),
    });
    expect(store.items[0]).toMatchObject({ version: 3, state: 'accepted' });
  });

  it('adds a created case that matches the filters in list order', async () => {
    const store = await loaded([workOrder('older', { createdAt: T0 - 3_600_000 })]);
    useWorkOrdersStore().created(workOrder('fresh', { version: 1, state: 'registered', createdAt: T0 }));
    expect(ids(store.items)).toEqual(['fresh', 'older']);
    expect(store.total).toBe(2);
  });

  it('drops a case that left the filters and does not bring it back with an older push', async () => {
    const store = await loaded([workOrder('wo-1', { version: 5, state: 'reported' })]);
    const wall = useWorkOrdersStore();
    wall.updated({
      order: workOrder('wo-1', { version: 6, state: 'closed' }),
      entry: entry(6, 'verify', 'reported', 'closed'),
    });
    expect(store.items).toEqual([]);

    wall.updated({
      order: workOrder('wo-1', { version: 5, state: 'reported' }),
      entry: entry(5, 'report', 'handling', 'reported'),
    });
    expect(store.items).toEqual([]);
  });

  it('keeps a push that came while the list was on its way when it is newer than the answer', async () => {
    const answer = deferred<Response>();
    stubApi({ [OPEN_LIST]: () => answer.promise });
    const store = useConsoleWorkOrdersStore();
    stop = store.follow();
    const loading = store.load();
    useWorkOrdersStore().updated({
      order: workOrder('wo-1', { version: 4, state: 'handling' }),
      entry: entry(4, 'checkIn', 'accepted', 'handling'),
    });
    answer.resolve(listAnswer([workOrder('wo-1', { version: 3, state: 'accepted' })]));
    await loading;
    expect(store.items).toHaveLength(1);
    expect(store.items[0]).toMatchObject({ version: 4, state: 'handling' });
  });

  it('stops following when told to', async () => {
    const store = await loaded([]);
    stop?.();
    stop = null;
    useWorkOrdersStore().created(workOrder('fresh', { version: 1, state: 'registered' }));
    expect(store.items).toEqual([]);
  });

  it('fetches the list and the open case again when the wall resyncs', async () => {
    const order = workOrder('wo-1', { state: 'reported' });
    const reportedList = '/api/v1/work-orders?state=reported&limit=500';
    const seen = stubApi({
      [`GET ${reportedList}`]: () => listAnswer([order]),
      [detailRoute('wo-1')]: () => respond(detailOf(order)),
    });
    const store = useConsoleWorkOrdersStore();
    stop = store.follow();
    await store.setFilters({ state: 'reported' });
    await store.select('wo-1');
    seen.length = 0;

    // The wall's own resync (a reconnect); its requests are not served here, which does not matter.
    await useWorkOrdersStore().resync({ kind: 'city' }, T0);

    await vi.waitFor(() => {
      const paths = seen.map((r) => r.path);
      expect(paths).toContain(reportedList);
      expect(paths).toContain('/api/v1/work-orders/wo-1');
    });
  });

  it('forgets everything when the wall store is cleared on sign-out', async () => {
    const store = await loaded([workOrder('wo-1')]);
    useWorkOrdersStore().clear();
    expect(store.items).toEqual([]);
    expect(store.listStatus).toBe('idle');
  });

  it('names the version it saw and applies the answer of a command', async () => {
    const order = workOrder('wo-1', { version: 7, state: 'reported' });
    const closed = moved(order, 'closed');
    const seen = stubApi({
      [OPEN_LIST]: () => listAnswer([order]),
      [detailRoute('wo-1')]: () => respond(detailOf(order)),
      'POST /api/v1/work-orders/wo-1/verify': () => respond(closed),
    });
    const store = useConsoleWorkOrdersStore();
    await store.load();
    await store.select('wo-1');

    const outcome = await store.command('verify', { result: 'pass', comment: '' });

    expect(outcome.ok).toBe(true);
    expect(seen.find((r) => r.method === 'POST')?.body).toEqual({
      result: 'pass',
      comment: '',
      expectedVersion: 7,
    });
    expect(store.selected).toMatchObject({ version: 8, state: 'closed' });
    // Closed cases leave the open list.
    expect(store.items).toEqual([]);
  });

  it('keeps the details of a refused command and fetches the case again on a conflict', async () => {
    const order = workOrder('wo-1', { version: 7, state: 'reported' });
    const seen = stubApi({
      [OPEN_LIST]: () => listAnswer([order]),
      [detailRoute('wo-1')]: () => respond(detailOf(order)),
      'POST /api/v1/work-orders/wo-1/verify': () =>
        refusal(409, 'conflict', 'case wo-1 is at version 8', [
          { path: 'expectedVersion', message: 'case wo-1 is at version 8', reason: 'version' },
        ]),
    });
    const store = useConsoleWorkOrdersStore();
    await store.select('wo-1');
    seen.length = 0;

    const outcome = await store.command('verify', { result: 'pass', comment: '' });

    expect(outcome.ok).toBe(false);
    if (!outcome.ok)
      expect(outcome.problem).toMatchObject({
        status: 409,
        code: 'conflict',
        details: [{ path: 'expectedVersion', reason: 'version' }],
      });
    await vi.waitFor(() => expect(seen.map((r) => r.path)).toContain('/api/v1/work-orders/wo-1'));
  });
});
