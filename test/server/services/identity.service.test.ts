import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, migrate, type SqliteDatabase } from '../../../server/src/persistence/sqlite/database';
import {
  SqliteSessionRepository,
  SqliteUserRepository,
} from '../../../server/src/persistence/sqlite/identity.repository';
import { DomainEvents } from '../../../server/src/services/events';
import {
  IdentityError,
  IdentityService,
  type IdentitySettings,
} from '../../../server/src/services/identity.service';
import { ROLE_PERMISSIONS, ROLES } from '../../../shared/access';
import {
  SessionInfoSchema,
  UserSchema,
  type User,
  type UserCreate,
  type UserUpdate,
} from '../../../shared/schemas/auth.schema';

const T0 = Date.parse('2026-11-21T08:00:00Z');
const MINUTE = 60_000;
const SETTINGS: IdentitySettings = { sessionTtlMs: 30 * MINUTE, maxFailedLogins: 3, lockMs: 15 * MINUTE };
const ORIGIN = { ip: '10.0.0.7', userAgent: 'vitest' };
const PASSWORD = 'correct horse battery staple';
const WRONG = 'incorrect horse battery staple';
const GENERATED = /^[a-hjkmnp-zA-HJKMNP-Z2-9]{5}(-[a-hjkmnp-zA-HJKMNP-Z2-9]{5}){3}$/;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** One service over its own SQLite file, with a clock the test moves by hand. */
interface Harness {
  identity: IdentityService;
  db: SqliteDatabase;
  file: string;
  /** Session ids of every 'sessions.revoked' event, one array per event. */
  revoked: string[][];
  advance(ms: number): void;
  now(): number;
  createUser(overrides?: Partial<UserCreate>): Promise<User>;
}

let dir: string;
let files = 0;
let h: Harness;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cityops-identity-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  const file = join(dir, `identity-${++files}.db`);
  const db = openDatabase(file, { synchronous: 'NORMAL' });
  migrate(db);
  const events = new DomainEvents((event, err) => {
    throw new Error(`listener of ${event} failed: ${String(err)}`);
  });
  const revoked: string[][] = [];
  events.on('sessions.revoked', (e) => revoked.push([...e.sessionIds]));
  let now = T0;
  const identity = new IdentityService({
    users: new SqliteUserRepository(db),
    sessions: new SqliteSessionRepository(db),
    events,
    clock: () => now,
    settings: SETTINGS,
  });
  h = {
    identity,
    db,
    file,
    revoked,
    advance: (ms) => {
      now += ms;
    },
    now: () => now,
    createUser: (overrides = {}) =>
      identity.createUser({
        username: 'op-wang',
        displayName: '王值班',
        role: 'operator',
        districtIds: null,
        workerId: null,
        password: PASSWORD,
        ...overrides,
      }),
  };
});

afterEach(() => {
  h.db.close();
});

/** The IdentityError a promise rejects with (fails the test when it resolves or throws something else). */
async function refusal(promise: Promise<unknown>): Promise<IdentityError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(IdentityError);
  return err as IdentityError;
}

async function loginToken(username = 'op-wang', password = PASSWORD): Promise<string> {
  return (await h.identity.login(username, password, ORIGIN)).token;
}

describe('IdentityService.login', () => {
  it('returns a token and the session info with the permissions of the role', async () => {
    const user = await h.createUser({ role: 'engineer' });
    const { token, info } = await h.identity.login('op-wang', PASSWORD, ORIGIN);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(SessionInfoSchema.parse(info)).toEqual(info);
    expect(info).toEqual({
      user: { ...user, lastLoginAt: T0 },
      permissions: [...ROLE_PERMISSIONS.engineer],
      expiresAt: T0 + SETTINGS.sessionTtlMs,
    });
  });

  it('shows the signed-in user without the password hash, failure count or lock', async () => {
    await h.createUser();
    const { info } = await h.identity.login('op-wang', PASSWORD, ORIGIN);
    expect(Object.keys(info.user).sort()).toEqual(Object.keys(UserSchema.shape).sort());
  });

  it('stores the SHA-256 of the token as the session id, never the token itself', async () => {
    const user = await h.createUser();
    const token = await loginToken();
    const rows = h.db.prepare('SELECT * FROM sessions').all();
    expect(rows).toEqual([
      {
        id: sha256(token),
        user_id: user.id,
        created_at: T0,
        expires_at: T0 + SETTINGS.sessionTtlMs,
        last_seen_at: T0,
        revoked_at: null,
        ip: ORIGIN.ip,
        user_agent: ORIGIN.userAgent,
      },
    ]);
    expect(JSON.stringify(rows)).not.toContain(token);
    // Nor anywhere on disk: the database file and its write-ahead log.
    for (const file of [h.file, `${h.file}-wal`].filter((f) => existsSync(f))) {
      expect(readFileSync(file).includes(token)).toBe(false);
    }
  });

  it('refuses a wrong password as unauthorized', async () => {
    await h.createUser();
    const err = await refusal(h.identity.login('op-wang', WRONG, ORIGIN));
    expect(err.code).toBe('unauthorized');
    expect(err.message).toBe('wrong username or password');
  });

  it('answers an unknown username exactly like a wrong password', async () => {
    await h.createUser();
    const wrongPassword = await refusal(h.identity.login('op-wang', WRONG, ORIGIN));
    const unknownUser = await refusal(h.identity.login('op-nobody', PASSWORD, ORIGIN));
    expect({ code: unknownUser.code, message: unknownUser.message }).toEqual({
      code: wrongPassword.code,
      message: wrongPassword.message,
    });
  });

  it('refuses a disabled user even with the right password, like a wrong password', async () => {
    const user = await h.createUser();
    await h.identity.updateUser(user.id, { disabled: true });
    const err = await refusal(h.identity.login('op-wang', PASSWORD, ORIGIN));
    expect({ code: err.code, message: err.message }).toEqual({
      code: 'unauthorized',
      message: 'wrong username or password',
    });
    expect(h.db.prepare('SELECT count(*) AS n FROM sessions').get()).toEqual({ n: 0 });
  });

  it('keeps a disable made while the password was being checked', async () => {
    const user = await h.createUser();
    const signingIn = h.identity.login('op-wang', PASSWORD, ORIGIN);
    await h.identity.updateUser(user.id, { disabled: true });
    const outcome = await signingIn.then(
      ({ token }) => h.identity.authenticate(token),
      (e: unknown) => e,
    );
    expect((await h.identity.getUser(user.id)).disabled).toBe(true);
    expect(outcome).toMatchObject({ code: 'unauthorized' });
  });
});

describe('IdentityService.login lockout', () => {
  it('locks the account at the maxFailedLogins-th consecutive failure', async () => {
    await h.createUser();
    for (let i = 1; i < SETTINGS.maxFailedLogins; i++) {
      expect((await refusal(h.identity.login('op-wang', WRONG, ORIGIN))).code).toBe('unauthorized');
    }
    const err = await refusal(h.identity.login('op-wang', WRONG, ORIGIN));
    expect(err.code).toBe('locked');
    expect(err.retryAfterSec).toBe(SETTINGS.lockMs / 1000);
  });

  it('refuses even the right password while the account is locked', async () => {
    await h.createUser();
    for (let i = 0; i < SETTINGS.maxFailedLogins; i++) {
      await refusal(h.identity.login('op-wang', WRONG, ORIGIN));
    }
    h.advance(SETTINGS.lockMs - MINUTE);
    const err = await refusal(h.identity.login('op-wang', PASSWORD, ORIGIN));
    expect(err.code).toBe('locked');
    expect(err.retryAfterSec).toBe(60);
  });

  it('lets the right password in again once the lock time has passed', async () => {
    await h.createUser();
    for (let i = 0; i < SETTINGS.maxFailedLogins; i++) {
      await refusal(h.identity.login('op-wang', WRONG, ORIGIN));
    }
    h.advance(SETTINGS.lockMs);
    const { info } = await h.identity.login('op-wang', PASSWORD, ORIGIN);
    expect(info.user.lastLoginAt).toBe(T0 + SETTINGS.lockMs);
  });

  it('counts failures afresh after a successful sign-in', async () => {
    await h.createUser();
    for (let i = 1; i < SETTINGS.maxFailedLogins; i++) {
      await refusal(h.identity.login('op-wang', WRONG, ORIGIN));
    }
    await h.identity.login('op-wang', PASSWORD, ORIGIN);
    for (let i = 1; i < SETTINGS.maxFailedLogins; i++) {
      expect((await refusal(h.identity.login('op-wang', WRONG, ORIGIN))).code).toBe('unauthorized');
    }
    await expect(h.identity.login('op-wang', PASSWORD, ORIGIN)).resolves.toHaveProperty('token');
  });

  it('counts wrong passwords sent in parallel towards the lock', async () => {
    await h.createUser();
    const codes = await Promise.all(
      Array.from({ length: SETTINGS.maxFailedLogins }, () =>
        refusal(h.identity.login('op-wang', WRONG, ORIGIN)).then((e) => e.code),
      ),
    );
    expect(codes).toContain('locked');
    expect((await refusal(h.identity.login('op-wang', PASSWORD, ORIGIN))).code).toBe('locked');
  });
});

describe('IdentityService.authenticate', () => {
  it('returns the principal of a valid token', async () => {
    const user = await h.createUser();
    const token = await loginToken();
    expect(await h.identity.authenticate(token)).toEqual({
      user: { ...user, lastLoginAt: T0 },
      sessionId: sha256(token),
      expiresAt: T0 + SETTINGS.sessionTtlMs,
    });
  });

  it.each([
    ['an empty token', ''],
    ['a garbage token', 'not-a-session-token'],
    ['a very long token', 'A'.repeat(100_000)],
  ])('returns null for %s', async (_label, token) => {
    expect(await h.identity.authenticate(token)).toBeNull();
  });

  it.each([
    [
      'a token with one character changed',
      (token: string) => `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`,
    ],
    ['the stored session id instead of the token', (token: string) => sha256(token)],
  ])('returns null for %s of a live session', async (_label, forge) => {
    await h.createUser();
    const token = await loginToken();
    expect(await h.identity.authenticate(forge(token))).toBeNull();
    expect(await h.identity.authenticate(token)).not.toBeNull();
  });

  it('returns null after logout and reports the session as revoked', async () => {
    await h.createUser();
    const token = await loginToken();
    const principal = await h.identity.authenticate(token);
    expect(principal).not.toBeNull();
    await h.identity.logout(principal!);
    expect(await h.identity.authenticate(token)).toBeNull();
    expect(h.revoked).toEqual([[sha256(token)]]);
  });

  it('ends every session of a user, and only that user, on revokeSessionsOf', async () => {
    const user = await h.createUser();
    await h.createUser({ username: 'op-li', displayName: '李值班' });
    const [first, second, other] = await Promise.all([loginToken(), loginToken(), loginToken('op-li')]);
    expect(await h.identity.revokeSessionsOf(user.id)).toBe(2);
    expect(await h.identity.authenticate(first!)).toBeNull();
    expect(await h.identity.authenticate(second!)).toBeNull();
    expect(await h.identity.authenticate(other!)).not.toBeNull();
    expect(h.revoked.map((ids) => [...ids].sort())).toEqual([[sha256(first!), sha256(second!)].sort()]);
  });

  it('reports nothing when revokeSessionsOf finds no live session', async () => {
    const user = await h.createUser();
    expect(await h.identity.revokeSessionsOf(user.id)).toBe(0);
    expect(h.revoked).toEqual([]);
  });

  it('returns null once the session has gone unused for the TTL', async () => {
    await h.createUser();
    const token = await loginToken();
    h.advance(SETTINGS.sessionTtlMs);
    expect(await h.identity.authenticate(token)).toBeNull();
  });

  it('slides the expiry forward when the session is used within the TTL', async () => {
    await h.createUser();
    const token = await loginToken();
    h.advance(SETTINGS.sessionTtlMs - MINUTE);
    expect((await h.identity.authenticate(token))?.expiresAt).toBe(h.now() + SETTINGS.sessionTtlMs);
    h.advance(SETTINGS.sessionTtlMs - MINUTE);
    expect(h.now()).toBeGreaterThan(T0 + SETTINGS.sessionTtlMs);
    expect(await h.identity.authenticate(token)).not.toBeNull();
  });

  it('writes the slid expiry at most once a minute', async () => {
    await h.createUser();
    const token = await loginToken();
    const stored = () =>
      h.db.prepare('SELECT last_seen_at, expires_at FROM sessions WHERE id = ?').get(sha256(token));
    h.advance(MINUTE - 1);
    expect((await h.identity.authenticate(token))?.expiresAt).toBe(T0 + SETTINGS.sessionTtlMs);
    expect(stored()).toEqual({ last_seen_at: T0, expires_at: T0 + SETTINGS.sessionTtlMs });
    h.advance(1);
    expect((await h.identity.authenticate(token))?.expiresAt).toBe(T0 + MINUTE + SETTINGS.sessionTtlMs);
    expect(stored()).toEqual({ last_seen_at: T0 + MINUTE, expires_at: T0 + MINUTE + SETTINGS.sessionTtlMs });
  });
});

describe('IdentityService.updateUser', () => {
  const rightsChanges: Array<[string, UserUpdate]> = [
    ['role', { role: 'viewer' }],
    ['districts', { districtIds: ['330106'] }],
    ['worker', { workerId: 'W-001' }],
    ['password', { password: 'a brand new passphrase' }],
    ['disabled flag', { disabled: true }],
  ];

  it.each(rightsChanges)('ends the user’s sessions when the %s changes', async (_label, patch) => {
    const user = await h.createUser();
    const token = await loginToken();
    await h.identity.updateUser(user.id, patch);
    expect(await h.identity.authenticate(token)).toBeNull();
    expect(h.revoked).toEqual([[sha256(token)]]);
  });

  it('keeps the sessions when only the display name changes', async () => {
    const user = await h.createUser();
    const token = await loginToken();
    const { after } = await h.identity.updateUser(user.id, { displayName: '王二' });
    expect(after.displayName).toBe('王二');
    expect((await h.identity.authenticate(token))?.user.displayName).toBe('王二');
    expect(h.revoked).toEqual([]);
  });

  it('keeps the sessions when a patch repeats the current role, districts and worker', async () => {
    const user = await h.createUser({ districtIds: ['330102', '330103'], workerId: 'W-001' });
    const token = await loginToken();
    await h.identity.updateUser(user.id, {
      role: 'operator',
      districtIds: ['330102', '330103'],
      workerId: 'W-001',
      disabled: false,
    });
    expect(await h.identity.authenticate(token)).not.toBeNull();
    expect(h.revoked).toEqual([]);
  });

  it('makes the new password work and the old one fail', async () => {
    const user = await h.createUser();
    await h.identity.updateUser(user.id, { password: 'a brand new passphrase' });
    expect((await refusal(h.identity.login('op-wang', PASSWORD, ORIGIN))).code).toBe('unauthorized');
    await expect(h.identity.login('op-wang', 'a brand new passphrase', ORIGIN)).resolves.toHaveProperty(
      'token',
    );
  });

  it('returns the user before and after the change', async () => {
    const user = await h.createUser();
    h.advance(MINUTE);
    const { before, after } = await h.identity.updateUser(user.id, { role: 'supervisor' });
    expect(before).toEqual(user);
    expect(after).toEqual({ ...user, role: 'supervisor', updatedAt: T0 + MINUTE });
    expect(await h.identity.getUser(user.id)).toEqual(after);
  });

  it('keeps a role change made while a new password was being hashed', async () => {
    const user = await h.createUser();
    await Promise.all([
      h.identity.updateUser(user.id, { password: 'a brand new passphrase' }),
      h.identity.updateUser(user.id, { role: 'viewer' }),
    ]);
    const { info } = await h.identity.login('op-wang', 'a brand new passphrase', ORIGIN);
    expect(info.user.role).toBe('viewer');
  });

  it('refuses an unknown user id as not_found', async () => {
    const err = await refusal(h.identity.updateUser('U-missing', { displayName: 'x' }));
    expect(err.code).toBe('not_found');
  });
});

describe('IdentityService.createUser', () => {
  it('refuses a username that is taken in another letter case as conflict', async () => {
    await h.createUser({ username: 'admin', role: 'admin' });
    const err = await refusal(h.createUser({ username: 'Admin' }));
    expect(err.code).toBe('conflict');
    expect(await h.identity.listUsers()).toHaveLength(1);
  });

  it('refuses the second of two simultaneous creations of one username as conflict', async () => {
    const outcomes = await Promise.allSettled([h.createUser(), h.createUser({ displayName: '另一个王' })]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = outcomes.find((o) => o.status === 'rejected');
    expect(rejected?.reason).toBeInstanceOf(IdentityError);
    expect(rejected?.reason).toMatchObject({ code: 'conflict' });
    expect(await h.identity.listUsers()).toHaveLength(1);
  });
});

describe('IdentityService.ensureAdmin', () => {
  it('creates admin with a random password when there are no users', async () => {
    const created = await h.identity.ensureAdmin();
    expect(created?.username).toBe('admin');
    expect(created?.password).toMatch(GENERATED);
    const { info } = await h.identity.login('admin', created!.password, ORIGIN);
    expect(info.user.role).toBe('admin');
    expect(info.permissions).toEqual([...ROLE_PERMISSIONS.admin]);
  });

  it('returns null and creates nobody when users already exist', async () => {
    await h.identity.ensureAdmin();
    expect(await h.identity.ensureAdmin()).toBeNull();
    expect(await h.identity.listUsers()).toHaveLength(1);
  });

  it('uses the initial password when one is given', async () => {
    expect(await h.identity.ensureAdmin('the configured first password')).toEqual({
      username: 'admin',
      password: 'the configured first password',
    });
    await expect(h.identity.login('admin', 'the configured first password', ORIGIN)).resolves.toHaveProperty(
      'token',
    );
  });
});

describe('IdentityService.ensureDemoAccounts', () => {
  const signsIn = async (username: string, password: string) =>
    h.identity.login(username, password, ORIGIN).then(
      () => true,
      () => false,
    );

  it('creates a demo account for every role but admin, a district operator and a worker', async () => {
    const accounts = await h.identity.ensureDemoAccounts({ workerId: 'W-007', districtId: '330106' });
    expect(new Set(accounts.map((a) => a.role))).toEqual(new Set(ROLES.filter((r) => r !== 'admin')));
    const users = await h.identity.listUsers();
    expect(users.map((u) => u.username).sort()).toEqual(accounts.map((a) => a.username).sort());
    expect(users.every((u) => u.demo)).toBe(true);
    expect(users.find((u) => u.username === 'demo-operator-district')).toMatchObject({
      role: 'operator',
      districtIds: ['330106'],
    });
    expect(users.find((u) => u.role === 'worker')).toMatchObject({ workerId: 'W-007' });
    const signedIn = await Promise.all(accounts.map((a) => signsIn(a.username, a.password)));
    expect(signedIn).toEqual(accounts.map(() => true));
  });

  it('creates neither the district operator nor the worker when the plan names no district or worker', async () => {
    const accounts = await h.identity.ensureDemoAccounts({ workerId: null, districtId: null });
    expect(accounts.map((a) => a.role).sort()).toEqual(['engineer', 'operator', 'supervisor', 'viewer']);
    expect(accounts.every((a) => GENERATED.test(a.password))).toBe(true);
  });

  it('issues new passwords on a second call without duplicating users', async () => {
    const plan = { workerId: null, districtId: null };
    const first = await h.identity.ensureDemoAccounts(plan);
    const usersBefore = await h.identity.listUsers();
    const second = await h.identity.ensureDemoAccounts(plan);
    expect(second.map((a) => a.username)).toEqual(first.map((a) => a.username));
    expect((await h.identity.listUsers()).map((u) => u.id)).toEqual(usersBefore.map((u) => u.id));
    const oldWork = await Promise.all(first.map((a) => signsIn(a.username, a.password)));
    const newWork = await Promise.all(second.map((a) => signsIn(a.username, a.password)));
    expect(oldWork).toEqual(first.map(() => false));
    expect(newWork).toEqual(second.map(() => true));
  });

  it('never resets a real account that has a demo name', async () => {
    const real = await h.identity.createUser({
      username: 'demo-viewer',
      displayName: 'A real person',
      role: 'supervisor',
      districtIds: null,
      workerId: null,
      password: 'their own long passphrase',
    });
    const accounts = await h.identity.ensureDemoAccounts({ workerId: null, districtId: null });
    expect(accounts.map((a) => a.username)).not.toContain('demo-viewer');
    expect(await signsIn('demo-viewer', 'their own long passphrase')).toBe(true);
    expect(await h.identity.getUser(real.id)).toMatchObject({ role: 'supervisor', demo: false });
  });
});
