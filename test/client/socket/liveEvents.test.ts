import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { alert, batch, reading, snapshot, stats, T0 } from '../live.fixtures';
import { FakeSocket } from './fakeSocket';

const requestScope = vi.hoisted(() => vi.fn());
vi.mock('../../../client/src/socket/commands', () => ({ requestScope }));

const { bindLiveSocket, SERVER_CLOSE_RETRY_MS } = await import('../../../client/src/socket/liveEvents');
const { useLiveStore } = await import('../../../client/src/features/live/live.store');
const { useConnectionStore } = await import('../../../client/src/features/connection/connection.store');
const { useScopeStore } = await import('../../../client/src/features/scope/scope.store');

describe('bindLiveSocket', () => {
  let socket: FakeSocket;

  beforeEach(() => {
    setActivePinia(createPinia());
    vi.useFakeTimers({ now: T0 });
    requestScope.mockReset();
    socket = new FakeSocket();
  });
  afterEach(() => vi.useRealTimers());

  it('routes every server event to the live store', () => {
    bindLiveSocket(socket.asLiveSocket());
    const live = useLiveStore();
    socket.fire('snapshot', snapshot({ openAlerts: [] }));
    socket.fire('readings:batch', batch([reading('t1', T0, { speed: 70 })]));
    socket.fire('readings:resynced', {
      v: 'v1',
      latest: [{ sensorId: 'w1', observedAt: T0, values: { rainfall: 3 } }],
    });
    socket.fire('stats:updated', stats({ accepted: 5000 }));
    socket.fire('alert:raised', alert('x'));
    socket.fire('alert:updated', alert('x', { state: 'closed', updatedAt: T0 }));

    expect(live.hasSnapshot).toBe(true);
    expect(live.latestOf('t1')?.values.speed).toBe(70);
    expect(live.latestOf('w1')?.values.rainfall).toBe(3);
    expect(live.stats?.accepted).toBe(5000);
    expect(live.openAlertCount).toBe(0);
  });

  it('tracks connect, loss with retry, and reconnect attempts', () => {
    bindLiveSocket(socket.asLiveSocket());
    const connection = useConnectionStore();
    expect(connection.status).toBe('connecting');

    socket.fire('connect');
    expect(connection.status).toBe('connected');

    socket.fire('disconnect', 'transport close');
    expect(connection.status).toBe('reconnecting');
    socket.fireManager('reconnect_attempt', 3);
    expect(connection.attempt).toBe(3);

    socket.recovered = true;
    socket.fire('connect');
    expect(connection).toMatchObject({ status: 'connected', recovered: true, attempt: 0 });
  });

  it('says disconnected when the server closes the connection, and connects again later', () => {
    bindLiveSocket(socket.asLiveSocket());
    const connection = useConnectionStore();
    socket.fire('connect');
    socket.active = false;
    socket.fire('disconnect', 'io server disconnect');
    expect(connection.status).toBe('disconnected');
    expect(connection.lastReason).toBe('io server disconnect');
    vi.advanceTimersByTime(SERVER_CLOSE_RETRY_MS);
    expect(socket.connectCalls).toBe(1);
  });

  it('asks for the chosen district again after a connect that did not recover the session', async () => {
    bindLiveSocket(socket.asLiveSocket());
    const districtSnapshot = snapshot({ scope: { kind: 'district', id: '330106' } });
    requestScope.mockResolvedValue({ ok: true, data: districtSnapshot });
    const scope = useScopeStore();
    await scope.select({ kind: 'district', id: '330106' }); // offline: only recorded
    expect(requestScope).not.toHaveBeenCalled();

    socket.fire('connect');
    socket.fire('snapshot', snapshot());
    await vi.waitFor(() => expect(useLiveStore().scope).toEqual({ kind: 'district', id: '330106' }));
    expect(requestScope).toHaveBeenCalledWith({ kind: 'district', id: '330106' });
  });

  it('unbinds every listener it bound', () => {
    const unbind = bindLiveSocket(socket.asLiveSocket());
    expect(socket.listenerCount()).toBe(10);
    unbind();
    expect(socket.listenerCount()).toBe(0);
  });
});
