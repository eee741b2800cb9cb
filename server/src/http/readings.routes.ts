import express, { Router } from 'express';
import { z } from 'zod';
import type { ApiErrorCode, ErrorDetail } from '@shared/schemas/errors.schema';
import { HistoryQuerySchema } from '@shared/schemas/reading.schema';
import { SensorKindSchema } from '@shared/schemas/sensor.schema';
import type { CatalogService } from '../services/catalog.service';
import type { HistoryService } from '../services/history.service';
import type { IngestService, PayloadRejection } from '../services/ingest.service';
import type { LatestValues } from '../services/latest.service';
import { StoreWriteError } from '../services/ports';
import { districtListed, reachesCell, reachesSensor } from '../domain/access';
import { deviceOf, guard, principalOf, requirePrincipal } from './auth';
import { reachOf } from '../services/reach';
import type { TokenBuckets } from '../services/tokenBucket';
import type { DeviceCredentialService } from '../services/devices.service';
import { ApiError, parseOr400 } from './errors';
import { DistrictIdSchema, GridCellIdSchema } from '@shared/schemas/common.schema';

export const LatestQuerySchema = z
  .object({
    /** Comma-separated sensor ids. */
    sensorId: z.string().max(20_000).optional(),
    kind: SensorKindSchema.optional(),
    districtId: DistrictIdSchema.optional(),
    gridCellId: GridCellIdSchema.optional(),
  })
  .strict();

/** How a refusal of the whole body maps to HTTP. */
const PAYLOAD_ERRORS: Record<string, { status: number; code: ApiErrorCode }> = {
  payload_too_large: { status: 413, code: 'payload_too_large' },
  batch_too_large: { status: 413, code: 'payload_too_large' },
  malformed_json: { status: 400, code: 'malformed_json' },
  unsupported_media_type: { status: 415, code: 'unsupported_media_type' },
  invalid_shape: { status: 400, code: 'invalid_request' },
  overloaded: { status: 503, code: 'overloaded' },
  rate_limited: { status: 429, code: 'overloaded' },
};

export interface ReadingsRouteDeps {
  /** Per-client limit of ingest requests (key: device credential, user, or address). */
  limiter: TokenBuckets;
  ingest: IngestService;
  devices: DeviceCredentialService;
  history: HistoryService;
  latest: LatestValues;
  catalog: CatalogService;
  maxPayloadBytes: number;
  /** Ingest requests in progress at once (all clients); more are refused with 503 before their body is read. */
  maxConcurrent: number;
}

/** The HTTP error for a payload the ingest service refused as a whole. */
function payloadError({ reason, message, retryAfterSec }: PayloadRejection): ApiError {
  const { status, code } = PAYLOAD_ERRORS[reason] ?? { status: 400, code: 'invalid_request' };
  const path = reason === 'invalid_shape' || reason === 'batch_too_large' ? 'readings' : '';
  const headers: Record<string, string> =
    retryAfterSec !== undefined ? { 'Retry-After': String(retryAfterSec) } : {};
  return new ApiError(status, code, message, [{ path, message, reason }], headers);
}

export function readingsRoutes(deps: ReadingsRouteDeps): Router {
  const r = Router();
  let inProgress = 0;

  // The body is read raw so that HTTP and MQTT share one parser, one set of
  // reasons and one set of counters. The raw limit sits above the ingest limit
  // so that the ingest service sees a moderately oversize body whole; one far
  // over it is not read to the end, but is still refused and counted by ingest.
  const readBody = express.raw({ type: () => true, limit: deps.maxPayloadBytes * 2 });
  r.post(
    '/readings',
    guard('POST /api/v1/readings', deps.devices),
    (req, res, next) => {
      const client = deviceOf(res)?.credentialId ?? principalOf(res)?.user.id ?? req.ip ?? 'unknown';
      const wait = deps.limiter.take(client);
      if (wait > 0) next(payloadError(deps.ingest.refuseRateLimited('http', wait).payload));
      else next();
    },
    // Admission: past `maxConcurrent` requests in progress the node is overloaded; refusing
    // before reading the body costs next to nothing, so the requests it does take keep their pace.
    (_req, res, next) => {
      if (inProgress >= deps.maxConcurrent) {
        next(payloadError(deps.ingest.refuseOverloaded('http', `${inProgress} ingest requests in progress`)));
        return;
      }
      inProgress += 1;
      let done = false;
      const release = () => {
        if (!done) inProgress -= 1;
        done = true;
      };
      res.once('finish', release);
      res.once('close', release);
      next();
    },
    (req, _res, next) => {
      if (!req.is('application/json')) {
        next(payloadError(deps.ingest.refuseContentType('http', req.get('content-type')).payload));
      } else next();
    },
    (req, res, next) => {
      readBody(req, res, (err?: unknown) => {
        const bodyErr = err as { type?: string; length?: number; status?: number } | undefined;
        const encoding = req.get('content-encoding');
        if (bodyErr?.type === 'entity.too.large') {
          next(payloadError(deps.ingest.refuseOversize('http', bodyErr.length).payload));
        } else if (bodyErr?.type === 'encoding.unsupported') {
          next(payloadError(deps.ingest.refuseUndecodable('http', encoding, 'unsupported').payload));
        } else if (bodyErr?.status !== undefined && bodyErr.status >= 400 && bodyErr.status < 500) {
          // Corrupt gzip/deflate/br data (or a body cut short): refused and counted like any unreadable payload.
          next(payloadError(deps.ingest.refuseUndecodable('http', encoding, 'corrupt').payload));
        } else next(err);
      });
    },
    async (req, res) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      let outcome;
      try {
        outcome = await deps.ingest.ingestHttpBody(body, { device: deviceOf(res) ?? undefined });
      } catch (err) {
        if (err instanceof StoreWriteError) {
          const details = [{ path: '', message: err.message, reason: 'store_unavailable' as const }];
          throw new ApiError(503, 'unavailable', `readings not stored (${err.code}); retry`, details, {
            'Retry-After': String(err.retryAfterSec),
          });
        }
        throw err;
      }
      if (outcome.payload) throw payloadError(outcome.payload);
      if (outcome.accepted === 0) {
        const details: ErrorDetail[] = outcome.rejected.map((x) => ({
          path: ['readings', String(x.index), x.path].filter(Boolean).join('.'),
          message: x.message,
          reason: x.reason,
        }));
        throw new ApiError(422, 'invalid_request', 'no reading was accepted', details);
      }
      res
        .status(200)
        .json({ accepted: outcome.accepted, duplicates: outcome.duplicates, rejected: outcome.rejected });
    },
  );

  r.get('/readings/latest', guard('GET /api/v1/readings/latest'), (req, res) => {
    const q = parseOr400(LatestQuerySchema, req.query, 'query');
    const reach = reachOf(requirePrincipal(res), deps.catalog);
    let ids: string[];
    if (q.sensorId) {
      ids = q.sensorId.split(',').filter(Boolean);
      const hidden = ids.find((id) => {
        const s = deps.catalog.sensor(id);
        return s !== undefined && !reachesSensor(reach, s);
      });
      if (hidden) throw new ApiError(403, 'forbidden', `sensor ${hidden} is outside your assigned area`);
    } else {
      const cellDistrict = (cellId: string) => deps.catalog.gridCell(cellId)?.districtId;
      if (q.districtId && !districtListed(reach, q.districtId, cellDistrict)) {
        throw new ApiError(403, 'forbidden', `district ${q.districtId} is outside your assigned area`);
      }
      const cell = q.gridCellId ? deps.catalog.gridCell(q.gridCellId) : undefined;
      if (cell && !reachesCell(reach, cell)) {
        throw new ApiError(403, 'forbidden', `grid cell ${cell.id} is outside your assigned area`);
      }
      ids = deps.catalog
        .listSensors({ kind: q.kind, districtId: q.districtId, gridCellId: q.gridCellId })
        .filter((s) => reachesSensor(reach, s))
        .map((s) => s.id);
    }
    const items = deps.latest.forSensors(ids);
    res.json({ items, total: items.length });
  });

  r.get('/sensors/:id/history', guard('GET /api/v1/sensors/:id/history'), async (req, res) => {
    const q = parseOr400(HistoryQuerySchema, req.query, 'query');
    const sensor = deps.catalog.sensor(String(req.params['id']));
    if (sensor && !reachesSensor(reachOf(requirePrincipal(res), deps.catalog), sensor)) {
      throw new ApiError(403, 'forbidden', `sensor ${sensor.id} is outside your assigned area`);
    }
    res.json(await deps.history.history(String(req.params['id']), q));
  });

  return r;
}
