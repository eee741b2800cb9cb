import type { User } from '@shared/schemas/auth.schema';
import type { SessionRecord, SessionRepository, UserRecord, UserRepository } from '../../services/ports';
import type { SqliteDatabase } from './database';

interface UserRow {
  id: string;
  username: string;
  display_name: string;
  role: string;
  district_ids_json: string | null;
  worker_id: string | null;
  password_hash: string;
  disabled: number;
  demo: number;
  failed_logins: number;
  locked_until: number | null;
  created_at: number;
  updated_at: number;
  last_login_at: number | null;
}

function toRecord(r: UserRow): UserRecord {
  return {
    id: r.id,
    username: r.username,
    displayName: r.display_name,
    role: r.role as User['role'],
    districtIds: r.district_ids_json ? (JSON.parse(r.district_ids_json) as string[]) : null,
    workerId: r.worker_id,
    disabled: r.disabled === 1,
    demo: r.demo === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    lastLoginAt: r.last_login_at,
    passwordHash: r.password_hash,
    failedLogins: r.failed_logins,
    lockedUntil: r.locked_until,
  };
}

function toPublic(r: UserRecord): User {
  const { passwordHash: _h, failedLogins: _f, lockedUntil: _l, ...user } = r;
  return user;
}

function toRow(u: UserRecord): UserRow {
  return {
    id: u.id,
    username: u.username,
    display_name: u.displayName,
    role: u.role,
    district_ids_json: u.districtIds ? JSON.stringify(u.districtIds) : null,
    worker_id: u.workerId,
    password_hash: u.passwordHash,
    disabled: u.disabled ? 1 : 0,
    demo: u.demo ? 1 : 0,
    failed_logins: u.failedLogins,
    locked_until: u.lockedUntil,
    created_at: u.createdAt,
    updated_at: u.updatedAt,
    last_login_at: u.lastLoginAt,
  };
}

export class SqliteUserRepository implements UserRepository {
  constructor(private readonly db: SqliteDatabase) {}

  async count(): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;
  }

  async list(): Promise<User[]> {
    const rows = this.db.prepare('SELECT * FROM users ORDER BY username').all() as UserRow[];
    return rows.map((r) => toPublic(toRecord(r)));
  }

  async findById(id: string): Promise<UserRecord | null> {
    const row = this.db.prepare('SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined;
    return row ? toRecord(row) : null;
  }

  async findByUsername(username: string): Promise<UserRecord | null> {
    const row = this.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as
      UserRow | undefined;
    return row ? toRecord(row) : null;
  }

  async insert(user: UserRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO users (id, username, display_name, role, district_ids_json, worker_id, password_hash,
           disabled, demo, failed_logins, locked_until, created_at, updated_at, last_login_at)
         VALUES (@id, @username, @display_name, @role, @district_ids_json, @worker_id, @password_hash,
           @disabled, @demo, @failed_logins, @locked_until, @created_at, @updated_at, @last_login_at)`,
      )
      .run(toRow(user));
  }

  async save(user: UserRecord): Promise<void> {
    this.db
      .prepare(
        `UPDATE users SET username = @username, display_name = @display_name, role = @role,
           district_ids_json = @district_ids_json, worker_id = @worker_id, password_hash = @password_hash,
           disabled = @disabled, demo = @demo, failed_logins = @failed_logins, locked_until = @locked_until,
           updated_at = @updated_at, last_login_at = @last_login_at
         WHERE id = @id`,
      )
      .run(toRow(user));
  }

  async recordLoginFailure(id: string, maxFailed: number, lockUntil: number): Promise<number | null> {
    // SET expressions all read the row as it was before the update.
    const row = this.db
      .prepare(
        `UPDATE users SET
           failed_logins = CASE WHEN failed_logins + 1 >= @maxFailed THEN 0 ELSE failed_logins + 1 END,
           locked_until = CASE WHEN failed_logins + 1 >= @maxFailed THEN @lockUntil ELSE locked_until END
         WHERE id = @id
         RETURNING locked_until`,
      )
      .get({ id, maxFailed, lockUntil }) as { locked_until: number | null } | undefined;
    return row?.locked_until ?? null;
  }

  async recordLoginSuccess(id: string, at: number): Promise<void> {
    this.db
      .prepare('UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = ? WHERE id = ?')
      .run(at, id);
  }
}

interface SessionRow {
  id: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
  revoked_at: number | null;
  ip: string | null;
  user_agent: string | null;
}

export class SqliteSessionRepository implements SessionRepository {
  constructor(private readonly db: SqliteDatabase) {}

  async insert(s: SessionRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO sessions (id, user_id, created_at, expires_at, last_seen_at, revoked_at, ip, user_agent)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(s.id, s.userId, s.createdAt, s.expiresAt, s.lastSeenAt, s.revokedAt, s.ip, s.userAgent);
  }

  async find(id: string): Promise<SessionRecord | null> {
    const r = this.db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as SessionRow | undefined;
    return r
      ? {
          id: r.id,
          userId: r.user_id,
          createdAt: r.created_at,
          expiresAt: r.expires_at,
          lastSeenAt: r.last_seen_at,
          revokedAt: r.revoked_at,
          ip: r.ip,
          userAgent: r.user_agent,
        }
      : null;
  }

  async touch(id: string, lastSeenAt: number, expiresAt: number): Promise<void> {
    this.db
      .prepare('UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?')
      .run(lastSeenAt, expiresAt, id);
  }

  async revoke(id: string, at: number): Promise<void> {
    this.db.prepare('UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id);
  }

  async revokeAllOf(userId: string, at: number): Promise<string[]> {
    const ids = (
      this.db.prepare('SELECT id FROM sessions WHERE user_id = ? AND revoked_at IS NULL').all(userId) as {
        id: string;
      }[]
    ).map((r) => r.id);
    this.db
      .prepare('UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL')
      .run(at, userId);
    return ids;
  }
}
