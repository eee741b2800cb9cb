import { vi } from 'vitest';
import type { Alert, Severity } from '@shared/schemas/alert.schema';
import { alert, T0 } from '../../../live.fixtures';
import { apiError, respond } from '../../../auth.fixtures';

export { alert, T0 };

const LEVELS: readonly Severity[] = ['blue', 'yellow', 'orange', 'red'];

/** `n` open alerts with levels in rotation and start times a minute apart (a0 oldest). */
export function manyAlerts(n: number, overrides: (i: number) => Partial<Alert> = () => ({})): Alert[] {
  return Array.from({ length: n }, (_, i) =>
    alert(`a${i}`, {
      severity: LEVELS[i % LEVELS.length],
      startsAt: T0 - (n - i) * 60_000,
      updatedAt: T0 - (n - i) * 60_000,
      subject: { type: 'sensor', id: `s${i}` },
      ...overrides(i),
    }),
  );
}

/** One request the page made, with its query split out. */
export interface Seen {
  method: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  body: unknown;
}

type Handler = (req: Seen) => Response | Promise<Response>;

/**
 * Stands in for the server behind `fetch`, answering `"METHOD /path"` (query ignored) with its
 * handler, 404 otherwise; records every request. Undo with `vi.unstubAllGlobals()`.
 */
export function stubRoutes(routes: Record<string, Handler>): Seen[] {
  const seen: Seen[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET';
      const [path = '', search = ''] = url.split('?');
      const body = typeof init.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
      const req = { method, path, query: new URLSearchParams(search), body };
      seen.push(req);
      const handler = routes[`${method} ${path}`];
      return handler ? handler(req) : respond(apiError('not_found', `no route ${method} ${path}`), 404);
    }),
  );
  return seen;
}
