import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { hasPermission } from '@shared/access';
import type { AuditActor, AuditOrigin } from '@shared/schemas/audit.schema';
import { DEVICE_KEY_HEADER } from '@shared/schemas/device.schema';
import type { DeviceCredentialService, DeviceIdentity } from '../services/devices.service';
import type { IdentityService, Origin, Principal } from '../services/identity.service';
import { ApiError } from './errors';
import { ROUTE_ACCESS, type RouteKey } from './routeAccess';

import { sessionToken } from '../services/sessionToken';

export function originOf(req: Request): Origin {
  return { ip: req.ip ?? null, userAgent: req.get('user-agent')?.slice(0, 200) ?? null };
}

/** The signed-in principal of this request (set by `authenticate`), or null. */
export function principalOf(res: Response): Principal | null {
  return (res.locals['principal'] as Principal | undefined) ?? null;
}

/** Resolve the session (if any) of every API request; never refuses by itself. */
export function authenticate(identity: IdentityService): RequestHandler {
  return async (req, res, next) => {
    const token = sessionToken({ cookie: req.get('cookie'), authorization: req.get('authorization') });
    res.locals['principal'] = token ? await identity.authenticate(token) : null;
    next();
  };
}

/** The device identity of a request that presented a valid X-Device-Key (set by the device guard). */
export function deviceOf(res: Response): DeviceIdentity | null {
  return (res.locals['device'] as DeviceIdentity | undefined) ?? null;
}

/**
 * The guard of one route, as ROUTE_ACCESS declares it: 401 without a session,
 * 403 without the permission. `device` routes take a valid device key
 * (X-Device-Key) or a session whose role has `readings:write`.
 */
export function guard(key: RouteKey, devices?: DeviceCredentialService): RequestHandler {
  const need = ROUTE_ACCESS[key];
  return (req: Request, res: Response, next: NextFunction) => {
    if (need === 'public') return next();
    if (need === 'device') {
      const key = req.get(DEVICE_KEY_HEADER);
      if (key !== undefined) {
        const device = devices?.verifyApiKey(key) ?? null;
        if (!device) return next(new ApiError(401, 'unauthorized', 'unknown, revoked or wrong device key'));
        res.locals['device'] = device;
        return next();
      }
      const principal = principalOf(res);
      if (!principal)
        return next(new ApiError(401, 'unauthorized', `send a device key in ${DEVICE_KEY_HEADER}`));
      if (!hasPermission(principal.user.role, 'readings:write')) {
        return next(new ApiError(403, 'forbidden', `role ${principal.user.role} may not post readings`));
      }
      return next();
    }
    const principal = principalOf(res);
    if (!principal) return next(new ApiError(401, 'unauthorized', 'sign in first'));
    if (need !== 'session' && !hasPermission(principal.user.role, need)) {
      return next(new ApiError(403, 'forbidden', `role ${principal.user.role} may not ${need}`));
    }
    next();
  };
}

/** The principal of a guarded route (the guard ran, so there is one). */
export function requirePrincipal(res: Response): Principal {
  const p = principalOf(res);
  if (!p) throw new ApiError(401, 'unauthorized', 'sign in first');
  return p;
}

/** The audit origin of an HTTP request. */
export function auditOrigin(req: Request): AuditOrigin {
  const o = originOf(req);
  return { via: 'http', ...(o.ip ? { ip: o.ip } : {}), ...(o.userAgent ? { userAgent: o.userAgent } : {}) };
}

/** The audit actor of a guarded request: the signed-in user. */
export function auditActor(res: Response): AuditActor {
  const p = requirePrincipal(res);
  return { type: 'user', id: p.user.id, role: p.user.role };
}
