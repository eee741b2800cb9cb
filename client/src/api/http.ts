import type { ErrorDetail } from '@shared/schemas/errors.schema';

/** An HTTP call that did not return 2xx, or did not return JSON. */
export class HttpError extends Error {
  constructor(
    /** HTTP status; 0 when the request never got an answer. */
    readonly status: number,
    /** API error code from the body (`not_found`, …) or `network` / `bad_response`. */
    readonly code: string,
    message: string,
    /** The server's own words for the refusal (`error.message` of the body); null when it sent none. */
    readonly serverMessage: string | null = null,
    /** Seconds the server asked us to wait before trying again (`Retry-After`); null when it did not say. */
    readonly retryAfterS: number | null = null,
    /** The offending fields the server named (`error.details`: path and message each); empty when none. */
    readonly details: readonly ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Options of one API call. */
export interface RequestOptions {
  signal?: AbortSignal;
  /**
   * A 401 is this call's own answer (wrong password, nobody signed in) rather
   * than news that the session ended: the unauthorized handler is not called.
   */
  authCall?: boolean;
}

let unauthorizedHandler: (() => void) | null = null;

/**
 * Call `handler` whenever an API call answers 401: the session expired or was
 * revoked. `main.ts` points it at the auth store's `check()`. Null removes it.
 */
export function onUnauthorized(handler: (() => void) | null): void {
  unauthorizedHandler = handler;
}

function detailsOf(value: unknown): ErrorDetail[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((d: unknown) => {
    if (typeof d !== 'object' || d === null) return [];
    const { path, message, reason } = d as { path?: unknown; message?: unknown; reason?: unknown };
    if (typeof path !== 'string' || typeof message !== 'string') return [];
    return [{ path, message, ...(typeof reason === 'string' && { reason }) }];
  });
}

function apiErrorOf(body: unknown): { code?: string; message?: string; details: ErrorDetail[] } {
  if (typeof body !== 'object' || body === null || !('error' in body)) return { details: [] };
  const error = (body as { error: unknown }).error;
  if (typeof error !== 'object' || error === null) return { details: [] };
  const { code, message, details } = error as { code?: unknown; message?: unknown; details?: unknown };
  return {
    code: typeof code === 'string' ? code : undefined,
    message: typeof message === 'string' && message !== '' ? message : undefined,
    details: detailsOf(details),
  };
}

/** `Retry-After` is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfterOf(res: Response): number | null {
  const value = res.headers.get('retry-after')?.trim();
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

async function request<T>(path: string, init: RequestInit, options: RequestOptions): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { ...init, signal: options.signal });
  } catch (err) {
    throw new HttpError(0, 'network', err instanceof Error ? err.message : String(err));
  }
  if (res.status === 401 && !options.authCall) unauthorizedHandler?.();
  if (res.status === 204) return undefined as T;
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new HttpError(res.status, 'bad_response', `${path}: response is not JSON`, null, retryAfterOf(res));
  }
  if (!res.ok) {
    const error = apiErrorOf(body);
    throw new HttpError(
      res.status,
      error.code ?? 'internal',
      `${path}: HTTP ${res.status}`,
      error.message ?? null,
      retryAfterOf(res),
      error.details,
    );
  }
  return body as T;
}

/**
 * GET a JSON resource of the CityOps API (same origin, so the session cookie
 * goes along). The result is trusted to match `T`: the server validates what
 * it sends against the shared schemas.
 */
export function getJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
  return request<T>(path, { headers: { accept: 'application/json' } }, options);
}

/** POST `body` as JSON; resolves with the JSON answer, or undefined for 204 No Content. */
export function postJson<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
  return request<T>(
    path,
    {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    },
    options,
  );
}
