import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { parseConfig, type Config } from '../../server/src/config';
import { startCityOps, type CityOpsHandle } from '../../server/src/main';
import { issueTestGateway, registerToken, signIn, testPassword } from './auth';
import { freshPgSchema, type PgTestSchema } from './pgSchema';

export interface TestServer extends CityOpsHandle {
  /** The administrator this server was started with; requests from tests act as it by default. */
  admin: { username: string; password: string };
  /** The admin's session token. */
  token: string;
  /** Folder holding the SQLite file; removed by `stop()` unless kept for a restart. */
  dir: string;
  /** Stop the server (the database stays until `cleanup()`). */
  stop(): Promise<void>;
  /** Remove the temporary folder (and, on PostgreSQL, drop the server's schema). */
  cleanup(): Promise<void>;
}

/**
 * Boot the real CityOps server in this process: HTTP + Socket.IO on a free
 * port, the embedded MQTT broker on another (unless MQTT_URL is given), a
 * SQLite file in a temp folder — or, when TEST_STORE=postgresql (the `postgres` test project),
 * a schema of its own in the machine's PostgreSQL. `env` overrides any config variable.
 */
const adminPasswords = new Map<string, string>();
/** The PostgreSQL schema of each database folder: a restart on the same folder finds its data. */
const pgSchemas = new Map<string, PgTestSchema>();

/** Whether this test run stores in PostgreSQL (the `postgres` project of vitest.config). */
export const onPostgres = process.env.TEST_STORE === 'postgresql';

export async function startTestServer(
  env: Record<string, string> = {},
  dir?: string,
  options: { virtualClock?: () => number } = {},
): Promise<TestServer> {
  const folder = dir ?? mkdtempSync(join(tmpdir(), 'cityops-test-'));
  // One admin password per database folder: a restart on the same folder signs in with it again.
  const adminPassword = adminPasswords.get(folder) ?? testPassword();
  adminPasswords.set(folder, adminPassword);
  let schema = pgSchemas.get(folder);
  if (onPostgres && !schema && env.DATABASE_URL === undefined) {
    schema = await freshPgSchema();
    pgSchemas.set(folder, schema);
  }
  const config: Config = parseConfig({
    ...(schema ? { DATABASE_URL: schema.url } : {}),
    PORT: '0',
    HOST: '127.0.0.1',
    MQTT_PORT: '0',
    MQTT_HOST: '127.0.0.1',
    DATABASE_FILE: join(folder, 'cityops.db'),
    LOG_LEVEL: 'silent',
    CLIENT_DIR: join(folder, 'no-client'),
    WRITE_FLUSH_MS: '2',
    PUSH_INTERVAL_MS: '50',
    ADMIN_INITIAL_PASSWORD: adminPassword,
    // Tests sign in often from one address; the per-address limit has its own test.
    LOGIN_ATTEMPTS_PER_MINUTE: '10000',
    // Some tests post thousands of requests; the ingest rate limit has its own test.
    INGEST_HTTP_REQUESTS_PER_SEC: '100000',
    ...env,
  });
  const handle = await startCityOps(
    config,
    options.virtualClock ? { virtualClock: options.virtualClock } : {},
  );
  const token = await signIn(handle.url, 'admin', adminPassword);
  registerToken(handle.url, token);
  // Devices need a credential; the embedded broker's tests publish as a gateway covering every sensor.
  if (!config.MQTT_URL) await issueTestGateway(handle.url, handle.mqttUrl, token);
  return {
    ...handle,
    admin: { username: 'admin', password: adminPassword },
    token,
    dir: folder,
    stop: () => handle.close(),
    cleanup: async () => {
      rmSync(folder, { recursive: true, force: true });
      pgSchemas.delete(folder);
      await schema?.drop();
    },
  };
}

/**
 * One test server for the tests of the enclosing `describe`: started (with `env`) before
 * them, stopped and its folder removed after them. Returns the server, to call inside
 * the tests (it exists only once the suite's `beforeAll` ran).
 */
export function useTestServer(env: Record<string, string> = {}): () => TestServer {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startTestServer(env);
  });
  afterAll(async () => {
    await server?.stop();
    await server?.cleanup();
  });
  return () => {
    if (!server) throw new Error('the test server is not started (use it inside tests and hooks)');
    return server;
  };
}

export { connectClient, type TestSocket } from './socket';

/** Resolve when `predicate` holds, polling every 20 ms; reject after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** JSON over HTTP against the test server. */
export async function getJson<T = unknown>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T };
}

export async function postJson<T = unknown>(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T, headers: res.headers };
}
