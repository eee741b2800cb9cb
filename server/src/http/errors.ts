import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';
import type { ApiErrorBody, ApiErrorCode, ErrorDetail } from '@shared/schemas/errors.schema';
import { RequestError } from '../services/history.service';

/** An error the client caused (or a known server condition), with its HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function detailsFromZod(error: z.ZodError, prefix = ''): ErrorDetail[] {
  const pathOf = (...parts: PropertyKey[]) => [prefix, ...parts.map(String)].filter(Boolean).join('.');
  return error.issues.flatMap((i) =>
    // An unknown field is named by its own path, like every other offending field.
    i.code === 'unrecognized_keys'
      ? i.keys.map((key) => ({ path: pathOf(...i.path, key), message: `Unrecognized key: "${key}"` }))
      : [{ path: pathOf(...i.path), message: i.message }],
  );
}

/** Parse `input` with `schema` or throw a 400 naming every offending field. */
export function parseOr400<S extends z.ZodType>(schema: S, input: unknown, where: string): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new ApiError(400, 'invalid_request', `invalid ${where}`, detailsFromZod(r.error));
  return r.data;
}

export const notFound: RequestHandler = (req) => {
  throw new ApiError(404, 'not_found', `no route ${req.method} ${req.baseUrl}${req.path}`);
};

/** body-parser's error types for a body that is too large or not JSON. */
interface BodyParserError {
  type?: string;
  status?: number;
  message: string;
}

/** The last middleware: every error becomes `{ error: { code, message, details } }`, never a stack trace. */
export function errorHandler(
  log: (err: unknown, req: { method: string; url: string }) => void,
): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let e: ApiError;
    if (err instanceof ApiError) e = err;
    else if (err instanceof RequestError)
      e = new ApiError(err.code === 'not_found' ? 404 : 400, err.code, err.message, [
        { path: err.path, message: err.message },
      ]);
    else {
      const b = err as BodyParserError;
      if (b?.type === 'entity.too.large')
        e = new ApiError(413, 'payload_too_large', 'request body is too large');
      else if (b?.type === 'entity.parse.failed')
        e = new ApiError(400, 'malformed_json', 'request body is not valid JSON');
      else if (typeof b?.status === 'number' && b.status >= 400 && b.status < 500) {
        e = new ApiError(b.status, 'invalid_request', b.message);
      } else {
        log(err, req);
        e = new ApiError(500, 'internal', 'internal error');
      }
    }
    const body: ApiErrorBody = { error: { code: e.code, message: e.message, details: e.details } };
    res.status(e.status).set(e.headers).json(body);
  };
}
