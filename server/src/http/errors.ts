import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';
import type { ApiErrorBody, ApiErrorCode, ErrorDetail } from '@shared/schemas/errors.schema';
import { RequestError } from '../services/history.service';
import { markRefusal } from './refusalCounting';

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
  /** entity.too.large: the limit, bytes. */
  limit?: number;
}

/** Where JSON.parse gave up, without echoing the body back. */
function jsonProblem(parserMessage: string): string {
  const at = /at position (\d+)/.exec(parserMessage)?.[1];
  if (at !== undefined) return `not valid JSON at character ${at}`;
  return /end of (JSON )?input/i.test(parserMessage) ? 'the JSON ends too early' : 'not valid JSON';
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
      // A body (or path) refused as a whole: the detail names it with the empty path.
      const whole = (message: string): ErrorDetail[] => [{ path: '', message }];
      if (b?.type === 'entity.too.large')
        e = new ApiError(
          413,
          'payload_too_large',
          'request body is too large',
          whole(`the body is larger than ${b.limit ?? 'the limit'} bytes`),
        );
      else if (b?.type === 'entity.parse.failed')
        e = new ApiError(
          400,
          'malformed_json',
          'request body is not valid JSON',
          whole(jsonProblem(b.message)),
        );
      else if (typeof b?.status === 'number' && b.status >= 400 && b.status < 500) {
        const code = b.status === 415 ? 'unsupported_media_type' : 'invalid_request';
        e = new ApiError(b.status, code, b.message, whole(b.message));
      } else {
        log(err, req);
        e = new ApiError(500, 'internal', 'internal error');
      }
    }
    const body: ApiErrorBody = { error: { code: e.code, message: e.message, details: e.details } };
    markRefusal(res, e.code);
    res.status(e.status).set(e.headers).json(body);
  };
}

/**
 * Requests Node's HTTP parser refuses before Express sees them (headers over 16 KB, bytes
 * that are not HTTP) get the same JSON error body as every other refusal, and the
 * connection closes; `counted` hears each refusal. For the server's `clientError` event.
 */
export function clientErrorHandler(
  counted: (status: number, reason: ApiErrorCode) => void,
): (err: Error & { code?: string }, socket: Duplex) => void {
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, message] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'request line and headers are larger than 16 KB']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'HPE_REQUEST_TIMEOUT'
          ? [408, 'the request did not arrive in time']
          : [400, 'not a well-formed HTTP request'];
    const body: ApiErrorBody = {
      error: { code: 'invalid_request', message, details: [{ path: '', message }] },
    };
    const text = JSON.stringify(body);
    counted(status, 'invalid_request');
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
  };
}
