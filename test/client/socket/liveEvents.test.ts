import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { alert, batch, reading, snapshot, stats, T0 } from '../live.fixtures';
import type { FakeSocket } from './fakeSocket';
import * as binding from './liveEvents.fixtures';

const requestScope = vi.hoisted(() => vi.fn());
vi.mock('../../../client/src/socket/commands', () => ({ requestScope }));

const { bindLiveSocket, SERVER_CLOSE_RETRY_MS } = await import('../../../client/src/socket/liveEvents');
const { useLiveStore } = await import('../../../client/src/features/live/live.store');
const { useConnectionStore } = await import('../../../client/src/features/connection/connection.store');
const { useScopeStore } = await import('../../../client/src/features/scope/scope.store');
const { useAuthStore } = await import('../../../client/src/features/auth/auth.store');

describe('bindLiveSocket', () => {
  let socket: FakeSocket;

  /** The session the server holds; the fake `/auth/me` answers from it. */
  let session: { valid: boolean };

  beforeEach(() => {
    requestScope.mockReset();
    ({ socket, session } = binding.start());
  });
  afterEach(binding.end);

  const bindSignedIn = () => binding.bindSignedIn(socket);

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

  it('tracks connect, loss with retry, and reconnect attempts', async () => {
    await bindSignedIn();
    const connection = useConnectionStore();
    expect(connection.status).toBe('connecting');

    socket.accept();
    expect(connection.status).toBe('connected');

    socket.fire('disconnect', 'transport close');
    expect(connection.status).toBe('reconnecting');
    socket.fireManager('reconnect_attempt', 3);
    expect(connection.attempt).toBe(3);

    socket.recovered = true;
    socket.fire('connect');
    expect(connection).toMatchObject({ status: 'connected', recovered: true, attempt: 0 });
  });

  it('asks for a snapshot on a recovered reconnect when batches were skipped while hidden', async () => {
    await bindSignedIn();
    const live = useLiveStore();
    socket.accept();
    socket.fire('snapshot', snapshot({ openAlerts: [] }));
    requestScope.mockResolvedValue({ ok: true, data: snapshot({ openAlerts: [] }) });

    socket.fire('disconnect', 'transport close');
    live.setPaused(true);
    socket.fire('readings:batch', batch([reading('t1', T0, { speed: 70 })]));
    live.setPaused(false);
    expect(live.needsSnapshot).toBe(true);

    socket.recovered = true;
    socket.fire('connect');
    expect(requestScope).toHaveBeenCalledWith({ kind: 'city' });
    await vi.waitFor(() => expect(live.needsSnapshot).toBe(false));
  });

  it('says disconnected when the server closes the connection, and connects again later while signed in', async () => {
    await bindSignedIn();
    const connection = useConnectionStore();
    socket.accept();
    socket.closeByServer();
    expect(connection.status).toBe('disconnected');
    expect(connection.lastReason).toBe('io server disconnect');
    await vi.advanceTimersByTimeAsync(SERVER_CLOSE_RETRY_MS);
    expect(socket.connectCalls).toBe(2);
  });

  it('does not connect while nobody is signed in', async () => {
    session.valid = false;
    bindLiveSocket(socket.asLiveSocket());

    expect(await useAuthStore().check()).toBe('signed-out');
    await vi.advanceTimersByTimeAsync(10 * SERVER_CLOSE_RETRY_MS);

    expect(socket.connectCalls).toBe(0);
  });

  it('connects as soon as someone signs in', async () => {
    bindLiveSocket(socket.asLiveSocket());
    expect(socket.connectCalls).toBe(0);

    await useAuthStore().check();

    expect(socket.connectCalls).toBe(1);
  });

  it('disconnects on sign-out and forgets the live state, the scope and the connection history', async () => {
    await bindSignedIn();
    socket.accept();
    socket.fire('snapshot', snapshot());
    useScopeStore().selected = { kind: 'district', id: '330106' };

    await useAuthStore().logout();

    expect(socket.disconnectCalls).toBe(1);
    expect(socket.active).toBe(false);
    expect(useLiveStore()).toMatchObject({ hasSnapshot: false, sensorCount: 0, stats: null, recent: [] });
    expect(useScopeStore().selected).toEqual({ kind: 'city' });
    expect(useConnectionStore().status).toBe('connecting');
    await vi.advanceTimersByTimeAsync(10 * SERVER_CLOSE_RETRY_MS);
    expect(socket.connectCalls).toBe(1);
  });

  it('returns to the sign-in view without retrying when the handshake is refused and the session is gone', async () => {
    await bindSignedIn();
    session.valid = false;

    socket.refuse('unauthorized');

    await vi.waitFor(() => expect(useAuthStore().status).toBe('signed-out'));
    await vi.advanceTimersByTimeAsync(10 * SERVER_CLOSE_RETRY_MS);
    expect(socket.connectCalls).toBe(1);
  });

  it('tries the refused handshake again later when the session still holds', async () => {
    await bindSignedIn();

    socket.refuse('unauthorized');

    await vi.advanceTimersByTimeAsync(SERVER_CLOSE_RETRY_MS);
    expect(useAuthStore().status).toBe('signed-in');
    expect(socket.connectCalls).toBe(2);
  });

  it('returns to the sign-in view when the server closes the connection of a revoked session', async () => {
    await bindSignedIn();
    socket.accept();
    socket.fire('snapshot', snapshot());
    session.valid = false;

    socket.closeByServer();

    await vi.waitFor(() => expect(useAuthStore().status).toBe('signed-out'));
    expect(useLiveStore().hasSnapshot).toBe(false);
    await vi.advanceTimersByTimeAsync(10 * SERVER_CLOSE_RETRY_MS);
    expect(socket.connectCalls).toBe(1);
  });

  it('does not repeat a handshake refused as forbidden', async () => {
    await bindSignedIn();

    socket.refuse('forbidden: district 330106 is outside your area');

    expect(useConnectionStore()).toMatchObject({
      status: 'disconnected',
      lastReason: 'forbidden: district 330106 is outside your area',
    });
    await vi.advanceTimersByTimeAsync(10 * SERVER_CLOSE_RETRY_MS);
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
    expect(socket.listenerCount()).toBe(17);
    unbind();
    expect(socket.listenerCount()).toBe(0);
  });
});
