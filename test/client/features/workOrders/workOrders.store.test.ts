import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  OVERDUE_SHOWN,
  startOfKpiDay,
  useWorkOrdersStore,
} from '../../../../client/src/features/workOrders/workOrders.store';
import { apiError, deferred, respond, stubApi } from '../../auth.fixtures';
import {
  DAY_START,
  entry,
  kpiAnswer,
  kpiRow,
  kpisPush,
  moved,
  resyncRoutes,
  T0,
  workOrder,
} from './workOrders.fixtures';

const routes = resyncRoutes();
const FORBIDDEN = () => respond(apiError('forbidden', 'role viewer may not workOrders:read'), 403);

describe('useWorkOrdersStore', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
  });
  afterEach(() => vi.unstubAllGlobals());

  /** The API answers the resync with these open cases and KPI rows. */
  function serve(items = [workOrder('wo-1')], city = kpiRow('all'), districts = [kpiRow('330106')]) {
    return stubApi({
      [routes.orders]: () => respond({ items, total: items.length }),
      [routes.all]: () => kpiAnswer('all', [city]),
      [routes.districts]: () => kpiAnswer('district', districts),
    });
  }

  it('counts the open cases by state from the resync', async () => {
    serve([
      workOrder('a', { state: 'registered' }),
      workOrder('b', { state: 'dispatched' }),
      workOrder('c', { state: 'dispatched' }),
      workOrder('d', { state: 'handling' }),
      workOrder('e', { state: 'returned' }),
    ]);
    const orders = useWorkOrdersStore();

    await orders.resync({ kind: 'city' }, T0);

    expect(orders.ordersStatus).toBe('ready');
    expect(orders.openCount).toBe(5);
    expect(orders.countsByState).toMatchObject({
      registered: 1,
      dispatched: 2,
      accepted: 0,
      handling: 1,
      reported: 0,
      returned: 1,
      escalated: 0,
    });
  });

  it('asks for the open cases and for today in Asia/Shanghai up to now', async () => {
    const seen = serve();

    await useWorkOrdersStore().resync({ kind: 'city' }, T0);

    expect(seen.map((r) => `${r.method} ${r.path}`).sort()).toEqual(
      [routes.orders, routes.all, routes.districts].sort(),
    );
  });

  it('asks only for the cases of the district the wall follows', async () => {
    const district = resyncRoutes(T0, '&districtId=330106');
    const seen = stubApi({
      [district.orders]: () => respond({ items: [workOrder('wo-1')], total: 1 }),
      [district.all]: () => kpiAnswer('all', [kpiRow('all')]),
      [district.districts]: () => kpiAnswer('district', [kpiRow('330106', { closeRate: 0.5 })]),
    });
    const orders = useWorkOrdersStore();

    await orders.resync({ kind: 'district', id: '330106' }, T0);

    expect(seen.map((r) => r.path)).toContain(district.orders.slice(4));
    expect(orders.openCount).toBe(1);
    expect(orders.kpiRow?.closeRate).toBe(0.5);
  });

  it('takes the start of the Asia/Shanghai day whatever the time of day', () => {
    expect(startOfKpiDay(T0)).toBe(DAY_START);
    expect(startOfKpiDay(DAY_START)).toBe(DAY_START);
    expect(startOfKpiDay(DAY_START - 1)).toBe(DAY_START - 86_400_000);
    expect(startOfKpiDay(DAY_START + 86_400_000 - 1)).toBe(DAY_START);
  });

  it('keeps only what the wall needs of a case', () => {
    const orders = useWorkOrdersStore();
    orders.created(workOrder('wo-1', { description: 'long words', assigneeId: undefined }));

    expect(orders.byId.get('wo-1')).toEqual({
      id: 'wo-1',
      state: 'dispatched',
      category: 'component.public-facility.manhole',
      urgency: 'emergency',
      overdueAt: null,
      dueAt: T0 + 30 * 60_000,
      districtId: '330106',
      gridCellId: '330106001001001',
      location: [120.15, 30.25],
      assigneeId: null,
      updatedAt: T0 - 60_000,
      version: 2,
    });
  });

  it('ignores a pushed case whose version is not newer than the one held', () => {
    const orders = useWorkOrdersStore();
    const v3 = moved(workOrder('wo-1'), 'accepted');
    orders.updated({ order: v3, entry: entry(3, 'accept', 'dispatched', 'accepted') });

    orders.updated({ order: workOrder('wo-1'), entry: entry(2, 'dispatch', 'registered', 'dispatched') });
    orders.updated({
      order: { ...v3, state: 'handling' },
      entry: entry(3, 'checkIn', 'accepted', 'handling'),
    });

    expect(orders.byId.get('wo-1')?.state).toBe('accepted');
    expect(orders.countsByState.dispatched).toBe(0);
  });

  it('removes a case that leaves the open states, and a late older push does not bring it back', () => {
    const orders = useWorkOrdersStore();
    const reported = workOrder('wo-1', { state: 'reported', version: 6 });
    orders.created(reported);
    orders.created(workOrder('wo-2'));

    orders.updated({ order: moved(reported, 'closed'), entry: entry(7, 'verify', 'reported', 'closed') });
    orders.updated({ order: reported, entry: entry(6, 'report', 'handling', 'reported') });

    expect([...orders.byId.keys()]).toEqual(['wo-2']);
    expect(orders.countsByState.reported).toBe(0);
  });

  it('marks a case overdue on an overdue entry and lists it', () => {
    const orders = useWorkOrdersStore();
    const order = workOrder('wo-1');
    orders.created(order);
    expect(orders.overdueCount).toBe(0);

    // The case's own flag normally comes with the entry; the entry alone is enough.
    orders.updated({
      order: moved(order, 'dispatched'),
      entry: entry(3, 'overdue', 'dispatched', 'dispatched', { at: T0, data: { stage: 'response' } }),
    });

    expect(orders.overdueCount).toBe(1);
    expect(orders.overdueList[0]).toMatchObject({ id: 'wo-1', overdueAt: T0 });
  });

  it('lists overdue cases newest first, at most twenty, and counts them all', () => {
    const orders = useWorkOrdersStore();
    for (let i = 0; i < OVERDUE_SHOWN + 5; i += 1)
      orders.created(workOrder(`wo-${i}`, { overdueAt: T0 - i * 60_000 }));
    orders.created(workOrder('on-time'));

    expect(orders.overdueCount).toBe(25);
    expect(orders.overdueList).toHaveLength(20);
    expect(orders.overdueList.slice(0, 3).map((c) => c.id)).toEqual(['wo-0', 'wo-1', 'wo-2']);
    expect(orders.overdueList.at(-1)?.id).toBe('wo-19');
  });

  it('drops a case from the overdue list once it moves to its next stage', () => {
    const orders = useWorkOrdersStore();
    const late = workOrder('wo-1', { overdueAt: T0 - 60_000 });
    orders.created(late);

    orders.updated({
      order: moved(late, 'accepted', { overdueAt: null, stage: 'arrival', dueAt: T0 + 3_600_000 }),
      entry: entry(3, 'accept', 'dispatched', 'accepted'),
    });

    expect(orders.overdueCount).toBe(0);
    expect(orders.countsByState.accepted).toBe(1);
  });

  it('ignores a pushed case outside the district the wall follows', async () => {
    const district = resyncRoutes(T0, '&districtId=330106');
    stubApi({ [district.orders]: () => respond({ items: [], total: 0 }) });
    const orders = useWorkOrdersStore();
    await orders.resync({ kind: 'district', id: '330106' }, T0);

    orders.created(workOrder('elsewhere', { districtId: '330102', gridCellId: '330102001001001' }));
    orders.created(workOrder('here'));

    expect([...orders.byId.keys()]).toEqual(['here']);
  });

  it('takes the pushed KPIs, city-wide and per district', () => {
    const orders = useWorkOrdersStore();
    orders.kpis(kpisPush(kpiRow('all', { closeRate: 0.9 }), [kpiRow('330106', { closeRate: 0.7 })]));

    expect(orders.kpiCity?.closeRate).toBe(0.9);
    expect(orders.kpiDistricts.get('330106')?.closeRate).toBe(0.7);
    expect(orders.kpiPeriod).toEqual({ from: DAY_START, to: T0 });
    expect(orders.kpiRow?.closeRate).toBe(0.9);
  });

  it('shows the KPIs of the district a followed grid cell lies in', async () => {
    const cell = resyncRoutes(T0, '&gridCellId=330106001001001');
    stubApi({ [cell.orders]: () => respond({ items: [], total: 0 }) });
    const orders = useWorkOrdersStore();
    await orders.resync({ kind: 'cell', id: '330106001001001' }, T0);

    orders.kpis(kpisPush(kpiRow('all'), [kpiRow('330102'), kpiRow('330106', { onTimeRate: 0.25 })]));

    expect(orders.kpiRow?.onTimeRate).toBe(0.25);
  });

  it('keeps cases pushed during a resync when they are newer than its answer', async () => {
    const answer = deferred<Response>();
    const stale = workOrder('wo-1', { state: 'reported', version: 6 });
    stubApi({
      [routes.orders]: () => answer.promise,
      [routes.all]: () => kpiAnswer('all', [kpiRow('all')]),
      [routes.districts]: () => kpiAnswer('district', []),
    });
    const orders = useWorkOrdersStore();

    const done = orders.resync({ kind: 'city' }, T0);
    orders.updated({ order: moved(stale, 'closed'), entry: entry(7, 'verify', 'reported', 'closed') });
    orders.created(workOrder('wo-new', { version: 1, state: 'registered' }));
    answer.resolve(respond({ items: [stale, workOrder('wo-2')], total: 2 }));
    await done;

    expect([...orders.byId.keys()].sort()).toEqual(['wo-2', 'wo-new']);
  });

  it('keeps KPIs pushed during a resync rather than its older answer', async () => {
    const answer = deferred<Response>();
    stubApi({
      [routes.orders]: () => respond({ items: [], total: 0 }),
      [routes.all]: () => answer.promise,
      [routes.districts]: () => kpiAnswer('district', []),
    });
    const orders = useWorkOrdersStore();

    const done = orders.resync({ kind: 'city' }, T0);
    orders.kpis(kpisPush(kpiRow('all', { closed: 29 }), [], T0 + 5_000));
    answer.resolve(kpiAnswer('all', [kpiRow('all', { closed: 28 })]));
    await done;

    expect(orders.kpiCity?.closed).toBe(29);
    expect(orders.kpisStatus).toBe('ready');
  });

  it('applies only the answer of the newest resync', async () => {
    const first = deferred<Response>();
    const district = resyncRoutes(T0, '&districtId=330106');
    stubApi({
      [routes.orders]: () => first.promise,
      [routes.all]: () => kpiAnswer('all', [kpiRow('all')]),
      [routes.districts]: () => kpiAnswer('district', []),
      [district.orders]: () => respond({ items: [workOrder('in-district')], total: 1 }),
      [district.all]: () => kpiAnswer('all', [kpiRow('all')]),
      [district.districts]: () => kpiAnswer('district', []),
    });
    const orders = useWorkOrdersStore();

    const city = orders.resync({ kind: 'city' }, T0);
    await orders.resync({ kind: 'district', id: '330106' }, T0);
    first.resolve(respond({ items: [workOrder('citywide', { districtId: '330102' })], total: 1 }));
    await city;

    expect([...orders.byId.keys()]).toEqual(['in-district']);
    expect(orders.scope).toEqual({ kind: 'district', id: '330106' });
  });

  it('goes quietly unavailable for a role that may not read work orders or KPIs, and ignores their pushes', async () => {
    const seen = stubApi({
      [routes.orders]: FORBIDDEN,
      [routes.all]: FORBIDDEN,
      [routes.districts]: FORBIDDEN,
    });
    const orders = useWorkOrdersStore();
    orders.created(workOrder('pushed-before'));
    orders.kpis(kpisPush(kpiRow('all')));

    await expect(orders.resync({ kind: 'city' }, T0)).resolves.toBeUndefined();
    orders.created(workOrder('pushed-after'));
    orders.kpis(kpisPush(kpiRow('all')));

    expect(seen).toHaveLength(3);
    expect(orders.ordersStatus).toBe('unavailable');
    expect(orders.kpisStatus).toBe('unavailable');
    expect(orders.openCount).toBe(0);
    expect(orders.kpiCity).toBeNull();
  });

  it('keeps what it holds when a resync fails for another reason', async () => {
    serve([workOrder('wo-1')]);
    const orders = useWorkOrdersStore();
    await orders.resync({ kind: 'city' }, T0);
    stubApi({});

    await orders.resync({ kind: 'city' }, T0);

    expect(orders.ordersStatus).toBe('failed');
    expect(orders.kpisStatus).toBe('failed');
    expect(orders.openCount).toBe(1);
    expect(orders.kpiCity).not.toBeNull();
  });

  it('forgets everything on clear, including an answer still on its way', async () => {
    const answer = deferred<Response>();
    stubApi({
      [routes.orders]: () => answer.promise,
      [routes.all]: () => kpiAnswer('all', [kpiRow('all')]),
      [routes.districts]: () => kpiAnswer('district', []),
    });
    const orders = useWorkOrdersStore();
    orders.kpis(kpisPush(kpiRow('all')));
    const done = orders.resync({ kind: 'city' }, T0);

    orders.clear();
    answer.resolve(respond({ items: [workOrder('wo-1')], total: 1 }));
    await done;

    expect(orders.openCount).toBe(0);
    expect(orders.kpiCity).toBeNull();
    expect(orders.ordersStatus).toBe('idle');
  });
});
