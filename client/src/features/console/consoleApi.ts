import type { ErrorDetail } from '@shared/schemas/errors.schema';
import { HttpError } from '../../api/http';
import { zonedParts } from '../../format/time.format';
import { useAuthStore } from '../auth/auth.store';

/**
 * The console's calls with a body. `api/http.ts` covers GET and POST for the wall; the console also
 * PUTs and PATCHes, and shows *which field* the server refused (a refused command names its field
 * and reason, a refused rule every offending path), so it keeps the error's `details`.
 */

/** What the console shows of a failed call: the code, the server's words and every offending field. */
export interface ApiProblem {
  /** HTTP status; 0 when the server was not reached. */
  status: number;
  /** API error code (`invalid_request`, `conflict`…) or `network` / `bad_response`. */
  code: string;
  /** The server's own words; null when it sent none. */
  message: string | null;
  details: readonly ErrorDetail[];
  /** Seconds to wait before trying again (`Retry-After`); null when not said. */
  retryAfterS: number | null;
}

/** The answer of an action: its result, or why it was refused. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; problem: ApiProblem };

function detailsOf(body: unknown): ErrorDetail[] {
  const details = (body as { error?: { details?: unknown } } | null)?.error?.details;
  if (!Array.isArray(details)) return [];
  return details.filter(
    (d): d is ErrorDetail =>
      typeof d === 'object' && d !== null && typeof d.path === 'string' && typeof d.message === 'string',
  );
}

function retryAfterOf(res: Response): number | null {
  const value = res.headers.get('retry-after')?.trim();
  return value && /^\d+$/.test(value) ? Number(value) : null;
}

/**
 * Call the API with a JSON body (same origin: the session cookie goes along). Resolves with the
 * JSON answer (undefined for 204); rejects with an {@link HttpError} carrying the details. A 401
 * asks the auth store whether the session still holds, as every other call does.
 */
export async function callApi<T>(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers:
        body === undefined
          ? { accept: 'application/json' }
          : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new HttpError(0, 'network', err instanceof Error ? err.message : String(err));
  }
  if (res.status === 401) void useAuthStore().check();
  if (res.status === 204) return undefined as T;
  let json: unknown;
  try {
    json = await res.json();
  } catch {
    throw new HttpError(res.status, 'bad_response', `${path}: not JSON`, null, retryAfterOf(res));
  }
  if (!res.ok) {
    const error = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    throw new HttpError(
      res.status,
      typeof error?.code === 'string' ? error.code : 'internal',
      `${path}: HTTP ${res.status}`,
      typeof error?.message === 'string' && error.message !== '' ? error.message : null,
      retryAfterOf(res),
      detailsOf(json),
    );
  }
  return json as T;
}

/** The problem to show for a failed call (any error: an API refusal, the network, a bug). */
export function problemOf(err: unknown): ApiProblem {
  if (err instanceof HttpError)
    return {
      status: err.status,
      code: err.code,
      message: err.serverMessage,
      details: err.details,
      retryAfterS: err.retryAfterS,
    };
  return {
    status: 0,
    code: 'internal',
    message: err instanceof Error ? err.message : String(err),
    details: [],
    retryAfterS: null,
  };
}

/** Call and fold the answer into an {@link Outcome}: actions never reject. */
export async function attempt<T>(call: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (err) {
    return { ok: false, problem: problemOf(err) };
  }
}

/** `YYYY-MM-DD HH:mm:ss` in Asia/Shanghai, whatever the zone of the operator's PC. */
export function formatDateTime(epochMs: number): string {
  const p = zonedParts(epochMs);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}
