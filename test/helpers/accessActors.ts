import { randomBytes } from 'node:crypto';
import { METRICS, isMetricId } from '../../shared/metrics';
import type { Role } from '../../shared/access';
import type { User } from '../../shared/schemas/auth.schema';
import type { Scope, Snapshot } from '../../shared/schemas/live.schema';
import type { ReadingInput } from '../../shared/schemas/reading.schema';
import type { Sensor } from '../../shared/schemas/sensor.schema';
import type { Ack } from '../../shared/socket';
import { rawFetch, signIn, testPassword } from './auth';
import type { TestSocket } from './socket';

/**
 * Users of the access tests (scoping, masking, sessions, audit): created
 * through the API by the server's admin, signed in for real, and calls made
 * with their own token only (never the admin's, see test/helpers/auth.ts).
 */

/** A user of a test server and the token of one of their sessions. */
export interface Actor {
  user: User;
  password: string;
  token: string;
}

export interface NewUser {
  role: Role;
  username?: string;
  displayName?: string;
  districtIds?: string[] | null;
  workerId?: string | null;
}

/** A unique valid username (lower-case letters, digits, `-`). */
export function uniqueUsername(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** POST /api/v1/users as the server's admin; fails the test unless it answers 201. */
export async function createUser(
  baseUrl: string,
  fields: NewUser,
): Promise<{ user: User; password: string }> {
  const password = testPassword();
  const res = await fetch(`${baseUrl}/api/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username: fields.username ?? uniqueUsername(fields.role),
      displayName: fields.displayName ?? `${fields.role} of a test`,
      role: fields.role,
      districtIds: fields.districtIds ?? null,
      workerId: fields.workerId ?? null,
      password,
    }),
  });
  if (res.status !== 201)
    throw new Error(`creating a ${fields.role} answered ${res.status}: ${await res.text()}`);
  return { user: (await res.json()) as User, password };
}

/** Create a user and sign them in. */
export async function createActor(baseUrl: string, fields: NewUser): Promise<Actor> {
  const { user, password } = await createUser(baseUrl, fields);
  return { user, password, token: await signIn(baseUrl, user.username, password) };
}

export interface Answer<T> {
  status: number;
  headers: Headers;
  /** The body as sent, for searches over everything the caller received. */
  text: string;
  body: T;
}

/** A request carrying `token` as its only credential (null: anonymous). */
export async function requestAs<T = unknown>(
  baseUrl: string,
  path: string,
  token: string | null,
  init: { method?: string; body?: unknown } = {},
): Promise<Answer<T>> {
  const headers = new Headers();
  if (token) headers.set('authorization', `Bearer ${token}`);
  if (init.body !== undefined) headers.set('content-type', 'application/json');
  const res = await rawFetch(`${baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: (text ? JSON.parse(text) : null) as T };
}

/** GET as the holder of `token`. */
export function getAs<T = unknown>(baseUrl: string, path: string, token: string | null): Promise<Answer<T>> {
  return requestAs<T>(baseUrl, path, token);
}

/** A reading of `sensor` with every metric at a plausible value (inside the catalog range). */
export function plausibleReading(sensor: Sensor, observedAt: number): ReadingInput {
  const values: Record<string, number> = {};
  for (const { metric } of sensor.metrics) {
    if (!isMetricId(metric)) throw new Error(`sensor ${sensor.id} reports unknown metric ${metric}`);
    const { min, max, unit } = METRICS[metric];
    values[metric] = unit === 'bool' ? 0 : min + (max - min) / 8;
  }
  return { sensorId: sensor.id, observedAt, values };
}

/** Send `scope:set` and resolve with its acknowledgement. */
export async function setScope(socket: TestSocket, scope: Scope): Promise<Ack<Snapshot>> {
  return (await socket.timeout(10_000).emitWithAck('scope:set', scope)) as Ack<Snapshot>;
}
