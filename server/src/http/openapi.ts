import { HttpRefusalsSchema } from '@shared/schemas/httpRefusals.schema';
import { ClusterStatusSchema } from '@shared/schemas/cluster.schema';
import { z } from 'zod';
import { AuditPageSchema, AuditQuerySchema } from '@shared/schemas/audit.schema';
import {
  DeviceCredentialCreateSchema,
  DeviceCredentialSchema,
  IssuedDeviceCredentialSchema,
} from '@shared/schemas/device.schema';
import {
  LoginRequestSchema,
  SessionInfoSchema,
  UserCreateSchema,
  UserSchema,
  UserUpdateSchema,
} from '@shared/schemas/auth.schema';
import { CityPackMetaSchema, RoadSchema } from '@shared/schemas/cityPack.schema';
import { ClientConfigSchema } from '@shared/schemas/clientConfig.schema';
import { pageOf } from '@shared/schemas/common.schema';
import { ApiErrorBodySchema } from '@shared/schemas/errors.schema';
import { DistrictSchema, GridCellSchema } from '@shared/schemas/geo.schema';
import { IngestResultSchema, IngestStatsSchema } from '@shared/schemas/ingest.schema';
import {
  HistoryQuerySchema,
  HistoryResponseSchema,
  LatestReadingSchema,
  MAX_READINGS_PER_BATCH,
  ReadingSchema,
} from '@shared/schemas/reading.schema';
import { SensorSchema } from '@shared/schemas/sensor.schema';
import { RosterWorkerSchema } from '@shared/schemas/worker.schema';
import { CityVitalsSchema, VitalsQuerySchema } from '@shared/schemas/vitals.schema';
import {
  AlertCommentSchema,
  AlertDetailSchema,
  AlertLinkWorkOrderSchema,
  AlertQuerySchema,
  AlertSchema,
  AlertStatsQuerySchema,
  AlertStatsResponseSchema,
} from '@shared/schemas/alert.schema';
import {
  RuleBacktestBodySchema,
  RuleBacktestResultSchema,
  RuleCreateBodySchema,
  RuleDeleteQuerySchema,
  RuleKindInfoSchema,
  RulePatchBodySchema,
  RuleSchema,
  RuleUpdateBodySchema,
} from '@shared/schemas/rule.schema';
import { IncidentDetailSchema, IncidentQuerySchema, IncidentSchema } from '@shared/schemas/incident.schema';
import {
  InhibitionDraftSchema,
  InhibitionSchema,
  SilenceDraftSchema,
  SilenceQuerySchema,
  SilenceSchema,
} from '@shared/schemas/silence.schema';
import {
  DispatchFromSchema,
  DispatchSuggestionSchema,
  KpiQuerySchema,
  KpiResponseSchema,
  PhotoSchema,
  PositionReportSchema,
  WorkerPositionSchema,
  WorkOrderCommandSchemas,
  WorkOrderCreateSchema,
  WorkOrderDetailSchema,
  WorkOrderPolicySchema,
  WorkOrderQuerySchema,
  WorkOrderSchema,
  type WorkOrderCommandName,
} from '@shared/schemas/workOrder.schema';
import {
  GeoReportServiceSchema,
  IssuedOpen311KeySchema,
  Open311CreatedSchema,
  Open311KeySchema,
  Open311SearchSchema,
  Open311ServiceRequestSchema,
  Open311SubmitSchema,
} from '@shared/schemas/open311.schema';
import { GridCellListQuerySchema, SensorListQuerySchema } from './catalog.routes';
import { Open311KeyCreateSchema } from './open311.routes';
import { LatestQuerySchema } from './readings.routes';
import { ROUTE_ACCESS, type RouteKey } from './routeAccess';
import { PhotoQuerySchema, SuggestQuerySchema } from './workOrders.routes';

type JsonSchema = Record<string, unknown>;

const schema = (s: z.ZodType, io: 'input' | 'output' = 'output'): JsonSchema =>
  z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'openapi-3.0' }) as JsonSchema;

const json = (s: z.ZodType, description: string, io: 'input' | 'output' = 'output') => ({
  description,
  content: { 'application/json': { schema: schema(s, io) } },
});

const errorResponse = (description: string) => json(ApiErrorBodySchema, description);

/** Query parameters of an endpoint, from the same zod object the route parses with. */
function queryParams(s: z.ZodObject): JsonSchema[] {
  const js = schema(s, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, p]) => ({
    name,
    in: 'query',
    required: js.required?.includes(name) ?? false,
    schema: p,
    ...(typeof p['description'] === 'string' ? { description: p['description'] } : {}),
  }));
}

const idParam = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description,
});

const PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
const binary = (description: string) => ({
  description,
  content: Object.fromEntries(PHOTO_TYPES.map((t) => [t, { schema: { type: 'string', format: 'binary' } }])),
});

/** What each state-machine command of `POST /api/v1/work-orders/{id}/{action}` does. */
const COMMAND_SUMMARIES: Record<WorkOrderCommandName, string> = {
  dispatch: '派遣 — dispatch a registered or returned case to a grid worker',
  reassign: '改派 — hand a case to another grid worker, with a reason',
  accept: '接单 — the assigned worker takes the case',
  return: '退回 — the assigned worker says the case is not theirs',
  checkIn: '签到 — the assigned worker checks in on site by QR code or proximity',
  report: '反馈 — report the case handled, with photos',
  verify: '核实 — pass (结案 closed) or fail (返工 back to handling) a reported case',
  evaluate: '评价 — rate a closed case 1–5',
  escalate: '转办 — hand a case to a department',
  cancel: '作废 — cancel a case (false alarm, duplicate, not a case)',
  note: '备注 — add a note to the timeline',
};

/** The work-order commands, one path each, with the permission from the access table. */
function workOrderCommandPaths(): Record<string, JsonSchema> {
  return Object.fromEntries(
    (Object.keys(WorkOrderCommandSchemas) as WorkOrderCommandName[]).map((name) => {
      const need = ROUTE_ACCESS[`POST /api/v1/work-orders/:id/${name}` as RouteKey];
      return [
        `/api/v1/work-orders/{id}/${name}`,
        {
          post: {
            summary: `${COMMAND_SUMMARIES[name]} (${need}); audited, pushed live`,
            parameters: [idParam('id', 'work order id')],
            requestBody: {
              required: true,
              ...json(
                WorkOrderCommandSchemas[name],
                'the command; expectedVersion, actionId (idempotency) and doneAt (offline) are optional',
                'input',
              ),
            },
            responses: {
              '200': json(WorkOrderSchema, 'the case after the command'),
              '400': errorResponse('invalid command; details name each field and the reason'),
              '403': errorResponse('not allowed, or not your case'),
              '404': errorResponse('no such work order in your area'),
              '409': errorResponse('the case is not in a state that takes this command, or changed since'),
            },
          },
        },
      ];
    }),
  );
}

/**
 * The OpenAPI 3 document of the HTTP API, generated from the zod schemas that
 * the routes parse with, so the two cannot drift apart.
 */

/** `POST /api/v1/{alerts|incidents}/{id}/dispatch`: one action from an alert or incident to a dispatched case. */
function dispatchFromPath(zh: string, what: string, kind: 'alert' | 'incident', conflict: string) {
  return {
    post: {
      summary: `${zh} — register a case for ${what} and dispatch it in one action; without assigneeId to the best-ranked worker (workOrders:dispatch); audited`,
      parameters: [idParam('id', `${kind} id`)],
      requestBody: {
        required: false,
        ...json(DispatchFromSchema, 'worker, category, urgency, note', 'input'),
      },
      responses: {
        '201': json(WorkOrderSchema, 'the case, dispatched (or registered and waiting when no worker fits)'),
        '400': errorResponse('invalid body, or no such worker'),
        '403': errorResponse('the worker is outside your area'),
        '404': errorResponse(`no such ${kind} in your area`),
        '409': errorResponse(conflict),
      },
    },
  };
}

export function buildOpenApi(version: string): JsonSchema {
  const readingsBody = z.object({ readings: z.array(ReadingSchema).min(1).max(MAX_READINGS_PER_BATCH) });
  return {
    openapi: '3.0.3',
    info: {
      title: 'CityOps API',
      version,
      description:
        'City operations (一网统管) platform. Wire format v1. Times are epoch milliseconds (UTC) or ISO-8601 with offset. ' +
        'Errors are `{ error: { code, message, details[] } }`.',
    },
    paths: {
      '/api/health': {
        get: {
          summary: 'Liveness and readiness (broker, store)',
          responses: { '200': { description: 'ready' }, '503': { description: 'not ready: a check failed' } },
        },
      },
      '/api/openapi.json': {
        get: {
          summary: 'This document (OpenAPI 3)',
          responses: { '200': { description: 'the OpenAPI document' } },
        },
      },
      '/api/v1/city': {
        get: {
          summary: 'City pack metadata',
          responses: { '200': json(CityPackMetaSchema, 'the loaded city pack') },
        },
      },
      '/api/v1/districts': {
        get: {
          summary: 'Districts (区)',
          responses: { '200': json(pageOf(DistrictSchema), 'all districts') },
        },
      },
      '/api/v1/districts/{id}': {
        get: {
          summary: 'One district',
          parameters: [idParam('id', '6-digit administrative code')],
          responses: {
            '200': json(DistrictSchema, 'the district'),
            '404': errorResponse('no such district'),
          },
        },
      },
      '/api/v1/grid-cells': {
        get: {
          summary: 'Unit grid cells (单元网格)',
          parameters: queryParams(GridCellListQuerySchema),
          responses: {
            '200': json(pageOf(GridCellSchema), 'a page of cells'),
            '400': errorResponse('bad query'),
          },
        },
      },
      '/api/v1/grid-cells/{id}': {
        get: {
          summary: 'One grid cell',
          parameters: [idParam('id', '15-digit hierarchical code')],
          responses: { '200': json(GridCellSchema, 'the cell'), '404': errorResponse('no such cell') },
        },
      },
      '/api/v1/roads': {
        get: {
          summary: 'Roads of the city pack (polylines by class), for the map',
          responses: { '200': json(pageOf(RoadSchema), 'all roads') },
        },
      },
      '/api/v1/client-config': {
        get: {
          summary:
            'What the dashboard needs to know about the deployment: the map engine (maplibre offline, or mapbox with its token and style)',
          responses: { '200': json(ClientConfigSchema, 'the client configuration') },
        },
      },
      '/api/v1/sensors': {
        get: {
          summary: 'Sensors',
          parameters: queryParams(SensorListQuerySchema),
          responses: {
            '200': json(pageOf(SensorSchema), 'a page of sensors'),
            '400': errorResponse('bad query'),
          },
        },
      },
      '/api/v1/sensors/{id}': {
        get: {
          summary: 'One sensor',
          parameters: [idParam('id', 'sensor id')],
          responses: { '200': json(SensorSchema, 'the sensor'), '404': errorResponse('no such sensor') },
        },
      },
      '/api/v1/sensors/{id}/history': {
        get: {
          summary: 'History of one metric: raw points or min/avg/max buckets, downsampled to maxPoints',
          parameters: [idParam('id', 'sensor id'), ...queryParams(HistoryQuerySchema)],
          responses: {
            '200': json(HistoryResponseSchema, 'the series'),
            '400': errorResponse('bad query'),
            '404': errorResponse('no such sensor'),
          },
        },
      },
      '/api/v1/readings': {
        post: {
          summary: `Ingest up to ${MAX_READINGS_PER_BATCH} readings with a device key (X-Device-Key: <id>.<secret>) or a session with readings:write; accepted readings are durable when the response is sent`,
          requestBody: { required: true, ...json(readingsBody, 'a batch of readings', 'input') },
          responses: {
            '200': json(
              IngestResultSchema,
              'some or all readings accepted; rejected ones listed with index and reason',
            ),
            '400': errorResponse('malformed JSON or wrong body shape'),
            '413': errorResponse('body or batch too large'),
            '415': errorResponse('not application/json'),
            '422': errorResponse('no reading accepted; details name each one'),
            '503': errorResponse('overloaded or store unavailable; retry after Retry-After seconds'),
          },
        },
      },
      '/api/v1/readings/latest': {
        get: {
          summary: 'Latest values per sensor',
          parameters: queryParams(LatestQuerySchema),
          responses: {
            '200': json(pageOf(LatestReadingSchema), 'latest values'),
            '400': errorResponse('bad query'),
          },
        },
      },
      '/api/v1/vitals': {
        get: {
          summary:
            "城市体征 — the wall's vital signs (sensors online, readings/s, open alerts and cases, TPI and the most congested roads, AQI per district, grid events, 24-hour alert timeline, TPI/AQI trend) of the city, or of a district you reach; a district-limited caller gets their first district by default (sensors:read)",
          parameters: queryParams(VitalsQuerySchema),
          responses: {
            '200': json(CityVitalsSchema, 'the newest vitals, with the trend'),
            '400': errorResponse('bad query'),
            '403': errorResponse('not allowed, or a district outside your assigned area'),
            '404': errorResponse(
              'no such district, or your area is grid cells (vitals are kept per city and district)',
            ),
            '503': errorResponse('not computed yet'),
          },
        },
      },
      '/api/v1/auth/login': {
        post: {
          summary:
            'Sign in: sets the httpOnly session cookie (SameSite=Lax); throttled per address, locks after repeated failures',
          requestBody: { required: true, ...json(LoginRequestSchema, 'username and password', 'input') },
          responses: {
            '200': json(SessionInfoSchema, 'signed in'),
            '401': errorResponse('wrong username or password'),
            '423': errorResponse('account locked; Retry-After says for how long'),
            '429': errorResponse('too many attempts from this address'),
          },
        },
      },
      '/api/v1/auth/logout': {
        post: {
          summary: 'Sign out: ends this session',
          responses: { '204': { description: 'signed out' }, '401': errorResponse('not signed in') },
        },
      },
      '/api/v1/auth/me': {
        get: {
          summary: 'The signed-in user and their permissions',
          responses: { '200': json(SessionInfoSchema, 'the session'), '401': errorResponse('not signed in') },
        },
      },
      '/api/v1/users': {
        get: {
          summary: 'Users (users:read)',
          responses: { '200': json(pageOf(UserSchema), 'all users'), '403': errorResponse('not allowed') },
        },
        post: {
          summary: 'Create a user (users:manage)',
          requestBody: { required: true, ...json(UserCreateSchema, 'the new user', 'input') },
          responses: {
            '201': json(UserSchema, 'created'),
            '409': errorResponse('username taken'),
            '403': errorResponse('not allowed'),
          },
        },
      },
      '/api/v1/users/{id}': {
        patch: {
          summary:
            'Change a user (users:manage); a new role, area, password or a disable ends their sessions',
          parameters: [idParam('id', 'user id')],
          requestBody: { required: true, ...json(UserUpdateSchema, 'fields to change', 'input') },
          responses: {
            '200': json(UserSchema, 'changed'),
            '404': errorResponse('no such user'),
            '403': errorResponse('not allowed'),
          },
        },
      },
      '/api/v1/users/{id}/revoke-sessions': {
        post: {
          summary: 'End every session of a user at once (users:manage); their live sockets disconnect',
          parameters: [idParam('id', 'user id')],
          responses: {
            '200': { description: '{ revoked: number }' },
            '404': errorResponse('no such user'),
            '403': errorResponse('not allowed'),
          },
        },
      },
      '/api/v1/workers': {
        get: {
          summary: 'Grid workers in your area; personal fields masked by your role (workers:read)',
          responses: {
            '200': json(pageOf(RosterWorkerSchema), 'the roster, masked for your role'),
            '403': errorResponse('not allowed'),
          },
        },
      },
      '/api/v1/audit': {
        get: {
          summary: 'The hash-chained audit log, newest first (audit:read)',
          parameters: queryParams(AuditQuerySchema),
          responses: {
            '200': json(AuditPageSchema, 'a page of entries'),
            '403': errorResponse('not allowed'),
          },
        },
      },
      '/api/v1/devices': {
        get: {
          summary: 'Device credentials, never their secrets (devices:read)',
          responses: {
            '200': json(pageOf(DeviceCredentialSchema), 'all credentials'),
            '403': errorResponse('not allowed'),
          },
        },
        post: {
          summary:
            'Issue a credential for a sensor or gateway (devices:manage); the secret is in this response only',
          requestBody: {
            required: true,
            ...json(DeviceCredentialCreateSchema, 'what the credential is for', 'input'),
          },
          responses: {
            '201': json(IssuedDeviceCredentialSchema, 'issued'),
            '409': errorResponse('the device already has a live credential'),
            '403': errorResponse('not allowed'),
          },
        },
      },
      '/api/v1/devices/{id}/rotate': {
        post: {
          summary: 'New secret; the old one and its connections stop at once (devices:manage)',
          parameters: [idParam('id', 'credential id')],
          responses: {
            '200': json(IssuedDeviceCredentialSchema, 'rotated'),
            '404': errorResponse('no such credential'),
            '403': errorResponse('not allowed'),
          },
        },
      },
      '/api/v1/devices/{id}/revoke': {
        post: {
          summary: 'Revoke; its connections are dropped at once (devices:manage)',
          parameters: [idParam('id', 'credential id')],
          responses: {
            '200': json(DeviceCredentialSchema, 'revoked'),
            '404': errorResponse('no such credential'),
            '403': errorResponse('not allowed'),
          },
        },
      },
      '/api/v1/open311/keys': {
        get: {
          summary: 'Open311 API keys, never their secrets (open311:manage)',
          responses: {
            '200': json(pageOf(Open311KeySchema), 'all keys, revoked ones too'),
            '403': errorResponse('not allowed'),
          },
        },
        post: {
          summary:
            'Issue an Open311 API key to a client app (open311:manage); the secret is in this response only',
          requestBody: { required: true, ...json(Open311KeyCreateSchema, 'who the key is for', 'input') },
          responses: {
            '201': json(IssuedOpen311KeySchema, 'issued'),
            '400': errorResponse('invalid name'),
            '403': errorResponse('not allowed'),
          },
        },
      },
      '/api/v1/open311/keys/{id}/revoke': {
        post: {
          summary: 'Revoke an Open311 API key; requests with it get 403 from now on (open311:manage)',
          parameters: [idParam('id', 'key id')],
          responses: {
            '200': json(Open311KeySchema, 'revoked'),
            '404': errorResponse('no such key'),
            '409': errorResponse('already revoked'),
            '403': errorResponse('not allowed'),
          },
        },
      },
      // Open311 GeoReport v2 (docs/OPEN311.md): JSON only; its errors are Open311's own array
      // `[{ code, description }]`, described in words here because they are not our error body.
      '/open311/v2/services.json': {
        get: {
          summary: 'Open311: the services citizens can report under (the case categories)',
          responses: { '200': json(z.array(GeoReportServiceSchema), 'every service') },
        },
      },
      '/open311/v2/requests.json': {
        get: {
          summary:
            "Open311: citizens' requests, newest first, at most 1000; the last 90 days unless start_date/end_date say otherwise (at most 90 days)",
          parameters: queryParams(Open311SearchSchema),
          responses: {
            '200': json(z.array(Open311ServiceRequestSchema), 'matching requests'),
            '400': {
              description:
                'Open311 error [{ code: 400, description }]: a bad parameter or a range over 90 days',
            },
          },
        },
        post: {
          summary:
            'Open311: report a problem; it becomes a case (案卷) at once, its id is the service_request_id',
          requestBody: {
            required: true,
            description:
              'application/x-www-form-urlencoded (or application/json); api_key is required, lat/long too (no geocoder offline)',
            content: {
              'application/x-www-form-urlencoded': {
                schema: schema(Open311SubmitSchema.extend({ api_key: z.string() }), 'input'),
              },
              'application/json': {
                schema: schema(Open311SubmitSchema.extend({ api_key: z.string() }), 'input'),
              },
            },
          },
          responses: {
            '201': json(z.array(Open311CreatedSchema), 'created: one element'),
            '400': {
              description:
                'Open311 error [{ code: 400, description }] naming the field: api_key or service_code missing, unknown service_code, lat/long missing or outside the city, description over 4000 characters',
            },
            '403': { description: 'Open311 error [{ code: 403, description }]: api_key unknown or revoked' },
            '413': { description: 'Open311 error [{ code: 413, description }]: body over 64 KB' },
            '415': {
              description: 'Open311 error [{ code: 415, description }]: neither form-encoded nor JSON',
            },
          },
        },
      },
      '/open311/v2/requests/{id}.json': {
        get: {
          summary: "Open311: one citizen's request",
          parameters: [idParam('id', 'service_request_id (the work order id)')],
          responses: {
            '200': json(z.array(Open311ServiceRequestSchema), 'an array holding the request'),
            '404': {
              description: 'Open311 error [{ code: 404, description }]: unknown, or not a citizen report',
            },
          },
        },
      },
      '/api/v1/alerts': {
        get: {
          summary: 'Alert history in your area, newest first; filters combine with AND (alerts:read)',
          parameters: queryParams(AlertQuerySchema),
          responses: {
            '200': json(pageOf(AlertSchema), 'a page of alerts'),
            '403': errorResponse('not allowed'),
          },
        },
      },
      '/api/v1/alerts/stats': {
        get: {
          summary:
            'Alert counts per severity, MTTA and MTTR per hour, day or week (Asia/Shanghai) (alerts:read)',
          parameters: queryParams(AlertStatsQuerySchema),
          responses: {
            '200': json(AlertStatsResponseSchema, 'statistics'),
            '403': errorResponse('not allowed'),
          },
        },
      },
      '/api/v1/alerts/{id}': {
        get: {
          summary: 'One alert with its event history (alerts:read)',
          parameters: [idParam('id', 'alert id')],
          responses: {
            '200': json(AlertDetailSchema, 'the alert'),
            '404': errorResponse('no such alert in your area'),
          },
        },
      },
      '/api/v1/alerts/{id}/acknowledge': {
        post: {
          summary: '确认 — acknowledge a firing alert with a comment (alerts:handle); audited',
          parameters: [idParam('id', 'alert id')],
          requestBody: { required: false, ...json(AlertCommentSchema, 'comment', 'input') },
          responses: {
            '200': json(AlertSchema, 'acknowledged'),
            '404': errorResponse('no such alert in your area'),
            '409': errorResponse('the alert is not firing'),
          },
        },
      },
      '/api/v1/alerts/{id}/close': {
        post: {
          summary: 'Close a resolved alert (alerts:handle); audited',
          parameters: [idParam('id', 'alert id')],
          requestBody: { required: false, ...json(AlertCommentSchema, 'comment', 'input') },
          responses: {
            '200': json(AlertSchema, 'closed'),
            '404': errorResponse('no such alert in your area'),
            '409': errorResponse('the alert is not resolved'),
          },
        },
      },
      '/api/v1/alerts/{id}/work-order': {
        post: {
          summary: 'Link the alert to the work order dispatched for it (alerts:handle); audited',
          parameters: [idParam('id', 'alert id')],
          requestBody: { required: true, ...json(AlertLinkWorkOrderSchema, 'the work order', 'input') },
          responses: {
            '200': json(AlertSchema, 'linked'),
            '404': errorResponse('no such alert in your area'),
            '409': errorResponse('the alert is closed'),
          },
        },
      },
      '/api/v1/silences': {
        get: {
          summary: '静默 — silences (maintenance windows), default scheduled and active (alerts:read)',
          parameters: queryParams(SilenceQuerySchema),
          responses: { '200': json(pageOf(SilenceSchema), 'silences'), '403': errorResponse('not allowed') },
        },
        post: {
          summary:
            'Silence alerts matching labels, once or weekly (alerts:silence); muted alerts stay stored and visible; audited',
          requestBody: {
            required: true,
            ...json(SilenceDraftSchema, 'matchers, schedule, comment', 'input'),
          },
          responses: {
            '201': json(SilenceSchema, 'created'),
            '400': errorResponse('invalid silence; details name each field'),
            '403': errorResponse('not allowed, or outside the part of the city you cover'),
          },
        },
      },
      '/api/v1/silences/{id}': {
        get: {
          summary: 'One silence (alerts:read)',
          parameters: [idParam('id', 'silence id')],
          responses: { '200': json(SilenceSchema, 'the silence'), '404': errorResponse('no such silence') },
        },
        put: {
          summary: 'Change what or when a silence mutes (alerts:silence); audited',
          parameters: [idParam('id', 'silence id')],
          requestBody: {
            required: true,
            ...json(SilenceDraftSchema, 'matchers, schedule, comment', 'input'),
          },
          responses: {
            '200': json(SilenceSchema, 'changed'),
            '404': errorResponse('no such silence'),
            '409': errorResponse('the silence has expired'),
          },
        },
        delete: {
          summary: 'End a silence now (alerts:silence); its open alerts are announced again; audited',
          parameters: [idParam('id', 'silence id')],
          responses: {
            '200': json(SilenceSchema, 'expired'),
            '404': errorResponse('no such silence'),
            '409': errorResponse('already expired'),
          },
        },
      },
      '/api/v1/inhibitions': {
        get: {
          summary: '抑制 — inhibition rules (alerts:read)',
          responses: {
            '200': json(pageOf(InhibitionSchema), 'inhibition rules'),
            '403': errorResponse('not allowed'),
          },
        },
        post: {
          summary: 'Create an inhibition rule (rules:manage); applies live; audited',
          requestBody: { required: true, ...json(InhibitionDraftSchema, 'source, target, equal', 'input') },
          responses: {
            '201': json(InhibitionSchema, 'created'),
            '400': errorResponse('invalid rule'),
            '409': errorResponse('the id is taken'),
          },
        },
      },
      '/api/v1/inhibitions/{id}': {
        put: {
          summary: 'Replace an inhibition rule (rules:manage); audited',
          parameters: [idParam('id', 'inhibition rule id')],
          requestBody: { required: true, ...json(InhibitionDraftSchema, 'source, target, equal', 'input') },
          responses: { '200': json(InhibitionSchema, 'replaced'), '404': errorResponse('no such rule') },
        },
        delete: {
          summary: 'Delete an inhibition rule (rules:manage); audited',
          parameters: [idParam('id', 'inhibition rule id')],
          responses: { '204': { description: 'deleted' }, '404': errorResponse('no such rule') },
        },
      },
      '/api/v1/incidents': {
        get: {
          summary: '事件 — incidents (correlated alerts) in your area, newest first (alerts:read)',
          parameters: queryParams(IncidentQuerySchema),
          responses: {
            '200': json(pageOf(IncidentSchema), 'a page of incidents'),
            '403': errorResponse('not allowed'),
          },
        },
      },
      '/api/v1/incidents/{id}': {
        get: {
          summary: 'One incident with its alerts (alerts:read)',
          parameters: [idParam('id', 'incident id')],
          responses: {
            '200': json(IncidentDetailSchema, 'the incident'),
            '404': errorResponse('no such incident in your area'),
          },
        },
      },
      '/api/v1/rule-kinds': {
        get: {
          summary: 'Rule kinds with the JSON Schema of their params, for rule forms (rules:read)',
          responses: {
            '200': json(pageOf(RuleKindInfoSchema), 'every kind'),
            '403': errorResponse('not allowed'),
          },
        },
      },
      '/api/v1/rules': {
        get: {
          summary: 'Current version of every rule (rules:read)',
          responses: { '200': json(pageOf(RuleSchema), 'all rules'), '403': errorResponse('not allowed') },
        },
        post: {
          summary: 'Create a rule (rules:manage); applies live; versioned and audited',
          requestBody: {
            required: true,
            ...json(RuleCreateBodySchema, '{ rule: RuleDraft, reason }', 'input'),
          },
          responses: {
            '201': json(RuleSchema, 'created (version 1)'),
            '400': errorResponse('invalid rule; details name each field'),
            '409': errorResponse('the id is taken'),
          },
        },
      },
      '/api/v1/rules/backtest': {
        post: {
          summary:
            'Backtest (rules:manage): replay stored raw readings over [from, to) (≤ 31 days, within raw retention) through a rule document or a stored rule, enabled or not, and list the alerts it would have raised. Bounded by a reading cap and a time budget (truncated answers say where they stopped)',
          requestBody: {
            required: true,
            ...json(RuleBacktestBodySchema, '{ rule | ruleId, from, to, sensorIds? }', 'input'),
          },
          responses: {
            '200': json(RuleBacktestResultSchema, 'the alerts the rule would have raised'),
            '400': errorResponse('invalid rule or range; details name each field'),
            '403': errorResponse('not allowed, or a sensor outside your area'),
            '404': errorResponse('no such rule (ruleId)'),
            '503': errorResponse('too many backtests running; retry after Retry-After seconds'),
          },
        },
      },
      '/api/v1/rules/{id}': {
        get: {
          summary: 'Current version of a rule (rules:read)',
          parameters: [idParam('id', 'rule id')],
          responses: { '200': json(RuleSchema, 'the rule'), '404': errorResponse('no such rule') },
        },
        put: {
          summary: 'Replace a rule with a new version (rules:manage); unchanged rules keep their state',
          parameters: [idParam('id', 'rule id')],
          requestBody: {
            required: true,
            ...json(RuleUpdateBodySchema, '{ rule, reason, expectedVersion? }', 'input'),
          },
          responses: {
            '200': json(RuleSchema, 'the new version'),
            '400': errorResponse('invalid rule'),
            '404': errorResponse('no such rule'),
            '409': errorResponse('expectedVersion is not the current version'),
          },
        },
        patch: {
          summary: 'Enable or disable a rule (rules:manage); a new version',
          parameters: [idParam('id', 'rule id')],
          requestBody: { required: true, ...json(RulePatchBodySchema, '{ enabled, reason }', 'input') },
          responses: { '200': json(RuleSchema, 'the new version'), '404': errorResponse('no such rule') },
        },
        delete: {
          summary: 'Delete a rule (rules:manage); history is kept, its open alerts resolve',
          parameters: [idParam('id', 'rule id'), ...queryParams(RuleDeleteQuerySchema)],
          responses: { '204': { description: 'deleted' }, '404': errorResponse('no such rule') },
        },
      },
      '/api/v1/rules/{id}/versions': {
        get: {
          summary: 'Every version of a rule, newest first, with who and why (rules:read)',
          parameters: [idParam('id', 'rule id')],
          responses: { '200': json(pageOf(RuleSchema), 'versions'), '404': errorResponse('no such rule') },
        },
      },
      '/api/v1/case-categories': {
        get: {
          summary:
            '案卷类别 — case categories with their skill, urgency and Open311 service code (city:read)',
          responses: {
            '200': { description: '{ items: CaseCategory[] }' },
            '403': errorResponse('not allowed'),
          },
        },
      },
      '/api/v1/work-orders': {
        get: {
          summary:
            '案卷 — work orders in your area, newest first; filters combine with AND (workOrders:read)',
          parameters: queryParams(WorkOrderQuerySchema),
          responses: {
            '200': json(pageOf(WorkOrderSchema), 'a page of work orders'),
            '400': errorResponse('bad query'),
            '403': errorResponse('not allowed'),
          },
        },
        post: {
          summary:
            '立案 — register a case; from a grid worker it is a 巡查上报 (patrol report) (workOrders:report); audited',
          requestBody: { required: true, ...json(WorkOrderCreateSchema, 'the case', 'input') },
          responses: {
            '201': json(
              WorkOrderSchema,
              'registered (dispatched too if assigneeId was given or auto-dispatch applies)',
            ),
            '400': errorResponse('invalid case; details name each field'),
            '403': errorResponse('not allowed, or outside the part of the city you cover'),
          },
        },
      },
      '/api/v1/work-orders/kpis': {
        get: {
          summary:
            '考核 — KPIs (结案率, 按期结案率, 返工率, response and handling times) per worker, cell, district, category or period; default the last 30 days (kpis:read)',
          parameters: queryParams(KpiQuerySchema),
          responses: {
            '200': json(KpiResponseSchema, 'one row per group'),
            '400': errorResponse('bad query'),
            '403': errorResponse('not allowed'),
          },
        },
      },
      '/api/v1/work-orders/{id}': {
        get: {
          summary:
            '案卷详情 — one work order with its timeline, linked alert, whether the sensor still breaches, and photos (workOrders:read; photos only for roles cleared for sensitive data and the assigned worker, else photosWithheld)',
          parameters: [idParam('id', 'work order id')],
          responses: {
            '200': json(WorkOrderDetailSchema, 'the case'),
            '404': errorResponse('no such work order in your area'),
          },
        },
      },
      '/api/v1/work-orders/{id}/suggestions': {
        get: {
          summary:
            '派遣建议 — grid workers for a case, best first, with the reasons (coverage, duty, skill, distance, load) (workOrders:dispatch)',
          parameters: [idParam('id', 'work order id'), ...queryParams(SuggestQuerySchema)],
          responses: {
            '200': json(z.object({ items: z.array(DispatchSuggestionSchema) }), 'ranked workers'),
            '400': errorResponse('bad query'),
            '404': errorResponse('no such work order in your area'),
          },
        },
      },
      ...workOrderCommandPaths(),
      '/api/v1/alerts/{id}/dispatch': dispatchFromPath(
        '告警派单',
        'an alert',
        'alert',
        'the alert is closed, or already handled as an open case',
      ),
      '/api/v1/incidents/{id}/dispatch': dispatchFromPath(
        '事件派单',
        'an incident',
        'incident',
        'the incident is resolved, or one of its alerts is already handled as an open case',
      ),
      '/api/v1/photos': {
        post: {
          summary:
            '照片 — upload a photo as the raw image body (JPEG, PNG or WEBP, type checked from the bytes); EXIF position and time are kept, else the lng/lat/takenAt sent with it; X-Client-Key makes a retry return the same photo (workOrders:report)',
          parameters: [
            ...queryParams(PhotoQuerySchema),
            {
              name: 'X-Client-Key',
              in: 'header',
              required: false,
              schema: { type: 'string', minLength: 8, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' },
              description: 'idempotency key chosen by the client (its offline-queue entry id)',
            },
          ],
          requestBody: { required: true, ...binary('the image') },
          responses: {
            '201': json(PhotoSchema, 'stored (or the photo stored before under the same X-Client-Key)'),
            '400': errorResponse('bad query or header, or not a readable image'),
            '413': errorResponse('the image is too large'),
            '415': errorResponse('not a JPEG, PNG or WEBP image'),
          },
        },
      },
      '/api/v1/photos/{id}': {
        get: {
          summary:
            'One photo: the image itself (workOrders:read); yours, or of a case in your area that is assigned to you or, for roles cleared for sensitive data, any',
          parameters: [idParam('id', 'photo id')],
          responses: {
            '200': binary('the image, with its content type'),
            '404': errorResponse('no such photo you may see'),
          },
        },
      },
      '/api/v1/work-order-policy': {
        get: {
          summary:
            '派遣策略 — time limits per stage and urgency, auto-dispatch, check-in radius (workOrders:read)',
          responses: {
            '200': json(WorkOrderPolicySchema, 'the policy'),
            '403': errorResponse('not allowed'),
          },
        },
        put: {
          summary: 'Replace the dispatch policy (workOrders:policy); applies to new stages at once; audited',
          requestBody: { required: true, ...json(WorkOrderPolicySchema, 'the whole policy', 'input') },
          responses: {
            '200': json(WorkOrderPolicySchema, 'the new policy'),
            '400': errorResponse('invalid policy; details name each field'),
            '403': errorResponse('not allowed'),
          },
        },
      },
      '/api/v1/worker-positions': {
        get: {
          summary: '网格员位置 — live positions of on-duty grid workers in your area (workers:read)',
          responses: {
            '200': json(
              z.object({ items: z.array(WorkerPositionSchema) }),
              'the latest position of each worker',
            ),
            '403': errorResponse('not allowed'),
          },
        },
      },
      '/api/v1/me/position': {
        post: {
          summary:
            '上报位置 — a grid worker reports where they are, kept only while on duty (workOrders:work)',
          requestBody: { required: true, ...json(PositionReportSchema, 'location and accuracy', 'input') },
          responses: {
            '200': json(WorkerPositionSchema, 'recorded'),
            '400': errorResponse('invalid position'),
            '404': errorResponse('your roster entry is gone'),
            '409': errorResponse('off duty, or you are not a grid worker on the roster'),
          },
        },
      },
      '/api/v1/me/work-orders': {
        get: {
          summary:
            '我的任务 — a grid worker’s tasks: open cases assigned to them, soonest due first, then those closed in the last 7 days (workOrders:work)',
          responses: {
            '200': json(z.object({ items: z.array(WorkOrderSchema) }), 'the tasks'),
            '409': errorResponse('you are not a grid worker on the roster'),
          },
        },
      },
      '/api/v1/ingest/stats': {
        get: {
          summary: 'Ingest counters',
          responses: { '200': json(IngestStatsSchema, 'counters since start') },
        },
      },
      '/api/v1/http/refusals': {
        get: {
          summary: 'HTTP requests refused (4xx/5xx) since start, by status, reason and route',
          responses: { '200': json(HttpRefusalsSchema, 'counters since start') },
        },
      },
      '/api/v1/cluster': {
        get: {
          summary: "This node's part in the cluster: partitions held, leadership, live nodes",
          responses: { '200': json(ClusterStatusSchema, 'cluster status of the answering node') },
        },
      },
    },
  };
}
