import { z } from 'zod';

/**
 * Who may do what: roles, permissions and the permission matrix, declared
 * once as data. The server checks every HTTP route and socket event against
 * it, and the tests are generated from it.
 */

export const ROLES = ['admin', 'supervisor', 'operator', 'worker', 'engineer', 'viewer'] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;

/** Role names for the UI (zh first). */
export const ROLE_NAMES: Record<Role, { zh: string; en: string }> = {
  admin: { zh: '系统管理员', en: 'Administrator' },
  supervisor: { zh: '值班长', en: 'Supervisor' },
  operator: { zh: '值班员', en: 'Operator / dispatcher' },
  worker: { zh: '网格员', en: 'Grid worker' },
  engineer: { zh: '工程师', en: 'Engineer' },
  viewer: { zh: '大屏只读', en: 'Viewer (wall screen)' },
};

export const PERMISSIONS = [
  /** City pack metadata, districts, grid cells. */
  'city:read',
  /** Sensors, their latest values and history. */
  'sensors:read',
  /** Live socket: snapshots and pushed deltas. */
  'live:subscribe',
  /** Ingest counters and store health figures. */
  'ingest:stats',
  /** Post readings over HTTP as a signed-in user (replays, manual data), for any sensor. */
  'readings:write',
  /** The grid-worker roster (personal fields masked by clearance). */
  'workers:read',
  /** List users. */
  'users:read',
  /** Create users, change roles and scopes, reset passwords, revoke sessions. */
  'users:manage',
  /** List device credentials (never their secrets). */
  'devices:read',
  /** Issue, rotate and revoke device credentials. */
  'devices:manage',
  /** Query the audit log. */
  'audit:read',
  /** Alert history, details and statistics (MTTA/MTTR). */
  'alerts:read',
  /** Acknowledge and close alerts, link them to work orders. */
  'alerts:handle',
  /** Silence alerts (maintenance windows) and end silences. */
  'alerts:silence',
  /** Rules, their versions and the rule kinds. */
  'rules:read',
  /** Create, change, enable/disable and delete rules; run backtests. */
  'rules:manage',
  /** Work orders (案卷) in the caller's reach, their timelines and photos; the dispatch policy. */
  'workOrders:read',
  /** Register a case (立案, a worker's 巡查上报), upload photos, report, add notes. */
  'workOrders:report',
  /** Dispatch, reassign, verify, evaluate, escalate and cancel cases; dispatch alerts and incidents; suggestions. */
  'workOrders:dispatch',
  /** A grid worker's own tasks: accept, return, check in; report their position. */
  'workOrders:work',
  /** Change the dispatch policy (time limits, auto-dispatch, check-in radius). */
  'workOrders:policy',
  /** Work-order KPIs (结案率, 按期结案率, …) per worker, cell, district, category and period. */
  'kpis:read',
  /** Issue and revoke Open311 API keys (12345 hotline and other citizen-report clients). */
  'open311:manage',
] as const;
export const PermissionSchema = z.enum(PERMISSIONS);
export type Permission = z.infer<typeof PermissionSchema>;

/** The permission matrix. Anything not listed is denied. */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: PERMISSIONS,
  supervisor: [
    'city:read',
    'sensors:read',
    'live:subscribe',
    'ingest:stats',
    'workers:read',
    'users:read',
    'alerts:read',
    'alerts:handle',
    'alerts:silence',
    'rules:read',
    'workOrders:read',
    'workOrders:report',
    'workOrders:dispatch',
    'workOrders:policy',
    'kpis:read',
  ],
  operator: [
    'city:read',
    'sensors:read',
    'live:subscribe',
    'workers:read',
    'alerts:read',
    'alerts:handle',
    'alerts:silence',
    'rules:read',
    'workOrders:read',
    'workOrders:report',
    'workOrders:dispatch',
    'kpis:read',
  ],
  worker: [
    'city:read',
    'sensors:read',
    'live:subscribe',
    'workers:read',
    'workOrders:read',
    'workOrders:report',
    'workOrders:work',
  ],
  engineer: [
    'city:read',
    'sensors:read',
    'live:subscribe',
    'ingest:stats',
    'readings:write',
    'devices:read',
    'alerts:read',
    'alerts:silence',
    'rules:read',
    'rules:manage',
  ],
  viewer: [
    'city:read',
    'sensors:read',
    'live:subscribe',
    'workers:read',
    'alerts:read',
    'workOrders:read',
    'kpis:read',
  ],
};

export function hasPermission(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}

/**
 * Data classification (数据分级): 公开 public < 内部 internal < 敏感 sensitive
 * < 机密 secret. A field above the caller's clearance is masked or withheld.
 */
export const CLASSIFICATIONS = ['public', 'internal', 'sensitive', 'secret'] as const;
export const ClassificationSchema = z.enum(CLASSIFICATIONS);
export type Classification = z.infer<typeof ClassificationSchema>;

export const CLASSIFICATION_NAMES: Record<Classification, { zh: string; en: string }> = {
  public: { zh: '公开', en: 'Public' },
  internal: { zh: '内部', en: 'Internal' },
  sensitive: { zh: '敏感', en: 'Sensitive' },
  secret: { zh: '机密', en: 'Secret' },
};

/** Highest classification each role may see unmasked. The wall (viewer) sees no personal data. */
export const ROLE_CLEARANCE: Record<Role, Classification> = {
  admin: 'secret',
  supervisor: 'sensitive',
  operator: 'sensitive',
  worker: 'internal',
  engineer: 'internal',
  viewer: 'internal',
};

export function cleared(role: Role, level: Classification): boolean {
  return CLASSIFICATIONS.indexOf(level) <= CLASSIFICATIONS.indexOf(ROLE_CLEARANCE[role]);
}
