// Set-up and steps shared by the tests of the live binding (liveEvents*.test.ts): `import * as binding`.
import { createPinia, setActivePinia } from 'pinia';
import { expect, vi } from 'vitest';
import { useAuthStore } from '../../../client/src/features/auth/auth.store';
import { bindLiveSocket } from '../../../client/src/socket/liveEvents';
import { apiError, respond, sessionInfo, stubApi, type SeenRequest } from '../auth.fixtures';
import { snapshot, T0 } from '../live.fixtures';
import { FakeSocket } from './fakeSocket';

/** What a test of the live binding drives and reads. */
export interface LiveBinding {
  socket: FakeSocket;
  /** Every request the stubbed API was sent. */
  seen: SeenRequest[];
  /** The session the server holds: `/auth/me` answers from it, `POST /auth/logout` ends it. */
  session: { valid: boolean };
}

/**
 * The start of a test of the live binding (call it in `beforeEach`, and {@link end} after): a fresh Pinia, the clock faked at {@link T0}, a new socket, and the API stubbed with a
 * valid session and `routes`.
 */
export function start(routes: Parameters<typeof stubApi>[0] = {}): LiveBinding {
  setActivePinia(createPinia());
  vi.useFakeTimers({ now: T0 });
  const session = { valid: true };
  const seen = stubApi({
    'GET /api/v1/auth/me': () =>
      session.valid ? respond(sessionInfo()) : respond(apiError('unauthorized', 'no session'), 401),
    'POST /api/v1/auth/logout': () => {
      session.valid = false;
      return respond(null, 204);
    },
    ...routes,
  });
  return { socket: new FakeSocket(), seen, session };
}

/** The end of a test of the live binding: real timers and globals again. */
export function end(): void {
  vi.useRealTimers();
  vi.unstubAllGlobals();
}

/** Let queued watchers and answered requests run, without moving the clock. */
export const settle = (): Promise<unknown> => vi.advanceTimersByTimeAsync(0);

/** Bind, then let the page find its session (as main.ts boots). */
export async function bindSignedIn(socket: FakeSocket): Promise<void> {
  bindLiveSocket(socket.asLiveSocket());
  expect(await useAuthStore().check()).toBe('signed-in');
}

/** Bound and signed in, connected, and the first snapshot taken in. */
export async function connectedWith(socket: FakeSocket, first = snapshot()): Promise<void> {
  await bindSignedIn(socket);
  socket.accept();
  socket.fire('snapshot', first);
  await settle();
}

/** The connection drops and comes back recovered (Socket.IO's state recovery): no snapshot comes. */
export async function reconnectRecovered(socket: FakeSocket): Promise<void> {
  socket.fire('disconnect', 'transport close');
  socket.recovered = true;
  socket.accept();
  await settle();
}
