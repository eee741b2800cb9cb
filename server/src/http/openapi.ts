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
import { CityPackMetaSchema } from '@shared/schemas/cityPack.schema';
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
import { GridCellListQuerySchema, SensorListQuerySchema } from './catalog.routes';
import { LatestQuerySchema } from './readings.routes';

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

/**
 * The OpenAPI 3 document of the HTTP API, generated from the zod schemas that
 * the routes parse with, so the two cannot drift apart.
 */
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
          responses: { '200': { description: 'the roster' }, '403': errorResponse('not allowed') },
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
      '/api/v1/ingest/stats': {
        get: {
          summary: 'Ingest counters',
          responses: { '200': json(IngestStatsSchema, 'counters since start') },
        },
      },
    },
  };
}
