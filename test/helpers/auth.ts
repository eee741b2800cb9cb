import { randomBytes } from 'node:crypto';
import { SESSION_COOKIE } from '../../shared/schemas/auth.schema';

/**
 * Tests act as a signed-in administrator by default: after a test server
 * starts, its admin token is registered for its origin, and `fetch` (patched
 * by the setup file test/helpers/authenticatedFetch.setup.ts) and
 * `connectClient` send it to that origin unless the request carries its own
 * Authorization header. Access tests use `rawFetch` (the original fetch) or
 * their own tokens to act as anyone else.
 */
const tokens = new Map<string, string>();

/** The unpatched fetch: no credentials are added. */
export const rawFetch: typeof fetch = globalThis.fetch.bind(globalThis);

export function registerToken(baseUrl: string, token: string): void {
  tokens.set(new URL(baseUrl).origin, token);
}

export function tokenFor(url: string | URL): string | undefined {
  try {
    return tokens.get(new URL(url).origin);
  } catch {
    return undefined;
  }
}

/** A password for a test admin (random per server, as the product has no default). */
export function testPassword(): string {
  return `test-${randomBytes(12).toString('base64url')}`;
}

/** Sign in through the API and return the session token (read from the Set-Cookie header). */
export async function signIn(baseUrl: string, username: string, password: string): Promise<string> {
  const res = await rawFetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`sign-in of ${username} failed: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  const token = cookie?.slice(SESSION_COOKIE.length + 1).split(';')[0];
  if (!token) throw new Error('sign-in answered 200 without a session cookie');
  return token;
}

/** Replace global fetch with one that adds the registered token (see the file comment). */
export function installAuthenticatedFetch(): void {
  globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : input;
    const token = tokenFor(url);
    if (!token) return rawFetch(input, init);
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    if (!headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
    return rawFetch(input, { ...init, headers });
  }) as typeof fetch;
}
