import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { Permission } from '@shared/access';
import { SessionInfoSchema } from '@shared/schemas/auth.schema';
import type { SessionInfo } from '@shared/schemas/auth.schema';
import { getJson, HttpError, postJson } from '../../api/http';

/** `unknown` until the server has answered once; then whether someone is signed in. */
export type AuthStatus = 'unknown' | 'signed-out' | 'signed-in';

/** Why the last sign-in failed. */
export interface AuthError {
  /** API error code (`unauthorized`, `forbidden` for a locked account, `overloaded`, …) or `network` / `bad_response`. */
  code: string;
  /** The server's own words, shown as they are; null when it sent none (network failure). */
  message: string | null;
  /** Seconds until another attempt may succeed (`Retry-After`); null when the server did not say. */
  retryAfterS: number | null;
}

/** How long to wait before asking again when the server is not up yet, ms. */
export const AUTH_RETRY_MS = 5_000;

const ME = '/api/v1/auth/me';
const LOGIN = '/api/v1/auth/login';
const LOGOUT = '/api/v1/auth/logout';

function authErrorOf(err: unknown): AuthError {
  if (err instanceof HttpError)
    return { code: err.code, message: err.serverMessage, retryAfterS: err.retryAfterS };
  return { code: 'bad_response', message: null, retryAfterS: null };
}

/**
 * Who is signed in on this screen. The session itself is an httpOnly cookie
 * the page cannot read; this store only knows what `GET /auth/me` and the
 * login answer say about it.
 */
export const useAuthStore = defineStore('auth', () => {
  /** The signed-in user, their permissions and when the session ends; null while signed out. */
  const session = shallowRef<SessionInfo | null>(null);
  /** Whether someone is signed in, as the server last said. */
  const status = ref<AuthStatus>('unknown');
  /** Why the last sign-in failed; null after a success or before any attempt. */
  const error = shallowRef<AuthError | null>(null);
  /** True while a sign-in awaits its answer. */
  const pending = ref(false);

  // Bumped by every login and logout: an answer to an older `check()` must not undo them.
  let epoch = 0;
  let inFlight: { epoch: number; promise: Promise<AuthStatus> } | null = null;

  function signIn(info: SessionInfo): void {
    session.value = info;
    status.value = 'signed-in';
  }

  function signOut(): void {
    session.value = null;
    status.value = 'signed-out';
  }

  /** True when the signed-in user's role grants `permission`; false while signed out. */
  function can(permission: Permission): boolean {
    return session.value?.permissions.includes(permission) ?? false;
  }

  async function askServer(asked: number): Promise<AuthStatus> {
    try {
      const info = SessionInfoSchema.parse(await getJson<unknown>(ME, { authCall: true }));
      if (asked === epoch) signIn(info);
    } catch (err) {
      // Only a 401 says the session is gone; an unreachable server says nothing about it.
      if (asked === epoch && err instanceof HttpError && err.status === 401) signOut();
    }
    return status.value;
  }

  /**
   * Ask the server whether the session still holds. Resolves with the status
   * afterwards; it stays as it was when the server could not be reached.
   * Concurrent calls share one request.
   */
  function check(): Promise<AuthStatus> {
    if (inFlight?.epoch !== epoch) {
      const promise = askServer(epoch).finally(() => {
        if (inFlight?.promise === promise) inFlight = null;
      });
      inFlight = { epoch, promise };
    }
    return inFlight.promise;
  }

  /** Check until the server answers: a wall may come up before the server does. */
  async function checkWithRetry(retryMs: number = AUTH_RETRY_MS): Promise<AuthStatus> {
    let result = await check();
    while (result === 'unknown') {
      await new Promise((resolve) => setTimeout(resolve, retryMs));
      result = await check();
    }
    return result;
  }

  /** Sign in; false (with {@link error} set) when the server refused or could not be reached. */
  async function login(username: string, password: string): Promise<boolean> {
    pending.value = true;
    error.value = null;
    try {
      const info = SessionInfoSchema.parse(
        await postJson<unknown>(LOGIN, { username, password }, { authCall: true }),
      );
      epoch += 1;
      signIn(info);
      return true;
    } catch (err) {
      error.value = authErrorOf(err);
      return false;
    } finally {
      pending.value = false;
    }
  }

  /**
   * Sign out: the server revokes the session and clears the cookie. The screen
   * returns to the sign-in view even when the server cannot be reached.
   */
  async function logout(): Promise<void> {
    epoch += 1;
    try {
      await postJson<void>(LOGOUT, undefined, { authCall: true });
    } catch {
      // Nothing to do about it here: the session expires on its own.
    } finally {
      // Again: a check that started while the server was still revoking must not sign us back in.
      epoch += 1;
      error.value = null;
      signOut();
    }
  }

  return { session, status, error, pending, can, check, checkWithRetry, login, logout };
});
