import type { RequestHandler, Response } from 'express';
import type { ApiErrorCode } from '@shared/schemas/errors.schema';
import { UNMATCHED_ROUTE, type HttpRefusalCounters } from '../services/httpRefusals';
import { ROUTE_ACCESS } from './routeAccess';

/** Record why a response refuses (the error body's code), for the refusal counters. */
export function markRefusal(res: Response, reason: ApiErrorCode): void {
  res.locals['refusal'] = reason;
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** ROUTE_ACCESS keys as matchers of a method and path (Express's `:param` = one path segment). */
const ROUTES = Object.keys(ROUTE_ACCESS).map((key) => {
  const [method, path] = key.split(' ') as [string, string];
  const source = path
    .split(/(:[A-Za-z]\w*)/)
    .map((part) => (part.startsWith(':') ? '[^/]+' : escape(part)))
    .join('');
  return { key, method, pattern: new RegExp(`^${source}/?$`, 'i') };
});

/** The ROUTE_ACCESS key a request addressed, or `unmatched`. */
export function routeKeyOf(method: string, url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const m = method === 'HEAD' ? 'GET' : method;
  return ROUTES.find((r) => r.method === m && r.pattern.test(path))?.key ?? UNMATCHED_ROUTE;
}

/**
 * The first middleware: when a response goes out with a 4xx or 5xx status, count it by status,
 * reason (set with `markRefusal` where the error body is written; `http_<status>` otherwise) and
 * the route it addressed. Answered requests only: a client that hung up is not a refusal.
 */
export function countRefusals(counters: HttpRefusalCounters): RequestHandler {
  return (req, res, next) => {
    res.once('finish', () => {
      if (res.statusCode < 400) return;
      const reason = (res.locals['refusal'] as string | undefined) ?? `http_${res.statusCode}`;
      counters.count(routeKeyOf(req.method, req.originalUrl), res.statusCode, reason);
    });
    next();
  };
}
