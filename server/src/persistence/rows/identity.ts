import type { User } from '@shared/schemas/auth.schema';
import type { SessionRecord, UserRecord } from '../../services/ports';

/** A `users` row as both stores return it (flags 0/1, epoch ms as numbers). */
export type UserRow = {
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
};

export function userFromRow(r: UserRow): UserRecord {
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

/** What may leave the identity service: the record without its secrets and sign-in counters. */
export function userToPublic(r: UserRecord): User {
  const { passwordHash: _h, failedLogins: _f, lockedUntil: _l, ...user } = r;
  return user;
}

export function userToRow(u: UserRecord): UserRow {
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

/** A `sessions` row. */
export type SessionRow = {
  id: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
  revoked_at: number | null;
  ip: string | null;
  user_agent: string | null;
};

export function sessionFromRow(r: SessionRow): SessionRecord {
  return {
    id: r.id,
    userId: r.user_id,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastSeenAt: r.last_seen_at,
    revokedAt: r.revoked_at,
    ip: r.ip,
    userAgent: r.user_agent,
  };
}
