import type { Permission } from '@shared/access';

/**
 * Every HTTP route and what it takes, in one table: a permission from the
 * matrix (shared/access.ts), `session` (any signed-in user), `device` (a
 * device key in X-Device-Key, or a session with `readings:write`) or `public`. Routers look their
 * guard up here by the same key, so a route missing from the table fails at
 * start-up, and the access tests are generated from it.
 */
export const ROUTE_ACCESS = {
  'GET /api/health': 'public',
  'GET /api/openapi.json': 'public',
  'POST /api/v1/auth/login': 'public',
  'POST /api/v1/auth/logout': 'session',
  'GET /api/v1/auth/me': 'session',
  'GET /api/v1/city': 'city:read',
  'GET /api/v1/districts': 'city:read',
  'GET /api/v1/districts/:id': 'city:read',
  'GET /api/v1/grid-cells': 'city:read',
  'GET /api/v1/grid-cells/:id': 'city:read',
  'GET /api/v1/sensors': 'sensors:read',
  'GET /api/v1/sensors/:id': 'sensors:read',
  'GET /api/v1/sensors/:id/history': 'sensors:read',
  'GET /api/v1/readings/latest': 'sensors:read',
  'POST /api/v1/readings': 'device',
  'GET /api/v1/ingest/stats': 'ingest:stats',
  'GET /api/v1/workers': 'workers:read',
  'GET /api/v1/users': 'users:read',
  'POST /api/v1/users': 'users:manage',
  'PATCH /api/v1/users/:id': 'users:manage',
  'POST /api/v1/users/:id/revoke-sessions': 'users:manage',
  'GET /api/v1/audit': 'audit:read',
  'GET /api/v1/devices': 'devices:read',
  'POST /api/v1/devices': 'devices:manage',
  'POST /api/v1/devices/:id/rotate': 'devices:manage',
  'POST /api/v1/devices/:id/revoke': 'devices:manage',
  'GET /api/v1/alerts': 'alerts:read',
  'GET /api/v1/alerts/stats': 'alerts:read',
  'GET /api/v1/alerts/:id': 'alerts:read',
  'POST /api/v1/alerts/:id/acknowledge': 'alerts:handle',
  'POST /api/v1/alerts/:id/close': 'alerts:handle',
  'POST /api/v1/alerts/:id/work-order': 'alerts:handle',
  'GET /api/v1/silences': 'alerts:read',
  'GET /api/v1/silences/:id': 'alerts:read',
  'POST /api/v1/silences': 'alerts:silence',
  'PUT /api/v1/silences/:id': 'alerts:silence',
  'DELETE /api/v1/silences/:id': 'alerts:silence',
  'GET /api/v1/inhibitions': 'alerts:read',
  'POST /api/v1/inhibitions': 'rules:manage',
  'PUT /api/v1/inhibitions/:id': 'rules:manage',
  'DELETE /api/v1/inhibitions/:id': 'rules:manage',
  'GET /api/v1/incidents': 'alerts:read',
  'GET /api/v1/incidents/:id': 'alerts:read',
  'GET /api/v1/rule-kinds': 'rules:read',
  'GET /api/v1/rules': 'rules:read',
  'GET /api/v1/rules/:id': 'rules:read',
  'GET /api/v1/rules/:id/versions': 'rules:read',
  'POST /api/v1/rules': 'rules:manage',
  'POST /api/v1/rules/backtest': 'rules:manage',
  'PUT /api/v1/rules/:id': 'rules:manage',
  'PATCH /api/v1/rules/:id': 'rules:manage',
  'DELETE /api/v1/rules/:id': 'rules:manage',
  'GET /api/v1/case-categories': 'city:read',
  'GET /api/v1/work-orders': 'workOrders:read',
  'POST /api/v1/work-orders': 'workOrders:report',
  'GET /api/v1/work-orders/kpis': 'kpis:read',
  'GET /api/v1/work-orders/:id': 'workOrders:read',
  'GET /api/v1/work-orders/:id/suggestions': 'workOrders:dispatch',
  'POST /api/v1/work-orders/:id/dispatch': 'workOrders:dispatch',
  'POST /api/v1/work-orders/:id/reassign': 'workOrders:dispatch',
  'POST /api/v1/work-orders/:id/accept': 'workOrders:work',
  'POST /api/v1/work-orders/:id/return': 'workOrders:work',
  'POST /api/v1/work-orders/:id/checkIn': 'workOrders:work',
  'POST /api/v1/work-orders/:id/report': 'workOrders:report',
  'POST /api/v1/work-orders/:id/verify': 'workOrders:dispatch',
  'POST /api/v1/work-orders/:id/evaluate': 'workOrders:dispatch',
  'POST /api/v1/work-orders/:id/escalate': 'workOrders:dispatch',
  'POST /api/v1/work-orders/:id/cancel': 'workOrders:dispatch',
  'POST /api/v1/work-orders/:id/note': 'workOrders:report',
  'POST /api/v1/alerts/:id/dispatch': 'workOrders:dispatch',
  'POST /api/v1/incidents/:id/dispatch': 'workOrders:dispatch',
  'POST /api/v1/photos': 'workOrders:report',
  'GET /api/v1/photos/:id': 'workOrders:read',
  'GET /api/v1/work-order-policy': 'workOrders:read',
  'PUT /api/v1/work-order-policy': 'workOrders:policy',
  'GET /api/v1/worker-positions': 'workers:read',
  'POST /api/v1/me/position': 'workOrders:work',
  'GET /api/v1/me/work-orders': 'workOrders:work',
  'GET /api/v1/open311/keys': 'open311:manage',
  'POST /api/v1/open311/keys': 'open311:manage',
  'POST /api/v1/open311/keys/:id/revoke': 'open311:manage',
  // Open311 GeoReport v2, outside /api. Reading is public as the spec intends; the POST is public
  // to the session guard because its credential is the `api_key` form field, which the Open311
  // service checks itself (missing: 400 naming api_key; unknown or revoked: 403).
  'GET /open311/v2/services.json': 'public',
  'GET /open311/v2/requests.json': 'public',
  'GET /open311/v2/requests/:id.json': 'public',
  'POST /open311/v2/requests.json': 'public',
} as const satisfies Record<string, Permission | 'session' | 'device' | 'public'>;

export type RouteKey = keyof typeof ROUTE_ACCESS;
export type RouteRequirement = (typeof ROUTE_ACCESS)[RouteKey];

/** Socket.IO: the handshake and every command, with the permission each takes. */
export const SOCKET_ACCESS = {
  connect: 'live:subscribe',
  'scope:set': 'live:subscribe',
  'worker:position': 'workOrders:work',
} as const satisfies Record<string, Permission>;
