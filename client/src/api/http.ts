/** An HTTP call that did not return 2xx, or did not return JSON. */
export class HttpError extends Error {
  constructor(
    /** HTTP status; 0 when the request never got an answer. */
    readonly status: number,
    /** API error code from the body (`not_found`, …) or `network` / `bad_response`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

function errorCodeOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('error' in body)) return undefined;
  const error = (body as { error: unknown }).error;
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * GET a JSON resource of the CityOps API (same origin). The result is trusted
 * to match `T`: the server validates what it sends against the shared schemas.
 */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { headers: { accept: 'application/json' }, signal });
  } catch (err) {
    throw new HttpError(0, 'network', err instanceof Error ? err.message : String(err));
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new HttpError(res.status, 'bad_response', `${path}: response is not JSON`);
  }
  if (!res.ok)
    throw new HttpError(res.status, errorCodeOf(body) ?? 'internal', `${path}: HTTP ${res.status}`);
  return body as T;
}
