import type { User } from '@shared/schemas/auth.schema';
import type { SessionRecord, SessionRepository, UserRecord, UserRepository } from '../../services/ports';
import {
  sessionFromRow,
  userFromRow,
  userToPublic,
  userToRow,
  type SessionRow,
  type UserRow,
} from '../rows/identity';
import type { SqliteDatabase } from './database';

export class SqliteUserRepository implements UserRepository {
  constructor(private readonly db: SqliteDatabase) {}

  async count(): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;
  }

  async list(): Promise<User[]> {
    const rows = this.db.prepare('SELECT * FROM users ORDER BY username').all() as UserRow[];
    return rows.map((r) => userToPublic(userFromRow(r)));
  }

  async findById(id: string): Promise<UserRecord | null> {
    const row = this.db.prepare('SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined;
    return row ? userFromRow(row) : null;
  }

  async findByUsername(username: string): Promise<UserRecord | null> {
    const row = this.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as
      UserRow | undefined;
    return row ? userFromRow(row) : null;
  }

  async insert(user: UserRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO users (id, username, display_name, role, district_ids_json, worker_id, password_hash,
           disabled, demo, failed_logins, locked_until, created_at, updated_at, last_login_at)
         VALUES (@id, @username, @display_name, @role, @district_ids_json, @worker_id, @password_hash,
           @disabled, @demo, @failed_logins, @locked_until, @created_at, @updated_at, @last_login_at)`,
      )
      .run(userToRow(user));
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
      .run(userToRow(user));
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
    return r ? sessionFromRow(r) : null;
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
