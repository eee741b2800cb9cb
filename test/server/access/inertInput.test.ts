import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../../shared/schemas/auth.schema';
import type { ApiErrorBody } from '../../../shared/schemas/errors.schema';
import { getAs, requestAs, uniqueUsername } from '../../helpers/accessActors';
import { rawFetch, testPassword } from '../../helpers/auth';
import { startTestServer, type TestServer } from '../../helpers/server';

/**
 * Hostile text is data: SQL and markup go in through the API and come back
 * byte for byte as JSON, they never run as a query, and where an identifier
 * has a shape the shape refuses them.
 */
const SQL_NAME = "Robert'); DROP TABLE users;--";
const XSS_NAME = '<script>alert(1)</script><img src=x onerror=alert(1)>';

interface UserList {
  items: User[];
  total: number;
}

describe('hostile input stays inert', () => {
  let server: TestServer;

  const createUser = (body: Record<string, unknown>) =>
    requestAs<User | ApiErrorBody>(server.url, '/api/v1/users', server.token, {
      method: 'POST',
      body: { role: 'viewer', password: testPassword(), ...body },
    });
  const listUsers = () => getAs<UserList>(server.url, '/api/v1/users', server.token);

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server?.stop();
    server?.cleanup();
  });

  it('stores a display name carrying SQL and lists it back unchanged, with the users table intact', async () => {
    const before = await listUsers();
    const created = await createUser({ username: uniqueUsername('robert'), displayName: SQL_NAME });
    expect(created.status, created.text).toBe(201);
    expect((created.body as User).displayName).toBe(SQL_NAME);

    const after = await listUsers();
    expect(after.status).toBe(200);
    expect(after.headers.get('content-type')).toMatch(/^application\/json/);
    expect(after.body.total).toBe(before.body.total + 1);
    expect(after.body.items.map((u) => u.username)).toEqual(
      expect.arrayContaining([...before.body.items.map((u) => u.username), (created.body as User).username]),
    );
    expect(after.body.items.find((u) => u.id === (created.body as User).id)?.displayName).toBe(SQL_NAME);
    // The admin still signs in: the users table answers as before.
    const res = await rawFetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(server.admin),
    });
    expect(res.status).toBe(200);
  });

  it('stores a display name carrying markup and returns it as JSON, byte for byte', async () => {
    const created = await createUser({ username: uniqueUsername('markup'), displayName: XSS_NAME });
    expect(created.status, created.text).toBe(201);
    expect(created.headers.get('content-type')).toMatch(/^application\/json/);
    const id = (created.body as User).id;

    const list = await listUsers();
    expect(list.headers.get('content-type')).toMatch(/^application\/json/);
    expect(list.body.items.find((u) => u.id === id)?.displayName).toBe(XSS_NAME);
    // The JSON text holds the markup as a plain string value (JSON needs no HTML escaping).
    expect(list.text).toContain(JSON.stringify(XSS_NAME));
  });

  for (const username of ["admin'--", "x' OR '1'='1", 'bob; DROP TABLE users', 'Robert"); --']) {
    it(`refuses the username ${JSON.stringify(username)} with 400 naming username`, async () => {
      const res = await createUser({ username, displayName: 'x' });
      expect(res.status).toBe(400);
      expect((res.body as ApiErrorBody).error.code).toBe('invalid_request');
      expect((res.body as ApiErrorBody).error.details.map((d) => d.path)).toEqual(['username']);
    });
  }

  it('answers 404 for a sensor id that is an SQL condition', async () => {
    const res = await getAs<ApiErrorBody>(server.url, '/api/v1/sensors/%27%20OR%201%3D1--', server.token);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it('answers 404 as JSON for a sensor id that is markup', async () => {
    const res = await getAs<ApiErrorBody>(
      server.url,
      `/api/v1/sensors/${encodeURIComponent('<script>alert(1)</script>')}`,
      server.token,
    );
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('refuses a history metric that is an SQL condition with 400 naming metric', async () => {
    const metric = encodeURIComponent("speed') OR 1=1--");
    const res = await getAs<ApiErrorBody>(
      server.url,
      `/api/v1/sensors/TRF-0001/history?metric=${metric}`,
      server.token,
    );
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d) => d.path)).toEqual(['metric']);
  });

  it("does not sign in the username admin' --", async () => {
    const res = await rawFetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: "admin' --", password: 'anything-at-all' }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it("does not sign in admin with the password ' OR '1'='1", async () => {
    const res = await rawFetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: "' OR '1'='1" }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.getSetCookie()).toEqual([]);
  });
});
