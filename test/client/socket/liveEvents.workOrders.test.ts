import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { respond } from '../auth.fixtures';
import type { SeenRequest } from '../auth.fixtures';
import {
  entry,
  kpiAnswer,
  kpiRow,
  kpisPush,
  moved,
  resyncRoutes,
  workOrder,
} from '../features/workOrders/workOrders.fixtures';
import { snapshot, T0 } from '../live.fixtures';
import type { FakeSocket } from './fakeSocket';
import * as binding from './liveEvents.fixtures';

const requestScope = vi.hoisted(() => vi.fn());
vi.mock('../../../client/src/socket/commands', () => ({ requestScope }));

const { bindLiveSocket } = await import('../../../client/src/socket/liveEvents');
const { useWorkOrdersStore } = await import('../../../client/src/features/workOrders/workOrders.store');
const { useScopeStore } = await import('../../../client/src/features/scope/scope.store');
const { useAuthStore } = await import('../../../client/src/features/auth/auth.store');

const city = resyncRoutes(T0);
const district = resyncRoutes(T0, '&districtId=330106');

describe('bindLiveSocket and the work-order loop', () => {
  let socket: FakeSocket;
  let seen: SeenRequest[];

  beforeEach(() => {
    requestScope.mockReset();
    const routes = (r: ReturnType<typeof resyncRoutes>, ids: string[]) => ({
      [r.orders]: () => respond({ items: ids.map((id) => workOrder(id)), total: ids.length }),
      [r.all]: () => kpiAnswer('all', [kpiRow('all')]),
      [r.districts]: () => kpiAnswer('district', [kpiRow('330106')]),
    });
    ({ socket, seen } = binding.start({
      ...routes(city, ['wo-1', 'wo-2']),
      ...routes(district, ['wo-1']),
    }));
  });
  afterEach(binding.end);

  const bindSignedIn = () => binding.bindSignedIn(socket);

  const workOrderRequests = () =>
    seen.filter((r) => r.path.startsWith('/api/v1/work-orders')).map((r) => r.path);

  it('routes work-order events and KPI pushes to the work-order store', () => {
    bindLiveSocket(socket.asLiveSocket());
    const orders = useWorkOrdersStore();
    const order = workOrder('wo-1');

    socket.fire('workOrder:created', order);
    socket.fire('workOrder:created', workOrder('wo-2'));
    socket.fire('workOrder:updated', {
      order: moved(order, 'closed'),
      entry: entry(3, 'verify', 'reported', 'closed'),
    });
    socket.fire('kpis:updated', kpisPush(kpiRow('all', { closed: 12 })));

    expect([...orders.byId.keys()]).toEqual(['wo-2']);
    expect(orders.kpiCity?.closed).toBe(12);
  });

  it('fetches the work orders and KPIs from the API after every snapshot', async () => {
    await bindSignedIn();
    socket.accept();
    await binding.settle();
    expect(workOrderRequests()).toEqual([]);

    socket.fire('snapshot', snapshot());
    await binding.settle();

    expect(workOrderRequests().sort()).toEqual(
      [city.orders, city.all, city.districts].map((k) => k.slice(4)).sort(),
    );
    expect(useWorkOrdersStore().openCount).toBe(2);

    socket.fire('disconnect', 'transport close');
    socket.accept();
    socket.fire('snapshot', snapshot());
    await binding.settle();
    expect(workOrderRequests()).toHaveLength(6);
  });

  it('fetches them again after a recovered connect, which brings no snapshot', async () => {
    await binding.connectedWith(socket);

    await binding.reconnectRecovered(socket);

    expect(workOrderRequests()).toHaveLength(6);
  });

  it('fetches the cases of the district the wall switches to', async () => {
    await binding.connectedWith(socket);
    requestScope.mockResolvedValue({
      ok: true,
      data: snapshot({ scope: { kind: 'district', id: '330106' } }),
    });

    await useScopeStore().select({ kind: 'district', id: '330106' });
    await binding.settle();

    expect(workOrderRequests()).toContain(district.orders.slice(4));
    expect([...useWorkOrdersStore().byId.keys()]).toEqual(['wo-1']);
  });

  it('forgets the work orders on sign-out without asking the API again', async () => {
    await binding.connectedWith(socket);
    const asked = workOrderRequests().length;

    await useAuthStore().logout();
    await binding.settle();

    expect(useWorkOrdersStore()).toMatchObject({ openCount: 0, kpiCity: null, ordersStatus: 'idle' });
    expect(workOrderRequests()).toHaveLength(asked);
  });

  it('stops routing work-order events once unbound', () => {
    const unbind = bindLiveSocket(socket.asLiveSocket());
    unbind();

    socket.fire('workOrder:created', workOrder('wo-1'));
    socket.fire('kpis:updated', kpisPush(kpiRow('all')));

    expect(useWorkOrdersStore()).toMatchObject({ openCount: 0, kpiCity: null });
  });
});
