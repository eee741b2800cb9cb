import express, { Router, type ErrorRequestHandler, type RequestHandler, type Response } from 'express';
import type { ApiErrorCode } from '@shared/schemas/errors.schema';
import { z } from 'zod';
import { Open311Error } from '../domain/open311';
import { Open311KeyError, type Open311Service } from '../services/open311.service';
import { auditActor, auditOrigin, guard } from './auth';
import { ApiError, parseOr400 } from './errors';
import { markRefusal } from './refusalCounting';

/** Open311's error body: an array of `{ code, description }`, `code` being the HTTP status. */
type Open311ErrorBody = Array<{ code: number; description: string }>;

const errorBody = (code: number, description: string): Open311ErrorBody => [{ code, description }];

/** The API's error code of an Open311 refusal, for the refusal counters (Open311's body has none). */
const REASON_OF_STATUS: Record<number, ApiErrorCode> = {
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  500: 'internal',
};

/** Answer a refusal in Open311's format, counted under the API's code for its status. */
function refuse(res: Response, status: number, description: string): void {
  markRefusal(res, REASON_OF_STATUS[status] ?? 'invalid_request');
  res.status(status).json(errorBody(status, description));
}

/** body-parser's error types for a body that is too large or not valid. */
interface BodyParserError {
  type?: string;
  status?: number;
}

/**
 * Open311 GeoReport v2, mounted at `/open311/v2` outside `/api`: it speaks the spec's wire
 * format (snake_case, form-encoded or JSON bodies, `[{ code, description }]` errors) and JSON
 * only. Reading is public, as the spec intends (citizens follow their reports); submitting
 * takes an `api_key` issued by an administrator, checked by the service itself because the
 * key travels in the body, where no session guard looks (see ROUTE_ACCESS).
 */
export function open311Routes(deps: {
  open311: Open311Service;
  onError: (err: unknown, req: { method: string; url: string }) => void;
}): Router {
  const r = Router();
  const { open311 } = deps;
  // Bodies are parsed here (not app-wide) so that a malformed or oversized one gets Open311's error shape.
  r.use(express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 100 }));
  r.use(express.json({ limit: '64kb' }));

  r.get('/services.json', guard('GET /open311/v2/services.json'), (_req, res) => {
    res.json(open311.services());
  });

  r.get('/requests.json', guard('GET /open311/v2/requests.json'), async (req, res) => {
    res.json(await open311.search(req.query));
  });

  r.post('/requests.json', guard('POST /open311/v2/requests.json'), async (req, res) => {
    if (req.get('content-type') && !req.is(['urlencoded', 'json']))
      throw new Open311Error(415, 'send the fields as application/x-www-form-urlencoded or application/json');
    res.status(201).json([await open311.submit(req.body, auditOrigin(req))]);
  });

  r.get('/requests/:id.json', guard('GET /open311/v2/requests/:id.json'), async (req, res) => {
    res.json([await open311.find(String(req.params['id']))]);
  });

  const unknown: RequestHandler = (req, res) => {
    const json = /\.json$/.test(req.path);
    refuse(
      res,
      json ? 404 : 400,
      json
        ? `no route ${req.method} /open311/v2${req.path}`
        : `only the JSON format is served (…/services.json, …/requests.json); ${req.path} is not`,
    );
  };
  r.use(unknown);

  const errors: ErrorRequestHandler = (err: unknown, req, res, _next) => {
    if (err instanceof Open311Error) {
      refuse(res, err.status, err.message);
      return;
    }
    const b = err as BodyParserError | undefined;
    if (b?.type === 'entity.too.large') {
      refuse(res, 413, 'request body is larger than 64 KB');
      return;
    }
    if (b?.type === 'entity.parse.failed' || b?.type === 'parameters.too.many') {
      refuse(res, 400, 'request body is not valid form data or JSON');
      return;
    }
    if (typeof b?.status === 'number' && b.status >= 400 && b.status < 500) {
      refuse(res, b.status, 'request refused');
      return;
    }
    deps.onError(err, req);
    refuse(res, 500, 'internal error');
  };
  r.use(errors);
  return r;
}

/** Body of `POST /api/v1/open311/keys`. */
export const Open311KeyCreateSchema = z
  .object({
    /** Who the key is for, e.g. `12345 热线 App`. */
    name: z.string().trim().min(1).max(100),
  })
  .strict();

function keyError(err: unknown): never {
  if (err instanceof Open311KeyError)
    throw new ApiError(err.code === 'not_found' ? 404 : 409, err.code, err.message);
  throw err;
}

/** Open311 API keys under /api/v1 (open311:manage): list, issue (the secret shown once), revoke; audited. */
export function open311KeysRoutes(deps: { open311: Open311Service }): Router {
  const r = Router();
  const { open311 } = deps;

  r.get('/open311/keys', guard('GET /api/v1/open311/keys'), async (_req, res) => {
    const items = await open311.listKeys();
    res.json({ items, total: items.length });
  });

  r.post('/open311/keys', guard('POST /api/v1/open311/keys'), async (req, res) => {
    const body = parseOr400(Open311KeyCreateSchema, req.body ?? {}, 'body');
    res.status(201).json(await open311.issueKey(body.name, auditActor(res), auditOrigin(req)));
  });

  r.post('/open311/keys/:id/revoke', guard('POST /api/v1/open311/keys/:id/revoke'), async (req, res) => {
    try {
      res.json(await open311.revokeKey(String(req.params['id']), auditActor(res), auditOrigin(req)));
    } catch (err) {
      keyError(err);
    }
  });

  return r;
}
