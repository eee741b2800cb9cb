import { z } from 'zod';
import { DEFAULT_MAPBOX_STYLE } from '@shared/schemas/clientConfig.schema';

/**
 * The only module that reads `process.env`. Every variable is documented here
 * and in `.env.example`; values are parsed once and frozen.
 */
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const ConfigSchema = z.object({
  /** HTTP + Socket.IO listen port; 0 picks a free port. */
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Listen address. */
  HOST: z.string().default('0.0.0.0'),
  /** pino level: fatal | error | warn | info | debug | trace | silent. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Pretty, human-readable logs (otherwise JSON lines). */
  LOG_PRETTY: bool.default(false),
  /** How often clock-driven rules (offline, completeness, hysteresis timers) and escalation run, ms. */
  RULE_TICK_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  /** How often changed rule-engine state (pending timers, baselines) is written to the store, ms. */
  RULE_STATE_PERSIST_MS: z.coerce.number().int().min(100).max(300_000).default(5000),
  /** A red alert not acknowledged within this many seconds escalates to supervisors (rules may override). */
  ESCALATE_RED_AFTER_S: z.coerce.number().int().min(1).max(86_400).default(300),
  /** Alerts in the same or neighbouring grid cells within this many seconds group into one incident. */
  INCIDENT_WINDOW_S: z.coerce.number().int().min(0).max(86_400).default(600),
  /**
   * PostgreSQL instead of SQLite (several nodes share one database), e.g.
   * postgres://cityops@db.internal:5432/cityops. Unset (the default): the SQLite file below.
   */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  /** Connections of this node's PostgreSQL pool (DATABASE_URL only). */
  PG_POOL_MAX: z.coerce.number().int().min(2).max(200).default(10),
  /** SQLite database file. Created with its folder when missing. */
  DATABASE_FILE: z.string().default('./data/cityops.db'),
  /** SQLite `synchronous` pragma: FULL survives power loss, NORMAL survives a process crash. */
  SQLITE_SYNCHRONOUS: z.enum(['FULL', 'NORMAL']).default('NORMAL'),
  /**
   * How long a write waits for a lock held by another connection (another process, a backup,
   * a `sqlite3` shell) before it fails with SQLITE_BUSY, ms. The server's own threads never hold
   * a lock for long; a write on the main thread blocks it for up to this long.
   */
  SQLITE_BUSY_TIMEOUT_MS: z.coerce.number().int().min(0).max(60_000).default(5000),
  /**
   * Largest size the database may grow to through reading writes, MB (0: no cap). Past it, writes
   * fail as on a full disk (SQLITE_FULL): ingest answers 503 and recovers once retention or an
   * operator frees space. Set it below the free space of the volume, so a runaway feed fills the
   * cap and not the disk everything else needs.
   */
  DATABASE_MAX_MB: z.coerce.number().min(0).default(0),
  /** Port of the embedded MQTT broker (ignored when MQTT_URL is set); 0 picks a free port. */
  MQTT_PORT: z.coerce.number().int().min(0).max(65535).default(1883),
  /** Listen address of the embedded MQTT broker. */
  MQTT_HOST: z.string().default('0.0.0.0'),
  /**
   * Open connections the embedded broker accepts; past it a new connection is closed at once and
   * counted (`mqttConnections.refused` in GET /api/v1/ingest/stats). Each connection holds at most
   * one message in progress, so this bounds the memory MQTT can take under a reconnect storm.
   */
  MQTT_MAX_CONNECTIONS: z.coerce.number().int().positive().default(50_000),
  /** External broker URL (e.g. mqtt://127.0.0.1:1883). Set it to subscribe there instead of embedding a broker. */
  MQTT_URL: z.string().url().optional(),
  /**
   * Client id of the server's persistent session on an external broker. In a cluster it is the
   * leader's session; partition n's session is `<MQTT_CLIENT_ID>-p<n>`.
   */
  MQTT_CLIENT_ID: z.string().min(1).default('cityops-server'),
  /**
   * Redis (e.g. redis://cache.internal:6379): run as one node of a cluster — dashboards on any
   * node get every node's events, sensors are judged by the node holding their partition, one
   * node leads (docs/DEPLOYMENT.md). Needs DATABASE_URL. Unset (the default): a single node.
   */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  /** Name of the cluster (its Redis keys start with `cityops:<name>:`): several clusters may share a Redis. */
  CLUSTER_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "-" or "_", at most 64')
    .default('cityops'),
  /** This node's name in the cluster (default: host name and process id). */
  NODE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,128}$/, 'letters, digits, ".", "-" or "_"')
    .optional(),
  /** Partitions the sensors are split into; every node of a cluster must use the same number. */
  CLUSTER_PARTITIONS: z.coerce.number().int().min(1).max(1024).default(16),
  /** A dead node's partitions move to the others after at most this long, ms. */
  CLUSTER_LEASE_MS: z.coerce.number().int().min(1000).max(60_000).default(5000),
  /** City pack: a name under server/citypacks/ or a path to a pack folder. */
  CITY_PACK: z.string().default('hangzhou'),
  /** Register unknown sensors on their first valid reading instead of rejecting them. */
  AUTO_REGISTER_SENSORS: bool.default(false),
  /** Largest MQTT message or HTTP body accepted, in bytes. */
  MAX_PAYLOAD_BYTES: z.coerce.number().int().positive().default(1_048_576),
  /** How far in the future an observation time may be (device clock skew), seconds. */
  MAX_CLOCK_SKEW_SEC: z.coerce.number().int().nonnegative().default(300),
  /** Keep raw readings this many days (older readings are also refused at ingest). */
  RAW_RETENTION_DAYS: z.coerce.number().positive().default(3),
  /** Keep 1-minute rollups this many days. */
  ROLLUP_1M_RETENTION_DAYS: z.coerce.number().positive().default(14),
  /** Keep 1-hour rollups this many days. */
  ROLLUP_1H_RETENTION_DAYS: z.coerce.number().positive().default(400),
  /** Longest wait before a batch of readings is committed, ms (group commit). */
  WRITE_FLUSH_MS: z.coerce.number().int().min(0).max(1000).default(5),
  /** Readings waiting to be written above which HTTP ingest answers 503 (MQTT publishers are slowed instead). */
  WRITE_QUEUE_MAX: z.coerce.number().int().positive().default(200_000),
  /** Interval of coalesced reading pushes to dashboards, ms (~10/s). */
  PUSH_INTERVAL_MS: z.coerce.number().int().min(20).max(5000).default(100),
  /**
   * Bytes of pushes that may wait for one dashboard connection that stopped reading; past it the
   * server closes that connection (the dashboard reconnects and resyncs when it reads again).
   */
  SOCKET_MAX_BUFFERED_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(4 * 1024 * 1024),
  /** Disconnections shorter than this are recovered without a new snapshot, ms. */
  RECOVERY_WINDOW_MS: z.coerce.number().int().min(0).default(30_000),
  /** Start the built-in simulated feed of the city pack (the demo `npm start` sets it). */
  DEMO_FEED: bool.default(false),
  /** Start the built-in feed this many hours in the past (history to look at right away); 0 = start now. */
  DEMO_FEED_BACKFILL_HOURS: z.coerce.number().min(0).max(48).default(0),
  /** Speed of the built-in feed's clock while it catches up from the backfill to now (then it runs live). */
  DEMO_FEED_SPEED: z.coerce.number().positive().max(3600).default(60),
  /**
   * Password of the `admin` account created on first start (when there are no users). Unset: a
   * random one is generated and printed once. There is no default password.
   */
  ADMIN_INITIAL_PASSWORD: z.string().min(12, 'at least 12 characters').optional(),
  /** A session ends after this many hours without use. */
  SESSION_TTL_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 30)
    .default(12),
  /** Mark the session cookie Secure: set true when CityOps is served over HTTPS. */
  COOKIE_SECURE: bool.default(false),
  /** Consecutive failed sign-ins that lock an account. */
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
  /** Minutes a locked account stays locked. */
  LOGIN_LOCK_MINUTES: z.coerce
    .number()
    .positive()
    .max(24 * 60)
    .default(15),
  /** Sign-in attempts allowed per client address per minute (all usernames together). */
  LOGIN_ATTEMPTS_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(20),
  /**
   * HTTP ingest requests the node reads and stores at once, all clients together; more are refused
   * at once with 503 `overloaded` and Retry-After, before their body is read. Bounds the memory and
   * the event-loop work an overload can take (docs/OPERATIONS.md, "Overload").
   */
  INGEST_HTTP_MAX_CONCURRENT: z.coerce.number().int().min(1).max(10_000).default(32),
  /** HTTP ingest requests allowed per client (device key, user or address) per second; bursts to twice that. */
  INGEST_HTTP_REQUESTS_PER_SEC: z.coerce.number().positive().max(100_000).default(200),
  /** How often work-order stage deadlines are checked (overdue flags), ms. */
  WORK_ORDER_TICK_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
  /** Work-order KPIs are pushed to the wall at most this often after a change, ms. */
  KPI_PUSH_MS: z.coerce.number().int().min(100).max(300_000).default(5000),
  /** How often the city's vitals (the wall's panels: TPI, AQI per district, counts, timeline) are computed and pushed, ms. */
  VITALS_PUSH_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
  /** Largest work-order photo accepted, bytes (phones send 2–5 MB JPEGs). */
  MAX_PHOTO_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(50 * 1024 * 1024)
    .default(10 * 1024 * 1024),
  /** Serve the built client from this folder (empty: do not serve a client). */
  CLIENT_DIR: z.string().default('./dist/client'),
  /**
   * Mapbox public access token. Unset (the default): the map is drawn by maplibre-gl from the city
   * pack with no network at all. Set: mapbox-gl v3 draws MAPBOX_STYLE, fetched from Mapbox's
   * servers under the Mapbox Terms of Service, and the CSP lets the browser reach them.
   */
  MAPBOX_TOKEN: z.string().min(1).optional(),
  /** Mapbox style URL used when MAPBOX_TOKEN is set. */
  MAPBOX_STYLE: z.string().min(1).default(DEFAULT_MAPBOX_STYLE),
});

export type Config = Readonly<z.infer<typeof ConfigSchema>>;

/** Settings that only make sense together. */
function crossCheck(config: z.infer<typeof ConfigSchema>): string[] {
  const problems: string[] = [];
  if (config.REDIS_URL && !config.DATABASE_URL)
    problems.push('REDIS_URL: a cluster needs a shared store: set DATABASE_URL (PostgreSQL) too');
  return problems;
}

/** Parse a config from an environment-like record; throws with every bad variable named. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = ConfigSchema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const problems = crossCheck(result.data);
  if (problems.length > 0)
    throw new Error(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return Object.freeze(result.data);
}

/** The process configuration: `defaults` (e.g. from a command-line mode), overridden by `process.env`. */
export function loadConfig(defaults: Record<string, string> = {}): Config {
  return parseConfig({ ...defaults, ...process.env });
}
