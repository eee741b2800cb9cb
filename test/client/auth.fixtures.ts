import { vi } from 'vitest';
import { ROLE_PERMISSIONS } from '@shared/access';
import type { Role } from '@shared/access';
import type { SessionInfo } from '@shared/schemas/auth.schema';
import { T0 } from './live.fixtures';

/** A session as `GET /api/v1/auth/me` returns it, with the role's permissions from the shared matrix. */
export function sessionInfo(role: Role = 'operator', displayName = '张值班'): SessionInfo {
  return {
    user: {
      id: `u-${role}`,
      username: role,
      displayName,
      role,
      districtIds: null,
      workerId: null,
      disabled: false,
      demo: false,
      createdAt: T0 - 86_400_000,
      updatedAt: T0 - 86_400_000,
      lastLoginAt: T0,
    },
    permissions: [...ROLE_PERMISSIONS[role]],
    expiresAt: T0 + 8 * 3_600_000,
  };
}

/** A JSON response; `status` 204 gives an empty body. */
export function respond(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  if (status === 204) return new Response(null, { status });
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** An API error body as the server sends it. */
export function apiError(
  code: string,
  message: string,
): { error: { code: string; message: string; details: [] } } {
  return { error: { code, message, details: [] } };
}

/** An API refusal naming fields, as the server's error handler sends it. */
export function refusal(
  status: number,
  code: string,
  message: string,
  details: Array<{ path: string; message: string; reason?: string }>,
): Response {
  return respond({ error: { code, message, details } }, status);
}

/** One request the page made. */
export interface SeenRequest {
  method: string;
  path: string;
  /** Parsed JSON body; undefined when there was none. */
  body: unknown;
}

type Handler = (req: SeenRequest) => Response | Promise<Response>;

/**
 * Stands in for the server behind `fetch`: answers `"METHOD /path"` with its
 * handler (404 for anything else) and records every request. Undo with
 * `vi.unstubAllGlobals()`.
 */
export function stubApi(routes: Record<string, Handler>): SeenRequest[] {
  const seen: SeenRequest[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (path: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET';
      const body = typeof init.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
      const req = { method, path, body };
      seen.push(req);
      const handler = routes[`${method} ${path}`];
      return handler ? handler(req) : respond(apiError('not_found', `no route ${method} ${path}`), 404);
    }),
  );
  return seen;
}

/** A promise to settle by hand, for requests that must stay on their way during a test. */
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
