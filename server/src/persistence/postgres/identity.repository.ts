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
import { query, type PgPool } from './database';

/** Columns of `users` in insert order. */
const USER_COLUMNS = [
  'id',
  'username',
  'display_name',
  'role',
  'district_ids_json',
  'worker_id',
  'password_hash',
  'disabled',
  'demo',
  'failed_logins',
  'locked_until',
  'created_at',
  'updated_at',
  'last_login_at',
] as const satisfies ReadonlyArray<keyof UserRow>;

/** What `save` replaces: everything but the id and the creation time. */
const SAVED_COLUMNS = USER_COLUMNS.filter((c) => c !== 'id' && c !== 'created_at');

/**
 * Users in PostgreSQL. Usernames match whatever their case, as SQLite's NOCASE column does:
 * lookups compare lower(username), which the unique index `users_username` serves.
 */
export class PgUserRepository implements UserRepository {
  constructor(private readonly pool: PgPool) {}

  async count(): Promise<number> {
    return (await query<{ n: number }>(this.pool, 'SELECT count(*) AS n FROM users')).rows[0]!.n;
  }

  async list(): Promise<User[]> {
    // Case-insensitive, code-point order: SQLite's ORDER BY on a NOCASE column.
    const { rows } = await query<UserRow>(
      this.pool,
      'SELECT * FROM users ORDER BY lower(username) COLLATE "C"',
    );
    return rows.map((r) => userToPublic(userFromRow(r)));
  }

  async findById(id: string): Promise<UserRecord | null> {
    return this.findOne('SELECT * FROM users WHERE id = ?', id);
  }

  async findByUsername(username: string): Promise<UserRecord | null> {
    return this.findOne('SELECT * FROM users WHERE lower(username) = lower(?)', username);
  }

  async insert(user: UserRecord): Promise<void> {
    const row = userToRow(user);
    await query(
      this.pool,
      `INSERT INTO users (${USER_COLUMNS.join(', ')}) VALUES (${USER_COLUMNS.map(() => '?').join(', ')})`,
      USER_COLUMNS.map((c) => row[c]),
    );
  }

  async save(user: UserRecord): Promise<void> {
    const row = userToRow(user);
    await query(
      this.pool,
      `UPDATE users SET ${SAVED_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`,
      [...SAVED_COLUMNS.map((c) => row[c]), row.id],
    );
  }

  async recordLoginFailure(id: string, maxFailed: number, lockUntil: number): Promise<number | null> {
    // One statement: concurrent failures on any node queue on the row lock and each sees the
    // count the previous one left (READ COMMITTED re-reads the updated row), so all of them count.
    // SET expressions all read the row as it was before this update.
    const { rows } = await query<{ locked_until: number | null }>(
      this.pool,
      `UPDATE users SET
         failed_logins = CASE WHEN failed_logins + 1 >= ? THEN 0 ELSE failed_logins + 1 END,
         locked_until = CASE WHEN failed_logins + 1 >= ? THEN ?::bigint ELSE locked_until END
       WHERE id = ?
       RETURNING locked_until`,
      [maxFailed, maxFailed, lockUntil, id],
    );
    return rows[0]?.locked_until ?? null;
  }

  async recordLoginSuccess(id: string, at: number): Promise<void> {
    await query(
      this.pool,
      'UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = ? WHERE id = ?',
      [at, id],
    );
  }

  private async findOne(sql: string, param: string): Promise<UserRecord | null> {
    const row = (await query<UserRow>(this.pool, sql, [param])).rows[0];
    return row ? userFromRow(row) : null;
  }
}

/** Sign-in sessions in PostgreSQL (ids are token hashes). */
export class PgSessionRepository implements SessionRepository {
  constructor(private readonly pool: PgPool) {}

  async insert(s: SessionRecord): Promise<void> {
    await query(
      this.pool,
      `INSERT INTO sessions (id, user_id, created_at, expires_at, last_seen_at, revoked_at, ip, user_agent)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [s.id, s.userId, s.createdAt, s.expiresAt, s.lastSeenAt, s.revokedAt, s.ip, s.userAgent],
    );
  }

  async find(id: string): Promise<SessionRecord | null> {
    const row = (await query<SessionRow>(this.pool, 'SELECT * FROM sessions WHERE id = ?', [id])).rows[0];
    return row ? sessionFromRow(row) : null;
  }

  async touch(id: string, lastSeenAt: number, expiresAt: number): Promise<void> {
    await query(this.pool, 'UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?', [
      lastSeenAt,
      expiresAt,
      id,
    ]);
  }

  async revoke(id: string, at: number): Promise<void> {
    await query(this.pool, 'UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [
      at,
      id,
    ]);
  }

  async revokeAllOf(userId: string, at: number): Promise<string[]> {
    // RETURNING names exactly the sessions this statement revoked, even if another node signs
    // the user in or out meanwhile.
    const { rows } = await query<{ id: string }>(
      this.pool,
      'UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL RETURNING id',
      [at, userId],
    );
    return rows.map((r) => r.id);
  }
}
