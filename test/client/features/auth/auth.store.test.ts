import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { getJson, onUnauthorized } from '../../../../client/src/api/http';
import { AUTH_RETRY_MS, useAuthStore } from '../../../../client/src/features/auth/auth.store';
import { apiError, deferred, respond, sessionInfo, stubApi } from '../../auth.fixtures';

const ME = 'GET /api/v1/auth/me';
const LOGIN = 'POST /api/v1/auth/login';
const LOGOUT = 'POST /api/v1/auth/logout';

describe('useAuthStore', () => {
  beforeEach(() => setActivePinia(createPinia()));
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
    onUnauthorized(null);
  });

  it('signs in with the username and password and keeps the session the server returns', async () => {
    const seen = stubApi({ [LOGIN]: () => respond(sessionInfo('supervisor', '李值班长')) });
    const auth = useAuthStore();
    expect(auth.status).toBe('unknown');

    expect(await auth.login('li', 'correct horse battery')).toBe(true);

    expect(seen).toEqual([
      {
        method: 'POST',
        path: '/api/v1/auth/login',
        body: { username: 'li', password: 'correct horse battery' },
      },
    ]);
    expect(auth.status).toBe('signed-in');
    expect(auth.session?.user.displayName).toBe('李值班长');
    expect(auth.error).toBeNull();
  });

  it("keeps the server's message when the username or password is wrong", async () => {
    stubApi({ [LOGIN]: () => respond(apiError('unauthorized', 'wrong username or password'), 401) });
    const auth = useAuthStore();

    expect(await auth.login('li', 'wrong')).toBe(false);

    expect(auth.status).toBe('unknown');
    expect(auth.session).toBeNull();
    expect(auth.error).toEqual({
      code: 'unauthorized',
      message: 'wrong username or password',
      retryAfterS: null,
    });
  });

  it("keeps the server's message and the wait from Retry-After when the account is locked", async () => {
    stubApi({
      [LOGIN]: () =>
        respond(apiError('forbidden', 'account locked after 5 failed attempts'), 423, {
          'retry-after': '300',
        }),
    });
    const auth = useAuthStore();

    expect(await auth.login('li', 'wrong')).toBe(false);

    expect(auth.error).toEqual({
      code: 'forbidden',
      message: 'account locked after 5 failed attempts',
      retryAfterS: 300,
    });
  });

  it('keeps the wait when one address tried too often', async () => {
    stubApi({
      [LOGIN]: () => respond(apiError('overloaded', 'too many attempts'), 429, { 'retry-after': '42' }),
    });
    const auth = useAuthStore();

    await auth.login('li', 'wrong');

    expect(auth.error).toMatchObject({ code: 'overloaded', retryAfterS: 42 });
  });

  it('reports a network failure without a server message', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => {
        throw new TypeError('fetch failed');
      }),
    );
    const auth = useAuthStore();

    expect(await auth.login('li', 'secret')).toBe(false);

    expect(auth.error).toEqual({ code: 'network', message: null, retryAfterS: null });
  });

  it('is pending while the login request is on its way', async () => {
    const answer = deferred<Response>();
    stubApi({ [LOGIN]: () => answer.promise });
    const auth = useAuthStore();

    const done = auth.login('li', 'secret');
    expect(auth.pending).toBe(true);
    answer.resolve(respond(sessionInfo()));
    await done;

    expect(auth.pending).toBe(false);
  });

  it('signs out: asks the server to revoke the session and forgets it', async () => {
    const seen = stubApi({ [LOGIN]: () => respond(sessionInfo()), [LOGOUT]: () => respond(null, 204) });
    const auth = useAuthStore();
    await auth.login('li', 'secret');

    await auth.logout();

    expect(seen.map((r) => `${r.method} ${r.path}`)).toEqual([LOGIN, LOGOUT]);
    expect(auth.status).toBe('signed-out');
    expect(auth.session).toBeNull();
  });

  it('signs out on this screen even when the server cannot be reached', async () => {
    stubApi({
      [LOGIN]: () => respond(sessionInfo()),
      [LOGOUT]: () => Promise.reject(new TypeError('offline')),
    });
    const auth = useAuthStore();
    await auth.login('li', 'secret');

    await auth.logout();

    expect(auth.status).toBe('signed-out');
  });

  it('finds the session from /auth/me', async () => {
    stubApi({ [ME]: () => respond(sessionInfo('viewer', '大屏')) });
    const auth = useAuthStore();

    expect(await auth.check()).toBe('signed-in');
    expect(auth.session?.user.role).toBe('viewer');
  });

  it('is signed out when /auth/me answers 401', async () => {
    stubApi({ [ME]: () => respond(apiError('unauthorized', 'no session'), 401) });
    const auth = useAuthStore();

    expect(await auth.check()).toBe('signed-out');
    expect(auth.session).toBeNull();
  });

  it('stays signed in when the server cannot be reached for a check', async () => {
    const auth = useAuthStore();
    stubApi({ [LOGIN]: () => respond(sessionInfo()) });
    await auth.login('li', 'secret');
    stubApi({ [ME]: () => respond(apiError('unavailable', 'starting'), 503) });

    expect(await auth.check()).toBe('signed-in');
  });

  it('asks the server once for checks made at the same time', async () => {
    const seen = stubApi({ [ME]: () => respond(sessionInfo()) });
    const auth = useAuthStore();

    await Promise.all([auth.check(), auth.check(), auth.check()]);

    expect(seen).toHaveLength(1);
  });

  it('stays signed out when a check started before the logout answers afterwards', async () => {
    const me = deferred<Response>();
    stubApi({
      [LOGIN]: () => respond(sessionInfo()),
      [ME]: () => me.promise,
      [LOGOUT]: () => respond(null, 204),
    });
    const auth = useAuthStore();
    await auth.login('li', 'secret');

    const checking = auth.check();
    await auth.logout();
    me.resolve(respond(sessionInfo()));
    await checking;

    expect(auth.status).toBe('signed-out');
  });

  it('checks again until the server answers', async () => {
    vi.useFakeTimers();
    let up = false;
    stubApi({ [ME]: () => (up ? respond(sessionInfo()) : Promise.reject(new TypeError('refused'))) });
    const auth = useAuthStore();

    const done = auth.checkWithRetry();
    await vi.advanceTimersByTimeAsync(AUTH_RETRY_MS);
    expect(auth.status).toBe('unknown');
    up = true;
    await vi.advanceTimersByTimeAsync(AUTH_RETRY_MS);

    expect(await done).toBe('signed-in');
  });

  it('grants what the session lists and nothing else', async () => {
    stubApi({ [ME]: () => respond(sessionInfo('worker')) });
    const auth = useAuthStore();
    expect(auth.can('city:read')).toBe(false);

    await auth.check();

    expect(auth.can('city:read')).toBe(true);
    expect(auth.can('live:subscribe')).toBe(true);
    expect(auth.can('ingest:stats')).toBe(false);
    expect(auth.can('users:manage')).toBe(false);
  });

  it('returns to signed-out when any other API call answers 401 (as main.ts wires it)', async () => {
    let sessionValid = true;
    stubApi({
      [ME]: () => (sessionValid ? respond(sessionInfo()) : respond(apiError('unauthorized', 'expired'), 401)),
      'GET /api/v1/city': () => respond(apiError('unauthorized', 'expired'), 401),
    });
    const auth = useAuthStore();
    onUnauthorized(() => void auth.check());
    await auth.check();
    sessionValid = false;

    await expect(getJson('/api/v1/city')).rejects.toMatchObject({ status: 401, code: 'unauthorized' });

    await vi.waitFor(() => expect(auth.status).toBe('signed-out'));
  });
});
