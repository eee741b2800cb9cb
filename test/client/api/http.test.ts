import { afterEach, describe, expect, it, vi } from 'vitest';
import { getJson, HttpError, onUnauthorized, postJson } from '../../../client/src/api/http';
import { apiError, respond, stubApi } from '../auth.fixtures';

describe('http', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    onUnauthorized(null);
  });

  it('tells the unauthorized handler when a call answers 401', async () => {
    stubApi({ 'GET /api/v1/sensors': () => respond(apiError('unauthorized', 'no session'), 401) });
    const handler = vi.fn();
    onUnauthorized(handler);

    await expect(getJson('/api/v1/sensors')).rejects.toBeInstanceOf(HttpError);

    expect(handler).toHaveBeenCalledTimes(1);
  });

  it("leaves the handler out of an auth call's own 401", async () => {
    stubApi({ 'GET /api/v1/auth/me': () => respond(apiError('unauthorized', 'no session'), 401) });
    const handler = vi.fn();
    onUnauthorized(handler);

    await expect(getJson('/api/v1/auth/me', { authCall: true })).rejects.toMatchObject({ status: 401 });

    expect(handler).not.toHaveBeenCalled();
  });

  it('does not take a 403 for a lost session', async () => {
    stubApi({ 'GET /api/v1/ingest/stats': () => respond(apiError('forbidden', 'not for your role'), 403) });
    const handler = vi.fn();
    onUnauthorized(handler);

    await expect(getJson('/api/v1/ingest/stats')).rejects.toMatchObject({ status: 403, code: 'forbidden' });

    expect(handler).not.toHaveBeenCalled();
  });

  it("keeps the server's message and the Retry-After seconds of a refusal", async () => {
    stubApi({
      'POST /api/v1/auth/login': () =>
        respond(apiError('overloaded', 'too many attempts'), 429, { 'retry-after': '17' }),
    });

    const err = await postJson('/api/v1/auth/login', { username: 'a', password: 'b' }).catch(
      (e: unknown) => e,
    );

    expect(err).toMatchObject({
      status: 429,
      code: 'overloaded',
      serverMessage: 'too many attempts',
      retryAfterS: 17,
    });
  });

  it('keeps the offending fields the server named', async () => {
    stubApi({
      'POST /api/v1/alerts/a1/acknowledge': () =>
        respond(
          {
            error: {
              code: 'invalid_request',
              message: 'invalid body',
              details: [
                { path: 'comment', message: 'Too big' },
                { path: '', message: 'x', reason: 'already-dispatched' },
                7,
              ],
            },
          },
          400,
        ),
    });

    const err = await postJson('/api/v1/alerts/a1/acknowledge', { comment: 'x' }).catch((e: unknown) => e);

    expect(err).toMatchObject({
      status: 400,
      details: [
        { path: 'comment', message: 'Too big' },
        { path: '', message: 'x', reason: 'already-dispatched' },
      ],
    });
  });

  it('reads a Retry-After given as a date as the seconds until then', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1, 0, 0, 0) });
    try {
      stubApi({
        'POST /api/v1/auth/login': () =>
          respond(apiError('forbidden', 'locked'), 423, { 'retry-after': 'Thu, 01 Jan 2026 00:02:00 GMT' }),
      });

      const err = await postJson('/api/v1/auth/login', {}).catch((e: unknown) => e);

      expect(err).toMatchObject({ status: 423, retryAfterS: 120 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('sends the body as JSON and resolves undefined for 204 No Content', async () => {
    const seen = stubApi({ 'POST /api/v1/auth/logout': () => respond(null, 204) });

    expect(await postJson('/api/v1/auth/logout', { all: true })).toBeUndefined();

    expect(seen).toEqual([{ method: 'POST', path: '/api/v1/auth/logout', body: { all: true } }]);
  });
});
