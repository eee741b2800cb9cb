import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasPermission, ROLES, type Role } from '../../../shared/access';
import type { User } from '../../../shared/schemas/auth.schema';
import type { WorkOrderCommandName } from '../../../shared/schemas/workOrder.schema';
import { ROUTE_ACCESS, SOCKET_ACCESS, type RouteKey } from '../../../server/src/http/routeAccess';
import { DEFAULT_POLICY } from '../../../server/src/domain/workOrders/sla';
import { deviceFor, rawFetch, signIn, testPassword } from '../../helpers/auth';
import { tinyPng } from '../../fixtures/jpegWithExif';
import { connectClient, startTestServer, type TestServer } from '../../helpers/server';

/**
 * The access matrix, generated from ROUTE_ACCESS and the permission table in
 * shared/access.ts: every route × every role (and anonymous), allow and deny.
 */
/** The grid worker of the matrix covers cells of W-0001; records are picked inside them so
 * that every role's answer is about its permission, not its area (area tests: scoping.test.ts). */
const WORKER_ID = 'W-0001';
/** Work-order routes name a case that does not exist: a 404 shows the caller got past the
 * permission guard, where a real case would answer 403 to anyone but its assignee. */
const NO_WORK_ORDER = 'WO-20990101-0001';

/** Valid bodies of the work-order commands, so that an allowed caller reaches the (missing) case. */
const COMMAND_BODIES: Record<WorkOrderCommandName, unknown> = {
  dispatch: { assigneeId: WORKER_ID },
  reassign: { assigneeId: WORKER_ID, reason: 'closer to the site' },
  accept: {},
  return: { reason: 'wrong-location' },
  checkIn: { method: 'qr', code: 'TRF-0001' },
  report: { note: 'cleared' },
  verify: { result: 'pass' },
  evaluate: { stars: 5, by: 'supervisor' },
  escalate: { department: 'Water authority', reason: 'a main burst' },
  cancel: { reason: 'duplicate' },
  note: { note: 'called the citizen back' },
};

interface Actor {
  role: Role;
  user: User;
  password: string;
  token: string;
}

describe('access matrix (generated from ROUTE_ACCESS × ROLE_PERMISSIONS)', () => {
  let server: TestServer;
  const actors = new Map<Role, Actor>();
  let districtId: string;
  let cellId: string;
  /** A point inside `cellId` (new cases, position reports). */
  let site: [number, number];
  let sensorId: string;
  let metric: string;
  /** Target of the user-management routes (revoking its sessions must not touch the actors). */
  let target: { user: User; password: string };
  /** Target of the device routes (rotating or revoking it must not touch the test gateway). */
  let deviceId: string;
  let counter = 0;

  async function createUser(
    role: Role,
    extra: Partial<User> = {},
  ): Promise<{ user: User; password: string }> {
    const password = testPassword();
    counter += 1;
    const res = await fetch(`${server.url}/api/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: `${role}-${counter}-${Date.now()}`,
        displayName: `${role} ${counter}`,
        role,
        districtIds: extra.districtIds ?? null,
        workerId: extra.workerId ?? (role === 'worker' ? WORKER_ID : null),
        password,
      }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return { user: (await res.json()) as User, password };
  }

  /** A concrete request for a route key, with a body where the route takes one. */
  function requestFor(key: RouteKey): { path: string; init: RequestInit } {
    const [method, pattern] = key.split(' ') as [string, string];
    const path = pattern
      .replace('/districts/:id', `/districts/${districtId}`)
      .replace('/grid-cells/:id', `/grid-cells/${cellId}`)
      .replace('/sensors/:id', `/sensors/${sensorId}`)
      .replace('/users/:id', `/users/${target.user.id}`)
      .replace('/devices/:id', `/devices/${deviceId}`)
      .replace('/work-orders/:id', `/work-orders/${NO_WORK_ORDER}`)
      .replace('/alerts/:id/dispatch', '/alerts/A-none/dispatch')
      .replace('/incidents/:id/dispatch', '/incidents/I-none/dispatch')
      .replace('/photos/:id', '/photos/PH-none');
    const query = key === 'GET /api/v1/sensors/:id/history' ? `?metric=${metric}` : '';
    let body: unknown;
    if (key === 'POST /api/v1/auth/login')
      body = { username: target.user.username, password: target.password };
    if (key === 'POST /api/v1/users')
      body = { username: `x${Date.now()}`, displayName: 'x', role: 'viewer', password: testPassword() };
    if (key === 'PATCH /api/v1/users/:id') body = { displayName: 'Viewer renamed' };
    if (key === 'POST /api/v1/devices') body = { kind: 'sensor', subjectId: `S-${Date.now()}-${counter++}` };
    if (key === 'POST /api/v1/readings') body = { readings: [] };
    if (key === 'POST /api/v1/work-orders')
      body = {
        category: 'component.public-facility.manhole',
        title: 'Manhole cover missing',
        location: site,
      };
    const command = /^POST \/api\/v1\/work-orders\/:id\/(\w+)$/.exec(key)?.[1];
    if (command) body = COMMAND_BODIES[command as WorkOrderCommandName];
    if (key === 'POST /api/v1/alerts/:id/dispatch' || key === 'POST /api/v1/incidents/:id/dispatch')
      body = {};
    if (key === 'PUT /api/v1/work-order-policy') body = DEFAULT_POLICY;
    if (key === 'POST /api/v1/me/position') body = { location: site, accuracyM: 10 };
    const init: RequestInit = { method };
    if (body !== undefined) init.body = JSON.stringify(body);
    if (method !== 'GET') init.headers = { 'content-type': 'application/json' };
    if (key === 'POST /api/v1/photos') {
      init.body = new Uint8Array(tinyPng());
      init.headers = { 'content-type': 'image/png' };
    }
    return { path: `${path}${query}`, init };
  }

  async function call(key: RouteKey, token: string | null): Promise<number> {
    const { path, init } = requestFor(key);
    const headers = new Headers(init.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    const res = await rawFetch(`${server.url}${path}`, { ...init, headers });
    await res.arrayBuffer();
    return res.status;
  }

  beforeAll(async () => {
    server = await startTestServer();
    const workers = (await (await fetch(`${server.url}/api/v1/workers`)).json()) as {
      items: Array<{ id: string; districtId: string; gridCellIds: string[] }>;
    };
    const worker = workers.items.find((w) => w.id === WORKER_ID)!;
    districtId = worker.districtId;
    const sensors = (await (await fetch(`${server.url}/api/v1/sensors?districtId=${districtId}`)).json()) as {
      items: Array<{ id: string; gridCellId: string; metrics: Array<{ metric: string }> }>;
    };
    const inArea = sensors.items.find((s) => worker.gridCellIds.includes(s.gridCellId))!;
    sensorId = inArea.id;
    cellId = inArea.gridCellId;
    site = (
      (await (await fetch(`${server.url}/api/v1/grid-cells/${cellId}`)).json()) as {
        centroid: [number, number];
      }
    ).centroid;
    metric = inArea.metrics[0]!.metric;
    target = await createUser('viewer');
    const issued = await fetch(`${server.url}/api/v1/devices`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'sensor', subjectId: sensorId }),
    });
    expect(issued.status).toBe(201);
    deviceId = ((await issued.json()) as { credential: { id: string } }).credential.id;
    for (const role of ROLES) {
      const { user, password } = await createUser(role);
      actors.set(role, { role, user, password, token: await signIn(server.url, user.username, password) });
    }
  });

  afterAll(async () => {
    await server.stop();
    server.cleanup();
  });

  // Logout ends the session it is called with, so it is tested on throwaway sessions below.
  const keys = (Object.keys(ROUTE_ACCESS) as RouteKey[]).filter((k) => k !== 'POST /api/v1/auth/logout');

  for (const key of keys) {
    const need = ROUTE_ACCESS[key];
    if (need === 'public') {
      it(`${key} (public) answers without a user session`, async () => {
        const status = await call(key, null);
        expect([401, 403]).not.toContain(status);
      });
      continue;
    }
    if (need === 'device') {
      it(`${key} (device) answers a valid device key`, async () => {
        const { path, init } = requestFor(key);
        const headers = new Headers(init.headers);
        headers.set('x-device-key', deviceFor(server.mqttUrl)!.apiKey);
        const res = await rawFetch(`${server.url}${path}`, { ...init, headers });
        await res.arrayBuffer();
        expect([401, 403]).not.toContain(res.status);
      });
      it(`${key} (device) refuses a wrong device key with 401`, async () => {
        const { path, init } = requestFor(key);
        const headers = new Headers(init.headers);
        headers.set('x-device-key', `${deviceFor(server.mqttUrl)!.username}.not-the-secret`);
        const res = await rawFetch(`${server.url}${path}`, { ...init, headers });
        await res.arrayBuffer();
        expect(res.status).toBe(401);
      });
    }

    it(`${key} refuses an anonymous caller with 401`, async () => {
      expect(await call(key, null)).toBe(401);
    });
    for (const role of ROLES) {
      const allowed =
        need === 'session' ||
        (need === 'device' ? hasPermission(role, 'readings:write') : hasPermission(role, need));
      it(`${key} ${allowed ? 'allows' : 'refuses'} ${role}`, async () => {
        const status = await call(key, actors.get(role)!.token);
        if (allowed) expect([401, 403]).not.toContain(status);
        else expect(status).toBe(403);
      });
    }
  }

  for (const role of ROLES) {
    it(`POST /api/v1/auth/logout ends the session of ${role} and nothing else`, async () => {
      const actor = actors.get(role)!;
      const throwaway = await signIn(server.url, actor.user.username, actor.password);
      const res = await rawFetch(`${server.url}/api/v1/auth/logout`, {
        method: 'POST',
        headers: { authorization: `Bearer ${throwaway}` },
      });
      expect(res.status).toBe(204);
      const after = await rawFetch(`${server.url}/api/v1/auth/me`, {
        headers: { authorization: `Bearer ${throwaway}` },
      });
      expect(after.status).toBe(401);
      const other = await rawFetch(`${server.url}/api/v1/auth/me`, {
        headers: { authorization: `Bearer ${actor.token}` },
      });
      expect(other.status).toBe(200);
    });
  }

  for (const [event, permission] of Object.entries(SOCKET_ACCESS)) {
    for (const role of ROLES) {
      const allowed = hasPermission(role, permission);
      it(`socket ${event} ${allowed ? 'is allowed for' : 'is refused to'} ${role}`, async () => {
        const attempt = connectClient(server.url, undefined, { token: actors.get(role)!.token });
        // Every command travels on a connection: without the handshake's permission there is none.
        if (!hasPermission(role, SOCKET_ACCESS.connect)) {
          expect(allowed).toBe(false);
          await expect(attempt).rejects.toThrow(/forbidden/);
          return;
        }
        const { socket, snapshot } = await attempt;
        try {
          if (event === 'scope:set') {
            const ack = await socket.emitWithAck('scope:set', snapshot.scope);
            expect(ack.ok).toBe(allowed);
          } else if (event === 'worker:position') {
            // Off duty the position is refused with `conflict`: an answer about the shift, not the role.
            const ack = await socket.emitWithAck('worker:position', { location: site, accuracyM: 10 });
            const code = ack.ok ? null : ack.error.code;
            if (allowed) expect(code, JSON.stringify(ack)).not.toBe('forbidden');
            else expect(code).toBe('forbidden');
          } else {
            expect(snapshot.v).toBe('v1');
          }
        } finally {
          socket.disconnect();
        }
      });
    }
  }

  it('socket connect refuses a caller without a session', async () => {
    await expect(connectClient(server.url, undefined, { token: 'not-a-session' })).rejects.toThrow(
      'unauthorized',
    );
  });
});
