import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE, type SessionInfo } from '../../../shared/schemas/auth.schema';
import type { ApiErrorBody } from '../../../shared/schemas/errors.schema';
import { createActor, createUser, getAs, requestAs, setScope, type Actor } from '../../helpers/accessActors';
import { rawFetch, signIn } from '../../helpers/auth';
import {
  connectClient,
  startTestServer,
  waitFor,
  type TestServer,
  type TestSocket,
} from '../../helpers/server';

/**
 * Sessions end when an admin says so, and the cookie that carries them is
 * out of reach of scripts and other sites. Brute force meets a per-address
 * throttle (429) and a per-account lock (423).
 */

/** POST /api/v1/auth/login without any credential; the raw response. */
function login(baseUrl: string, username: string, password: string, headers: Record<string, string> = {}) {
  return rawFetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ username, password }),
  });
}

/** The Set-Cookie line of the session cookie, split into its value and lower-cased attributes. */
function sessionCookie(res: Response): { value: string; attrs: Map<string, string> } {
  const line = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  if (!line) throw new Error(`no ${SESSION_COOKIE} cookie in ${JSON.stringify(res.headers.getSetCookie())}`);
  const [pair, ...attrs] = line.split(';').map((p) => p.trim());
  const attrMap = new Map(
    attrs.map((a) => {
      const eq = a.indexOf('=');
      return eq < 0 ? [a.toLowerCase(), ''] : [a.slice(0, eq).toLowerCase(), a.slice(eq + 1)];
    }),
  );
  return { value: pair!.slice(SESSION_COOKIE.length + 1), attrs: attrMap };
}

/** A socket of `actor` that remembers why it was disconnected. */
async function liveSocketOf(server: TestServer, actor: Actor) {
  const { socket } = await connectClient(server.url, undefined, { token: actor.token });
  const reasons: string[] = [];
  socket.on('disconnect', (reason) => reasons.push(reason));
  return { socket, reasons };
}

describe('sessions', () => {
  let server: TestServer;
  const sockets: TestSocket[] = [];

  const track = <T extends { socket: TestSocket }>(client: T): T => {
    sockets.push(client.socket);
    return client;
  };
  const me = (token: string) => getAs<SessionInfo>(server.url, '/api/v1/auth/me', token);

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await server?.stop();
    server?.cleanup();
  });

  it("ends a user's sessions and disconnects their live socket when an admin revokes them", async () => {
    const actor = await createActor(server.url, { role: 'operator' });
    const second = await signIn(server.url, actor.user.username, actor.password);
    const live = track(await liveSocketOf(server, actor));
    expect((await me(actor.token)).status).toBe(200);

    const res = await requestAs<{ revoked: number }>(
      server.url,
      `/api/v1/users/${actor.user.id}/revoke-sessions`,
      server.token,
      { method: 'POST' },
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ revoked: 2 });

    expect((await me(actor.token)).status).toBe(401);
    expect((await me(second)).status).toBe(401);
    await waitFor(() => live.reasons.length > 0, 10_000, 'disconnect of the revoked socket');
    expect(live.reasons).toEqual(['io server disconnect']);
    await expect(connectClient(server.url, undefined, { token: actor.token })).rejects.toThrow(
      'unauthorized',
    );
  });

  it("leaves other users' sessions and sockets alone when one user's sessions are revoked", async () => {
    const target = await createActor(server.url, { role: 'viewer' });
    const bystander = await createActor(server.url, { role: 'viewer' });
    const targetLive = track(await liveSocketOf(server, target));
    const bystanderLive = track(await liveSocketOf(server, bystander));

    await requestAs(server.url, `/api/v1/users/${target.user.id}/revoke-sessions`, server.token, {
      method: 'POST',
    });
    await waitFor(() => targetLive.reasons.length > 0, 10_000, 'disconnect of the revoked socket');

    // A round trip on the bystander's socket after the revocation: it is still served.
    const ack = await setScope(bystanderLive.socket, { kind: 'city' });
    expect(ack.ok).toBe(true);
    expect(bystanderLive.reasons).toEqual([]);
    expect((await me(bystander.token)).status).toBe(200);
  });

  it('ends the sessions and disconnects the socket of a user whose role changes', async () => {
    const actor = await createActor(server.url, { role: 'supervisor' });
    const live = track(await liveSocketOf(server, actor));

    const res = await requestAs(server.url, `/api/v1/users/${actor.user.id}`, server.token, {
      method: 'PATCH',
      body: { role: 'viewer' },
    });
    expect(res.status, res.text).toBe(200);

    expect((await me(actor.token)).status).toBe(401);
    await waitFor(() => live.reasons.length > 0, 10_000, 'disconnect after the role change');
    expect(live.reasons).toEqual(['io server disconnect']);
    const fresh = await signIn(server.url, actor.user.username, actor.password);
    expect((await me(fresh)).body.user.role).toBe('viewer');
  });

  it('sets the session cookie HttpOnly, SameSite=Lax, for the whole site', async () => {
    const { user, password } = await createUser(server.url, { role: 'viewer' });
    const res = await login(server.url, user.username, password);
    expect(res.status).toBe(200);
    const { value, attrs } = sessionCookie(res);
    expect(value.length).toBeGreaterThan(20);
    expect(attrs.has('httponly')).toBe(true);
    expect(attrs.get('samesite')?.toLowerCase()).toBe('lax');
    expect(attrs.get('path')).toBe('/');
    expect(Number(attrs.get('max-age'))).toBeGreaterThan(0);
    // The token travels in the cookie only, never in the body a script could read.
    expect(await res.text()).not.toContain(value);
  });

  it('clears the cookie on logout and the session no longer answers', async () => {
    const actor = await createActor(server.url, { role: 'viewer' });
    const cookie = `${SESSION_COOKIE}=${actor.token}`;
    const res = await rawFetch(`${server.url}/api/v1/auth/logout`, { method: 'POST', headers: { cookie } });
    expect(res.status).toBe(204);

    const { value, attrs } = sessionCookie(res);
    expect(value).toBe('');
    const expires = attrs.get('expires');
    const cleared =
      attrs.get('max-age') === '0' || (expires !== undefined && Date.parse(expires) < Date.now());
    expect(cleared, JSON.stringify([...attrs])).toBe(true);
    const after = await rawFetch(`${server.url}/api/v1/auth/me`, { headers: { cookie } });
    expect(after.status).toBe(401);
  });

  it('locks an account after 5 wrong passwords with 423 and Retry-After, and refuses the right one while locked', async () => {
    const { user, password } = await createUser(server.url, { role: 'operator' });
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 5; i++) {
      last = await login(server.url, user.username, `wrong-password-${i}`);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 423]);
    const retryAfter = Number(last!.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);

    const right = await login(server.url, user.username, password);
    expect(right.status).toBe(423);
    expect(right.headers.get('retry-after')).not.toBeNull();
    expect(right.headers.getSetCookie()).toEqual([]);
    expect(((await right.json()) as ApiErrorBody).error.message).toMatch(/locked/);
  });

  it('lifts the lock when an admin sets a new password', async () => {
    const { user } = await createUser(server.url, { role: 'operator' });
    for (let i = 0; i < 5; i++) await (await login(server.url, user.username, `wrong-${i}`)).arrayBuffer();
    const newPassword = 'a-new-long-passphrase';
    const res = await requestAs(server.url, `/api/v1/users/${user.id}`, server.token, {
      method: 'PATCH',
      body: { password: newPassword },
    });
    expect(res.status, res.text).toBe(200);
    expect((await login(server.url, user.username, newPassword)).status).toBe(200);
  });
});

describe('sign-in throttle per client address', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ LOGIN_ATTEMPTS_PER_MINUTE: '3' });
  });

  afterAll(async () => {
    await server?.stop();
    server?.cleanup();
  });

  it('answers 429 with Retry-After once the address used its attempts, even for the right password', async () => {
    // startTestServer signed the admin in from this address: that was attempt 1 of 3.
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await login(server.url, 'nobody-here', 'wrong-password');
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401]);

    const refused = await login(server.url, server.admin.username, server.admin.password);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(((await refused.json()) as ApiErrorBody).error.message).toMatch(/too many sign-in attempts/);
    expect(refused.headers.getSetCookie()).toEqual([]);
  });

  it('is not reset by an X-Forwarded-For header (no proxy is trusted)', async () => {
    // Use up this address's attempts (whatever earlier tests left of them): 3 a minute at most.
    let status = 0;
    for (let i = 0; i < 4 && status !== 429; i++) {
      const res = await login(server.url, 'nobody-here', 'wrong-password');
      await res.arrayBuffer();
      status = res.status;
    }
    expect(status).toBe(429);
    const res = await login(server.url, server.admin.username, server.admin.password, {
      'x-forwarded-for': '203.0.113.9',
    });
    expect(res.status).toBe(429);
  });
});
