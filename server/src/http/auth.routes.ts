import { Router, type Response } from 'express';
import { AuditQuerySchema } from '@shared/schemas/audit.schema';
import type { User } from '@shared/schemas/auth.schema';
import type { AuditService } from '../services/audit.service';
import {
  LoginRequestSchema,
  SESSION_COOKIE,
  UserCreateSchema,
  UserUpdateSchema,
} from '@shared/schemas/auth.schema';
import { maskWorker } from '../domain/masking';
import type { CatalogService } from '../services/catalog.service';
import { IdentityError, type IdentityService } from '../services/identity.service';
import { TokenBuckets } from '../services/tokenBucket';
import { auditActor, auditOrigin, guard, originOf, principalOf, requirePrincipal } from './auth';
import { reachOf } from '../services/reach';
import { ApiError, parseOr400 } from './errors';
import { reachesCell } from '../domain/access';

export interface AuthRouteDeps {
  identity: IdentityService;
  audit: AuditService;
  catalog: CatalogService;
  clock: () => number;
  /** Mark the session cookie Secure (set it when the site is served over HTTPS). */
  secureCookie: boolean;
  /** Sign-in attempts allowed per client address per minute. */
  loginAttemptsPerMinute: number;
}

function identityError(err: unknown): never {
  if (err instanceof IdentityError) {
    switch (err.code) {
      case 'unauthorized':
        throw new ApiError(401, 'unauthorized', err.message);
      case 'locked':
        throw new ApiError(423, 'forbidden', err.message, [], {
          'Retry-After': String(err.retryAfterSec ?? 60),
        });
      case 'not_found':
        throw new ApiError(404, 'not_found', err.message);
      case 'conflict':
        throw new ApiError(409, 'conflict', err.message, [{ path: 'username', message: err.message }]);
    }
  }
  throw err;
}

/** Sign-in, sign-out, who-am-I; users managed by admins; the worker roster, masked by clearance. */
export function authRoutes(deps: AuthRouteDeps): Router {
  const r = Router();
  // N attempts a minute per address: a bucket of N refilled at N per 60 s (the same limiter as ingest).
  const perMinute = deps.loginAttemptsPerMinute;
  const limiter = new TokenBuckets(perMinute / 60, perMinute, deps.clock);
  /** What an audit entry keeps of a user: who, role and reach — never a password. */
  const summary = (u: User) => ({
    username: u.username,
    role: u.role,
    districtIds: u.districtIds,
    workerId: u.workerId,
    disabled: u.disabled,
  });

  const setCookie = (res: Response, token: string, expiresAt: number) =>
    res.cookie(SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'lax',
      secure: deps.secureCookie,
      path: '/',
      maxAge: Math.max(expiresAt - deps.clock(), 0),
    });

  r.post('/auth/login', guard('POST /api/v1/auth/login'), async (req, res) => {
    const origin = originOf(req);
    const wait = limiter.take(origin.ip ?? 'unknown');
    if (wait > 0) {
      throw new ApiError(429, 'overloaded', 'too many sign-in attempts from this address', [], {
        'Retry-After': String(Math.ceil(wait / 1000)),
      });
    }
    const body = parseOr400(LoginRequestSchema, req.body, 'body');
    try {
      const { token, info } = await deps.identity.login(body.username, body.password, origin);
      await deps.audit.record({
        actor: { type: 'user', id: info.user.id, role: info.user.role },
        action: 'auth.login',
        target: { type: 'user', id: info.user.id },
        origin: auditOrigin(req),
      });
      setCookie(res, token, info.expiresAt);
      res.json(info);
    } catch (err) {
      if (err instanceof IdentityError) {
        await deps.audit.record({
          actor: { type: 'system', id: 'auth' },
          action: err.code === 'locked' ? 'auth.loginLocked' : 'auth.loginFailed',
          target: { type: 'username', id: body.username.slice(0, 64) || '-' },
          origin: auditOrigin(req),
        });
      }
      identityError(err);
    }
  });

  r.post('/auth/logout', guard('POST /api/v1/auth/logout'), async (req, res) => {
    const p = requirePrincipal(res);
    await deps.identity.logout(p);
    await deps.audit.record({
      actor: auditActor(res),
      action: 'auth.logout',
      target: { type: 'user', id: p.user.id },
      origin: auditOrigin(req),
    });
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.status(204).end();
  });

  r.get('/auth/me', guard('GET /api/v1/auth/me'), (_req, res) => {
    const p = requirePrincipal(res);
    res.json(deps.identity.sessionInfo(p.user, p.expiresAt));
  });

  r.get('/users', guard('GET /api/v1/users'), async (_req, res) => {
    const items = await deps.identity.listUsers();
    res.json({ items, total: items.length });
  });

  r.post('/users', guard('POST /api/v1/users'), async (req, res) => {
    const body = parseOr400(UserCreateSchema, req.body, 'body');
    let created: User;
    try {
      created = await deps.identity.createUser(body);
    } catch (err) {
      identityError(err);
    }
    await deps.audit.record({
      actor: auditActor(res),
      action: 'user.create',
      target: { type: 'user', id: created.id },
      after: summary(created),
      origin: auditOrigin(req),
    });
    res.status(201).json(created);
  });

  r.patch('/users/:id', guard('PATCH /api/v1/users/:id'), async (req, res) => {
    const body = parseOr400(UserUpdateSchema, req.body, 'body');
    const self = principalOf(res)?.user.id === String(req.params['id']);
    if (self && (body.role !== undefined || body.disabled === true)) {
      throw new ApiError(409, 'conflict', 'you cannot change your own role or disable yourself');
    }
    let change: { before: User; after: User };
    try {
      change = await deps.identity.updateUser(String(req.params['id']), body);
    } catch (err) {
      identityError(err);
    }
    await deps.audit.record({
      actor: auditActor(res),
      action: 'user.update',
      target: { type: 'user', id: change.after.id },
      before: summary(change.before),
      after: { ...summary(change.after), ...(body.password !== undefined ? { passwordChanged: true } : {}) },
      origin: auditOrigin(req),
    });
    res.json(change.after);
  });

  r.post('/users/:id/revoke-sessions', guard('POST /api/v1/users/:id/revoke-sessions'), async (req, res) => {
    try {
      await deps.identity.getUser(String(req.params['id']));
    } catch (err) {
      identityError(err);
    }
    const revoked = await deps.identity.revokeSessionsOf(String(req.params['id']));
    await deps.audit.record({
      actor: auditActor(res),
      action: 'user.sessions.revoke',
      target: { type: 'user', id: String(req.params['id']) },
      after: { revoked },
      origin: auditOrigin(req),
    });
    res.json({ revoked });
  });

  r.get('/audit', guard('GET /api/v1/audit'), async (req, res) => {
    res.json(await deps.audit.query(parseOr400(AuditQuerySchema, req.query, 'query')));
  });

  r.get('/workers', guard('GET /api/v1/workers'), (_req, res) => {
    const p = requirePrincipal(res);
    const reach = reachOf(p, deps.catalog);
    const items = deps.catalog
      .listWorkers()
      .filter((w) => w.gridCellIds.some((id) => reachesCell(reach, { id, districtId: w.districtId })))
      .map((w) => maskWorker(w, p.user.role, w.id === p.user.workerId));
    res.json({ items, total: items.length });
  });

  return r;
}
