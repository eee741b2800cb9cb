import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ROLE_PERMISSIONS, type Role } from '@shared/access';
import type { SessionInfo, User, UserCreate, UserUpdate } from '@shared/schemas/auth.schema';
import type { DomainEvents } from './events';
import { generatePassword, hashPassword, verifyPassword } from './passwords';
import type { SessionRepository, UserRecord, UserRepository } from './ports';

/** Who is calling, as every route and socket handler sees it. */
export interface Principal {
  user: User;
  /** Id of the session (SHA-256 of its token). */
  sessionId: string;
  expiresAt: number;
}

/** Where a request came from, for sessions and the audit log. */
export interface Origin {
  ip: string | null;
  userAgent: string | null;
}

/** A refused sign-in or user operation, with what the HTTP layer needs to answer. */
export class IdentityError extends Error {
  constructor(
    readonly code: 'unauthorized' | 'locked' | 'not_found' | 'conflict',
    message: string,
    readonly retryAfterSec?: number,
  ) {
    super(message);
    this.name = 'IdentityError';
  }
}

export interface IdentitySettings {
  /** A session ends after this long without use, ms. */
  sessionTtlMs: number;
  /** Consecutive failures that lock an account. */
  maxFailedLogins: number;
  /** How long a locked account stays locked, ms. */
  lockMs: number;
}

export interface DemoAccount {
  username: string;
  password: string;
  role: Role;
  note: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
/** Slide a session's expiry at most this often (each slide is a write). */
const TOUCH_EVERY_MS = 60_000;

/**
 * Users, passwords and sessions. Session tokens are random 256-bit values
 * handed to the browser in an httpOnly cookie; only their hash is stored.
 */
export class IdentityService {
  /** A real hash to compare against when the username does not exist, so timing does not tell. */
  private decoyHash: Promise<string> | null = null;

  constructor(
    private readonly deps: {
      users: UserRepository;
      sessions: SessionRepository;
      events: DomainEvents;
      clock: () => number;
      settings: IdentitySettings;
    },
  ) {}

  sessionInfo(user: User, expiresAt: number): SessionInfo {
    return { user, permissions: [...ROLE_PERMISSIONS[user.role]], expiresAt };
  }

  async login(
    username: string,
    password: string,
    origin: Origin,
  ): Promise<{ token: string; info: SessionInfo }> {
    const { users, sessions, clock, settings } = this.deps;
    const now = clock();
    const user = await users.findByUsername(username);
    if (!user || user.disabled) {
      this.decoyHash ??= hashPassword(randomUUID());
      await verifyPassword(password, await this.decoyHash);
      throw new IdentityError('unauthorized', 'wrong username or password');
    }
    if (user.lockedUntil !== null && user.lockedUntil > now) throw lockedError(user.lockedUntil - now);
    const matches = await verifyPassword(password, user.passwordHash);
    // The check took a while: decide on the record as it is now, and update only the
    // sign-in fields, so a disable, role change or password reset made meanwhile stands.
    if (!matches) {
      const lockedUntil = await users.recordLoginFailure(
        user.id,
        settings.maxFailedLogins,
        now + settings.lockMs,
      );
      if (lockedUntil !== null && lockedUntil > now) throw lockedError(lockedUntil - now);
      throw new IdentityError('unauthorized', 'wrong username or password');
    }
    const current = await users.findById(user.id);
    if (!current || current.disabled || current.passwordHash !== user.passwordHash) {
      throw new IdentityError('unauthorized', 'wrong username or password');
    }
    if (current.lockedUntil !== null && current.lockedUntil > now)
      throw lockedError(current.lockedUntil - now);
    await users.recordLoginSuccess(user.id, now);
    const signedIn: UserRecord = { ...current, failedLogins: 0, lockedUntil: null, lastLoginAt: now };
    const token = randomBytes(32).toString('base64url');
    const expiresAt = now + settings.sessionTtlMs;
    await sessions.insert({
      id: sha256(token),
      userId: user.id,
      createdAt: now,
      expiresAt,
      lastSeenAt: now,
      revokedAt: null,
      ip: origin.ip,
      userAgent: origin.userAgent,
    });
    return { token, info: this.sessionInfo(publicUser(signedIn), expiresAt) };
  }

  /** The principal of a session token, or null when it is unknown, revoked, expired or its user disabled. */
  async authenticate(token: string): Promise<Principal | null> {
    const { users, sessions, clock, settings } = this.deps;
    if (!token || token.length > 200) return null;
    const now = clock();
    const session = await sessions.find(sha256(token));
    if (!session || session.revokedAt !== null || session.expiresAt <= now) return null;
    const user = await users.findById(session.userId);
    if (!user || user.disabled) return null;
    let expiresAt = session.expiresAt;
    if (now - session.lastSeenAt >= TOUCH_EVERY_MS) {
      expiresAt = now + settings.sessionTtlMs;
      await sessions.touch(session.id, now, expiresAt);
    }
    return { user: publicUser(user), sessionId: session.id, expiresAt };
  }

  /**
   * When a session ends if nobody uses it, or null when it has already ended
   * (revoked, expired, or its user disabled). Long-lived sockets re-check with this.
   */
  async sessionExpiry(sessionId: string): Promise<number | null> {
    const session = await this.deps.sessions.find(sessionId);
    if (!session || session.revokedAt !== null || session.expiresAt <= this.deps.clock()) return null;
    const user = await this.deps.users.findById(session.userId);
    return user && !user.disabled ? session.expiresAt : null;
  }

  async logout(principal: Principal): Promise<void> {
    await this.deps.sessions.revoke(principal.sessionId, this.deps.clock());
    this.deps.events.emit('sessions.revoked', { sessionIds: [principal.sessionId] });
  }

  /** End every session of a user at once (sockets are disconnected by the realtime layer). */
  async revokeSessionsOf(userId: string): Promise<number> {
    const ids = await this.deps.sessions.revokeAllOf(userId, this.deps.clock());
    if (ids.length > 0) this.deps.events.emit('sessions.revoked', { sessionIds: ids });
    return ids.length;
  }

  listUsers(): Promise<User[]> {
    return this.deps.users.list();
  }

  async getUser(id: string): Promise<User> {
    const user = await this.deps.users.findById(id);
    if (!user) throw new IdentityError('not_found', `user ${id} does not exist`);
    return publicUser(user);
  }

  async createUser(input: UserCreate, flags: { demo?: boolean } = {}): Promise<User> {
    const { users, clock } = this.deps;
    // Hash first: nothing may run between the check for a taken name and the insert.
    const passwordHash = await hashPassword(input.password);
    if (await users.findByUsername(input.username)) {
      throw new IdentityError('conflict', `username ${input.username} is taken`);
    }
    const now = clock();
    const record: UserRecord = {
      id: `U-${randomUUID().slice(0, 8)}`,
      username: input.username,
      displayName: input.displayName,
      role: input.role,
      districtIds: input.districtIds,
      workerId: input.workerId,
      disabled: false,
      demo: flags.demo ?? false,
      createdAt: now,
      updatedAt: now,
      lastLoginAt: null,
      passwordHash,
      failedLogins: 0,
      lockedUntil: null,
    };
    await users.insert(record);
    return publicUser(record);
  }

  /**
   * Change a user. A new role, scope, password or a disable ends the user's
   * sessions, so nobody keeps rights they no longer have.
   */
  async updateUser(id: string, patch: UserUpdate): Promise<{ before: User; after: User }> {
    const { users, clock } = this.deps;
    const { password, ...fields } = patch;
    // Hash before reading: a record read before the hash would overwrite changes made during it.
    const passwordHash = password !== undefined ? await hashPassword(password) : undefined;
    const current = await users.findById(id);
    if (!current) throw new IdentityError('not_found', `user ${id} does not exist`);
    const next: UserRecord = {
      ...current,
      ...fields,
      updatedAt: clock(),
      ...(passwordHash !== undefined ? { passwordHash, failedLogins: 0, lockedUntil: null } : {}),
    };
    await users.save(next);
    const rightsChanged =
      password !== undefined ||
      (patch.role !== undefined && patch.role !== current.role) ||
      (patch.districtIds !== undefined &&
        JSON.stringify(patch.districtIds) !== JSON.stringify(current.districtIds)) ||
      (patch.workerId !== undefined && patch.workerId !== current.workerId) ||
      (patch.disabled === true && !current.disabled);
    if (rightsChanged) await this.revokeSessionsOf(id);
    return { before: publicUser(current), after: publicUser(next) };
  }

  /**
   * First start: create the `admin` account when there are no users. The
   * password is `initialPassword` if configured, else random; the caller
   * prints it once. Returns null when users already exist.
   */
  async ensureAdmin(initialPassword?: string): Promise<{ username: string; password: string } | null> {
    if ((await this.deps.users.count()) > 0) return null;
    const password = initialPassword ?? generatePassword();
    await this.createUser({
      username: 'admin',
      displayName: '系统管理员',
      role: 'admin',
      districtIds: null,
      workerId: null,
      password,
    });
    return { username: 'admin', password };
  }

  /**
   * Demo mode: one account per role (plus an operator limited to one district),
   * each with a fresh random password on every demo start. Flagged `demo`.
   */
  async ensureDemoAccounts(plan: {
    workerId: string | null;
    districtId: string | null;
  }): Promise<DemoAccount[]> {
    const wanted: Array<
      Omit<DemoAccount, 'password'> & {
        displayName: string;
        districtIds: string[] | null;
        workerId: string | null;
      }
    > = [
      {
        username: 'demo-supervisor',
        role: 'supervisor',
        displayName: '值班长（演示）',
        districtIds: null,
        workerId: null,
        note: '全市',
      },
      {
        username: 'demo-operator',
        role: 'operator',
        displayName: '值班员（演示）',
        districtIds: null,
        workerId: null,
        note: '全市',
      },
      ...(plan.districtId
        ? [
            {
              username: 'demo-operator-district',
              role: 'operator' as const,
              displayName: '区值班员（演示）',
              districtIds: [plan.districtId],
              workerId: null,
              note: `仅 ${plan.districtId}`,
            },
          ]
        : []),
      ...(plan.workerId
        ? [
            {
              username: 'demo-worker',
              role: 'worker' as const,
              displayName: '网格员（演示）',
              districtIds: null,
              workerId: plan.workerId,
              note: plan.workerId,
            },
          ]
        : []),
      {
        username: 'demo-engineer',
        role: 'engineer',
        displayName: '工程师（演示）',
        districtIds: null,
        workerId: null,
        note: '',
      },
      {
        username: 'demo-viewer',
        role: 'viewer',
        displayName: '大屏（演示）',
        districtIds: null,
        workerId: null,
        note: '只读，个人信息脱敏',
      },
    ];
    const accounts: DemoAccount[] = [];
    for (const w of wanted) {
      const password = generatePassword();
      const existing = await this.deps.users.findByUsername(w.username);
      // A real account that happens to have a demo name is never touched.
      if (existing && !existing.demo) continue;
      if (existing) {
        await this.updateUser(existing.id, {
          password,
          role: w.role,
          districtIds: w.districtIds,
          workerId: w.workerId,
          disabled: false,
        });
      } else {
        await this.createUser(
          {
            username: w.username,
            displayName: w.displayName,
            role: w.role,
            districtIds: w.districtIds,
            workerId: w.workerId,
            password,
          },
          { demo: true },
        );
      }
      accounts.push({ username: w.username, password, role: w.role, note: w.note });
    }
    return accounts;
  }
}

function lockedError(remainingMs: number): IdentityError {
  const retry = Math.ceil(remainingMs / 1000);
  return new IdentityError(
    'locked',
    `account locked after repeated failures; try again in ${retry} s`,
    retry,
  );
}

function publicUser(r: UserRecord): User {
  const { passwordHash: _h, failedLogins: _f, lockedUntil: _l, ...user } = r;
  return user;
}
