import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn } from '../../helpers/auth';
import { connectClient, startTestServer, waitFor, type TestServer } from '../../helpers/server';

/** A live socket is bound to its session: when the session runs out, the socket goes too. */
describe('session expiry on live sockets', () => {
  let server: TestServer;

  beforeAll(async () => {
    // Sessions of about 2 s (0.0006 h) without use.
    server = await startTestServer({ SESSION_TTL_HOURS: '0.0006' });
  });

  afterAll(async () => {
    await server.stop();
    server.cleanup();
  });

  it('disconnects a socket once its session has expired', async () => {
    const token = await signIn(server.url, server.admin.username, server.admin.password);
    const { socket } = await connectClient(server.url, undefined, { token });
    let reason: string | null = null;
    socket.on('disconnect', (r) => (reason = r));
    const disconnected = await waitFor(() => reason, 10_000, 'the server to disconnect the socket');
    expect(disconnected).toBe('io server disconnect');
    const me = await fetch(`${server.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(401);
  });
});
