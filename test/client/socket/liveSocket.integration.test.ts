import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPinia, setActivePinia } from 'pinia';
import { Server } from 'socket.io';
import { io } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ClientToServerEvents, ServerToClientEvents } from '@shared/socket';
import type { LiveSocket } from '../../../client/src/socket/socket';
import { apiError, respond, sessionInfo, stubApi } from '../auth.fixtures';
import { batch, reading, snapshot, stats, T0 } from '../live.fixtures';

// The page's socket connects to its own origin; here it connects to the test server.
const holder = vi.hoisted(() => ({ socket: null as unknown }));
vi.mock('../../../client/src/socket/socket', () => ({ liveSocket: () => holder.socket }));

const { bindLiveSocket } = await import('../../../client/src/socket/liveEvents');
const { useLiveStore } = await import('../../../client/src/features/live/live.store');
const { useConnectionStore } = await import('../../../client/src/features/connection/connection.store');
const { useScopeStore } = await import('../../../client/src/features/scope/scope.store');
const { useAuthStore } = await import('../../../client/src/features/auth/auth.store');

describe('live socket against a real Socket.IO server', () => {
  let server: Server<ClientToServerEvents, ServerToClientEvents>;
  let socket: LiveSocket;
  let port: number;

  beforeEach(async () => {
    setActivePinia(createPinia());
    const http = createServer();
    server = new Server(http);
    // Plays the contract: snapshot on connect, scope:set answered with the scope's snapshot.
    server.on('connection', (s) => {
      s.emit('snapshot', snapshot());
      s.on('scope:set', (scope, ack) => {
        if (scope.kind === 'district' && scope.id === '999999') {
          ack({ ok: false, error: { code: 'not_found', message: 'no such district' } });
          return;
        }
        void s.join(scope.kind === 'city' ? 'city' : `${scope.kind}:${scope.id}`);
        ack({ ok: true, data: snapshot({ scope, sensors: [], latest: [] }) });
      });
      void s.join('city');
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    port = (http.address() as AddressInfo).port;
    socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], autoConnect: false });
    holder.socket = socket;
  });

  afterEach(async () => {
    socket.disconnect();
    await server.close();
  });

  it('receives the snapshot, batches and stats, and switches scope through the ack', async () => {
    bindLiveSocket(socket);
    const live = useLiveStore();
    socket.connect();
    await vi.waitFor(() => expect(live.hasSnapshot).toBe(true));
    expect(useConnectionStore().status).toBe('connected');

    server.to('city').emit('readings:batch', batch([reading('t1', T0 + 1, { speed: 33 })]));
    server.emit('stats:updated', stats({ serverTime: T0 + 1000, accepted: 4242 }));
    await vi.waitFor(() => expect(live.stats?.accepted).toBe(4242));
    expect(live.latestOf('t1')?.values.speed).toBe(33);

    await useScopeStore().select({ kind: 'district', id: '330106' });
    expect(live.scope).toEqual({ kind: 'district', id: '330106' });
    expect(live.sensorCount).toBe(0);

    await useScopeStore().select({ kind: 'district', id: '999999' });
    expect(useScopeStore().error).toBe('not_found');
    expect(live.scope).toEqual({ kind: 'district', id: '330106' });
  });

  it('says reconnecting when the connection drops', async () => {
    bindLiveSocket(socket);
    socket.connect();
    await vi.waitFor(() => expect(useConnectionStore().status).toBe('connected'));
    // Dropping the transport from the server side is what a network cut looks like to the client.
    for (const s of server.sockets.sockets.values()) s.conn.close();
    await vi.waitFor(() => expect(useConnectionStore().status).not.toBe('connected'));
    expect(useConnectionStore().status).toBe('reconnecting');
  });
});

describe('live socket against a real Socket.IO server that checks the session', () => {
  let server: Server<ClientToServerEvents, ServerToClientEvents>;
  let socket: LiveSocket;
  /** What the server thinks of the session; both the handshake and `/auth/me` follow it. */
  let sessionValid: boolean;
  let handshakes: number;

  beforeEach(async () => {
    setActivePinia(createPinia());
    sessionValid = true;
    handshakes = 0;
    stubApi({
      'GET /api/v1/auth/me': () =>
        sessionValid ? respond(sessionInfo()) : respond(apiError('unauthorized', 'no session'), 401),
    });
    const http = createServer();
    server = new Server(http);
    server.use((_s, next) => {
      handshakes += 1;
      next(sessionValid ? undefined : new Error('unauthorized'));
    });
    server.on('connection', (s) => s.emit('snapshot', snapshot()));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], autoConnect: false });
    holder.socket = socket;
  });

  afterEach(async () => {
    socket.disconnect();
    await server.close();
    vi.unstubAllGlobals();
  });

  it('connects once the session is found and receives the snapshot', async () => {
    bindLiveSocket(socket);
    expect(handshakes).toBe(0);

    await useAuthStore().check();

    await vi.waitFor(() => expect(useLiveStore().hasSnapshot).toBe(true));
    expect(useConnectionStore().status).toBe('connected');
  });

  it('returns to the sign-in view and stops when the handshake is refused for want of a session', async () => {
    bindLiveSocket(socket);
    await useAuthStore().check();
    sessionValid = false; // expired between the check and the handshake

    await vi.waitFor(() => expect(useAuthStore().status).toBe('signed-out'));
    expect(handshakes).toBe(1);
    expect(socket.active).toBe(false);
  });

  it('returns to the sign-in view and forgets the data when the server drops a revoked session', async () => {
    bindLiveSocket(socket);
    await useAuthStore().check();
    await vi.waitFor(() => expect(useLiveStore().hasSnapshot).toBe(true));

    sessionValid = false;
    server.disconnectSockets(true);

    await vi.waitFor(() => expect(useAuthStore().status).toBe('signed-out'));
    expect(useLiveStore().hasSnapshot).toBe(false);
    expect(socket.active).toBe(false);
  });
});
