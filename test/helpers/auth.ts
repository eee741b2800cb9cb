import { randomBytes } from 'node:crypto';
import { SESSION_COOKIE } from '../../shared/schemas/auth.schema';
import { gatewayTopic } from '../../shared/version';

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

/** MQTT credentials (device credential id + secret) per broker URL, issued when a test server starts. */
const devices = new Map<string, TestDevice>();

export interface TestDevice {
  username: string;
  password: string;
  apiKey: string;
  /** The gateway id: the only gateway topic this credential may publish on. */
  gatewayId: string;
}

export function registerDevice(mqttUrl: string, credential: TestDevice): void {
  devices.set(mqttUrl, credential);
}

/** The test gateway's credential for a broker (it covers every sensor of the pack), if one was issued. */
export function deviceFor(mqttUrl: string): TestDevice | undefined {
  return devices.get(mqttUrl);
}

/**
 * Issue a gateway credential for every sensor through the admin API (the way an
 * operator provisions a gateway) and register it for the server's broker.
 */
export async function issueTestGateway(baseUrl: string, mqttUrl: string, token: string): Promise<void> {
  const gatewayId = `test-gw-${randomBytes(4).toString('hex')}`;
  const res = await rawFetch(`${baseUrl}/api/v1/devices`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ kind: 'gateway', subjectId: gatewayId, sensorIds: 'all' }),
  });
  if (res.status !== 201)
    throw new Error(`issuing the test gateway failed: ${res.status} ${await res.text()}`);
  const issued = (await res.json()) as { credential: { id: string }; secret: string; apiKey: string };
  registerDevice(mqttUrl, {
    username: issued.credential.id,
    password: issued.secret,
    apiKey: issued.apiKey,
    gatewayId,
  });
}

/** The gateway topic the test gateway of a broker may publish on. */
export function testGatewayTopic(mqttUrl: string): string {
  const device = deviceFor(mqttUrl);
  if (!device) throw new Error(`no test gateway was issued for ${mqttUrl}`);
  return gatewayTopic(device.gatewayId);
}
