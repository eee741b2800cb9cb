/**
 * Composition root: the only place that wires concrete parts together. Run it
 * (`tsx server/src/main.ts`) to start CityOps from the environment, or call
 * `startCityOps(config)` (tests do, on port 0 with a temp database).
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { startFeed, type Feed } from '../../simulators/src/feed';
import { createApp } from './app';
import { clientConfigOf } from './http/map.routes';
import { loadCityPack, resolveCityPackDir } from './cityPack/cityPack.loader';
import { loadConfig, type Config } from './config';
import { startEmbeddedBroker, type EmbeddedBroker } from './ingest/embeddedBroker';
import { startExternalMqttIngest, type ExternalMqttIngest } from './ingest/externalMqtt';
import { createLogger, type Logger } from './logger';
import { openStores } from './persistence/stores';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { ClusterNode } from './cluster/clusterNode';
import { CatalogService } from './services/catalog.service';
import { DomainEvents } from './services/events';
import { HistoryService } from './services/history.service';
import { IngestService } from './services/ingest.service';
import { IngestCounters } from './services/ingestStats';
import { EventLoopLagMonitor } from './services/eventLoopLag';
import { LatestValues } from './services/latest.service';
import { LiveService } from './services/live.service';
import { DeviceCredentialService } from './services/devices.service';
import { AuditService } from './services/audit.service';
import { IdentityService, type DemoAccount } from './services/identity.service';
import { AlertingService } from './services/alerting.service';
import { RulesService } from './services/rules.service';
import { BacktestService } from './services/backtest.service';
import { DEFAULT_RULES } from './domain/rules/defaultRules';
import { DEFAULT_INHIBITIONS } from './domain/alerts/defaultInhibitions';
import { cellNeighbours } from './domain/alerts/correlation';
import { IncidentService } from './services/incidents.service';
import { SuppressionService } from './services/suppression.service';
import { pointInPolygon } from './domain/geometry';
import type { AlertRepository, ReadingStore } from './services/ports';
import { WorkOrderService } from './services/workOrders.service';
import { ScenarioDispatchLoop } from './demo/dispatchLoop';
import { Open311Service } from './services/open311.service';
import { VitalsService } from './services/vitals.service';

const DAY_MS = 86_400_000;

export interface CityOpsHandle {
  config: Config;
  /** Base URL of HTTP and Socket.IO, e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  /** MQTT URL devices publish to: the embedded broker, or MQTT_URL. */
  mqttUrl: string;
  logger: Logger;
  store: ReadingStore;
  feed: Feed | null;
  services: CityOpsServices;
  /** The first administrator, when this start created it (its password is shown once, never stored). */
  firstAdmin: { username: string; password: string } | null;
  /** Demo accounts (demo mode only), with this start's passwords. */
  demoAccounts: DemoAccount[];
  close(): Promise<void>;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export interface StartOptions {
  logger?: Logger;
  /**
   * When a configured port is taken, listen on a free one instead of failing
   * (the demo: a laptop may already run a broker on 1883). The handle and the
   * banner say which port was used.
   */
  portFallback?: boolean;
  /**
   * Run in virtual time (the scenario runner): every service reads this clock, the engine
   * ticks only when the caller calls `services.alerting.tick()`, and no real-time timer
   * deletes or rewrites data by wall-clock age (raw retention is off).
   */
  virtualClock?: () => number;
}

/** Services an in-process tool drives directly (the scenario runner); not for request handlers. */
export interface CityOpsServices {
  alerting: AlertingService;
  alerts: AlertRepository;
  incidents: IncidentService;
  workOrders: WorkOrderService;
  open311: Open311Service;
  devices: DeviceCredentialService;
  counters: IngestCounters;
  store: ReadingStore;
}

/** How often the demo's simulated dispatcher and grid workers act, ms. */
const DEMO_LOOP_STEP_MS = 15_000;

function isAddressInUse(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
}

export async function startCityOps(config: Config, options: StartOptions = {}): Promise<CityOpsHandle> {
  const logger = options.logger ?? createLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
  const clock = options.virtualClock ?? Date.now;
  const virtual = options.virtualClock !== undefined;
  const startedAt = clock();
  const version = packageVersion();

  const retentionMs = {
    raw: config.RAW_RETENTION_DAYS * DAY_MS,
    '1m': config.ROLLUP_1M_RETENTION_DAYS * DAY_MS,
    '1h': config.ROLLUP_1H_RETENTION_DAYS * DAY_MS,
  };
  // Set once the services exist (REDIS_URL only); read by timers that run on the leader alone.
  let cluster: ClusterNode | null = null;
  const stores = await openStores(config, {
    runsRetention: () => cluster?.isLeader() ?? true,
    retentionEveryMs: virtual ? 0 : 60_000,
    retentionMs,
    onLog: (level, message) => logger[level]({ component: 'store' }, message),
  });
  if (stores.applied.length > 0)
    logger.info({ applied: stores.applied, store: stores.kind, at: stores.location }, 'database migrated');

  const events = new DomainEvents((type, err) => logger.error({ err, type }, 'event listener failed'));
  const pack = loadCityPack(resolveCityPackDir(config.CITY_PACK));
  await stores.catalog.importCityPack(pack);
  const catalog = new CatalogService(stores.catalog, events, (message, err) =>
    logger.error({ err }, message),
  );
  await catalog.load();

  const store = stores.readings;
  const latest = new LatestValues();
  latest.warm(await store.latestPerSensor());

  // Event-loop lag is real time whatever the clock (a scenario's virtual clock included).
  const eventLoopLag = new EventLoopLagMonitor();
  eventLoopLag.start();
  const counters = new IngestCounters(clock, eventLoopLag);
  const ingest = new IngestService({
    catalog,
    store,
    latest,
    events,
    counters,
    clock,
    limits: {
      maxPayloadBytes: config.MAX_PAYLOAD_BYTES,
      maxFutureMs: config.MAX_CLOCK_SKEW_SEC * 1000,
      maxAgeMs: retentionMs.raw,
      autoRegister: config.AUTO_REGISTER_SENSORS,
      writeQueueMax: config.WRITE_QUEUE_MAX,
    },
  });
  const history = new HistoryService({ catalog, store, clock, retentionMs });

  const identity = new IdentityService({
    users: stores.users,
    sessions: stores.sessions,
    events,
    clock,
    settings: {
      sessionTtlMs: config.SESSION_TTL_HOURS * 3_600_000,
      maxFailedLogins: config.LOGIN_MAX_FAILURES,
      lockMs: config.LOGIN_LOCK_MINUTES * 60_000,
    },
  });
  const audit = new AuditService({ repo: stores.audit, clock });
  const systemOrigin = { via: 'system' as const };
  // No default password anywhere: the first start creates `admin` with a configured or random one.
  const firstAdmin = await identity.ensureAdmin(config.ADMIN_INITIAL_PASSWORD);
  if (firstAdmin) {
    logger.warn({ username: firstAdmin.username }, 'created the first administrator account');
    await audit.record({
      actor: { type: 'system', id: 'first-start' },
      action: 'user.create',
      target: { type: 'user', id: firstAdmin.username },
      after: { username: firstAdmin.username, role: 'admin' },
      origin: systemOrigin,
    });
  }
  const demoAccounts = config.DEMO_FEED
    ? await identity.ensureDemoAccounts({
        workerId: catalog.listWorkers()[0]?.id ?? null,
        districtId: catalog.listDistricts()[0]?.id ?? null,
      })
    : [];
  if (demoAccounts.length > 0) {
    await audit.record({
      actor: { type: 'system', id: 'demo' },
      action: 'user.demo.issue',
      after: { accounts: demoAccounts.map((a) => ({ username: a.username, role: a.role })) },
      origin: systemOrigin,
    });
  }

  const alertRepo = stores.alerts;
  const suppression = new SuppressionService({ repo: stores.suppression, audit, clock, events });
  await suppression.load(DEFAULT_INHIBITIONS);
  const neighbours = cellNeighbours(catalog.listGridCells());
  const incidents = new IncidentService({
    repo: stores.incidents,
    events,
    clock,
    neighbours,
    windowMs: config.INCIDENT_WINDOW_S * 1000,
  });
  await incidents.load();
  // In a cluster (REDIS_URL) this node judges the sensors of the partitions it holds, and the
  // area rules while it leads; the leases are taken once everything is up (cluster.start below).
  const alertingDeps = {
    alerts: alertRepo,
    readings: store,
    ruleState: stores.ruleState,
    catalog,
    events,
    audit,
    suppression,
    incidents,
    clock,
    inPolygon: pointInPolygon,
    settings: {
      tickMs: virtual ? 0 : config.RULE_TICK_MS,
      persistMs: virtual ? 0 : config.RULE_STATE_PERSIST_MS,
      escalateRedAfterS: config.ESCALATE_RED_AFTER_S,
    },
    onError: (message: string, err: unknown) => logger.error({ err, component: 'alerting' }, message),
  };
  const clustered = config.REDIS_URL !== undefined;
  const alerting = new AlertingService({
    ...alertingDeps,
    ...(clustered && { role: { kind: 'sensors', owns: (id: string) => cluster?.owns(id) ?? false } }),
  });
  // The leader's area rules (cells, districts, the city, drawn areas): a second engine, in a cluster only.
  const areaAlerting = clustered
    ? new AlertingService({
        ...alertingDeps,
        role: { kind: 'areas', active: () => cluster?.isLeader() ?? false },
      })
    : null;
  const rules = new RulesService({
    repo: stores.rules,
    audit,
    clock,
    events,
    onChange: (current) => {
      alerting.applyRules(current);
      areaAlerting?.applyRules(current);
    },
  });
  if (config.REDIS_URL && areaAlerting) {
    cluster = new ClusterNode(
      {
        redisUrl: config.REDIS_URL,
        name: config.CLUSTER_NAME,
        ...(config.NODE_ID && { nodeId: config.NODE_ID }),
        partitions: config.CLUSTER_PARTITIONS,
        leaseMs: config.CLUSTER_LEASE_MS,
        ...(config.MQTT_URL && { mqtt: { url: config.MQTT_URL, clientId: config.MQTT_CLIENT_ID } }),
      },
      {
        events,
        latest,
        catalog,
        ingest,
        alerting,
        areaAlerting,
        log: (level, message, extra = {}) => logger[level]({ component: 'cluster', ...extra }, message),
      },
    );
  }
  const currentRules = await rules.load(DEFAULT_RULES);
  const { replayed } = await alerting.start(currentRules);
  await areaAlerting?.start(currentRules);
  if (replayed > 0) {
    logger.info(
      { replayed, component: 'alerting' },
      'judged stored readings the saved rule state had not seen',
    );
  }
  const backtest = new BacktestService({
    catalog,
    store,
    rules,
    clock,
    inPolygon: pointInPolygon,
    settings: { rawRetentionMs: retentionMs.raw },
  });

  const workOrders = new WorkOrderService({
    orders: stores.workOrders,
    photos: stores.photos,
    positions: stores.positions,
    settingsRepo: stores.settings,
    catalog,
    alerting,
    incidents,
    audit,
    events,
    neighbours,
    clock,
    settings: {
      tickMs: virtual ? 0 : config.WORK_ORDER_TICK_MS,
      maxPhotoBytes: config.MAX_PHOTO_BYTES,
      kpiPushMs: virtual ? 0 : config.KPI_PUSH_MS,
    },
    onError: (message, err) => logger.error({ err, component: 'workOrders' }, message),
    isLeader: () => cluster?.isLeader() ?? true,
  });
  await workOrders.start();
  const open311 = new Open311Service({
    repo: stores.open311,
    workOrders,
    catalog,
    audit,
    clock,
  });

  const vitals = new VitalsService({
    catalog,
    latest,
    counters,
    alerts: alertRepo,
    workOrders,
    events,
    clock,
    roads: pack.roads,
    settings: { pushMs: virtual ? 0 : config.VITALS_PUSH_MS },
    onError: (message, err) => logger.error({ err, component: 'vitals' }, message),
  });
  await vitals.start();

  let feed: Feed | null = null;
  let connections = () => 0;
  const live = new LiveService({
    catalog,
    latest,
    alerts: alertRepo,
    incidents,
    counters,
    clock,
    connections: () => connections(),
    simulated: () => feed !== null,
    vitals: (scope) => vitals.current(scope),
  });

  const devices = new DeviceCredentialService({
    repo: stores.devices,
    events,
    clock,
  });
  await devices.load();

  // Join the cluster before any ingest opens, so that every reading this node commits is on the
  // cluster's stream (its partition's owner judges it) and partitions are taken up with their state.
  await cluster?.start();
  // Cases whose alerts a kill left unlinked (two writes); repaired once the cluster hears of it.
  await workOrders.relinkAlerts();

  const mqttLog = (level: 'info' | 'warn' | 'error', message: string, extra: Record<string, unknown> = {}) =>
    logger[level]({ component: 'mqtt', ...extra }, message);
  let broker: EmbeddedBroker | null = null;
  let external: ExternalMqttIngest | null = null;
  let mqttUrl: string;
  if (config.MQTT_URL && cluster) {
    // Each lease this node holds brings its own session on the broker (cluster.start above).
    mqttUrl = config.MQTT_URL;
  } else if (config.MQTT_URL) {
    external = await startExternalMqttIngest({
      url: config.MQTT_URL,
      clientId: config.MQTT_CLIENT_ID,
      ingest,
      log: mqttLog,
    });
    mqttUrl = config.MQTT_URL;
  } else {
    const startBroker = (port: number) =>
      startEmbeddedBroker({
        host: config.MQTT_HOST,
        port,
        maxConnections: config.MQTT_MAX_CONNECTIONS,
        // The payload limit plus room for a long topic and MQTT 5 properties.
        maxPacketBytes: config.MAX_PAYLOAD_BYTES + 64 * 1024,
        ingest,
        devices,
        events,
        log: mqttLog,
      });
    try {
      broker = await startBroker(config.MQTT_PORT);
    } catch (err) {
      if (!options.portFallback || !isAddressInUse(err)) throw err;
      broker = await startBroker(0);
      logger.warn(
        { wanted: config.MQTT_PORT, port: broker.port },
        'MQTT port taken; the embedded broker uses a free port',
      );
    }
    mqttUrl = `mqtt://127.0.0.1:${broker.port}`;
  }
  const brokerHealth = () =>
    broker?.health() ??
    external?.health() ??
    (cluster
      ? { ok: true, detail: `partition sessions at ${config.MQTT_URL}` }
      : { ok: false, detail: 'no MQTT ingest configured' });

  const { server, io, broadcaster } = createApp({
    ...(cluster && {
      socketAdapter: createAdapter(cluster.socketRedis, {
        streamName: `cityops:${config.CLUSTER_NAME}:socket.io`,
        // An idle read returns within a second, so a closing adapter lets go of Redis soon.
        blockTimeInMs: 1000,
      }),
    }),
    clusterStatus: async () =>
      cluster
        ? { clustered: true, ...(await cluster.status()) }
        : {
            clustered: false,
            nodeId: 'single',
            leader: true,
            partitions: 0,
            owned: [],
            liveNodes: [],
            takenAt: {},
            bus: null,
          },
    version,
    startedAt,
    clock,
    logger,
    catalog,
    identity,
    audit,
    devices,
    alerting,
    rules,
    backtest,
    suppression,
    incidents,
    workOrders,
    open311,
    ingest,
    history,
    latest,
    live,
    vitals,
    counters,
    store,
    events,
    brokerHealth,
    mqttConnections: () => broker?.connections() ?? null,
    roads: pack.roads,
    settings: {
      maxPayloadBytes: config.MAX_PAYLOAD_BYTES,
      pushIntervalMs: config.PUSH_INTERVAL_MS,
      recoveryWindowMs: config.RECOVERY_WINDOW_MS,
      socketMaxBufferedBytes: config.SOCKET_MAX_BUFFERED_BYTES,
      clientDir: config.CLIENT_DIR,
      secureCookie: config.COOKIE_SECURE,
      loginAttemptsPerMinute: config.LOGIN_ATTEMPTS_PER_MINUTE,
      ingestRequestsPerSec: config.INGEST_HTTP_REQUESTS_PER_SEC,
      ingestMaxConcurrent: config.INGEST_HTTP_MAX_CONCURRENT,
      maxPhotoBytes: config.MAX_PHOTO_BYTES,
      clientConfig: clientConfigOf(config),
    },
  });
  connections = () => io.engine.clientsCount;
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, config.HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
  try {
    await listen(config.PORT);
  } catch (err) {
    if (!options.portFallback || !isAddressInUse(err)) throw err;
    await listen(0);
    logger.warn({ wanted: config.PORT }, 'HTTP port taken; listening on a free port');
  }
  broadcaster.start();
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  if (config.DEMO_FEED && !virtual) {
    // The built-in feed is a gateway like any other: it publishes with the simulator's credential,
    // whose secret is rotated at every start (nobody needs to know it).
    const existing = devices
      .list()
      .find((d) => d.kind === 'gateway' && d.subjectId === 'simulator' && !d.revokedAt);
    const issued = existing
      ? await devices.rotate(existing.id)
      : await devices.issue({
          kind: 'gateway',
          subjectId: 'simulator',
          name: '内置模拟器 built-in simulator',
          sensorIds: 'all',
        });
    await audit.record({
      actor: { type: 'system', id: 'demo' },
      action: existing ? 'device.credential.rotate' : 'device.credential.issue',
      target: { type: 'device', id: issued.credential.id },
      after: { kind: 'gateway', subjectId: 'simulator', sensorIds: 'all' },
      origin: systemOrigin,
    });
    feed = await startFeed({
      mqttUrl,
      username: issued.credential.id,
      password: issued.secret,
      gatewayId: 'simulator',
      pack,
      backfillMs: config.DEMO_FEED_BACKFILL_HOURS * 3_600_000,
      catchUpSpeed: config.DEMO_FEED_SPEED,
      onError: (err) => logger.warn({ err: err.message }, 'simulated feed publish failed'),
    });
    // While the backfill replays the past at speed, the wall clock would find every sensor silent.
    alerting.holdTicks(feed.caughtUp);
  }

  const services: CityOpsServices = {
    alerting,
    alerts: alertRepo,
    incidents,
    workOrders,
    open311,
    devices,
    counters,
    store,
  };

  // The demo's dispatch loop (the city day's `dispatch` section): 12345 reports arrive through
  // Open311, a simulated dispatcher sends red/orange alerts to workers, and simulated grid
  // workers handle their cases — all but the demo grid worker's, which wait for a person.
  let demoLoopTimer: NodeJS.Timeout | null = null;
  let stopped = false;
  const startedFeed = feed;
  if (startedFeed?.compiled.scenario.dispatch) {
    const loop = await ScenarioDispatchLoop.start({ url, services }, startedFeed.compiled, {
      humanWorkerIds: demoAccounts.flatMap((a) => (a.role === 'worker' && a.note ? [a.note] : [])),
    });
    let running = false;
    const step = () => {
      if (running) return;
      running = true;
      const now = clock();
      loop
        .step(now, startedFeed.scenarioTime(now))
        .catch((err: unknown) => logger.warn({ err }, 'demo dispatch loop step failed'))
        .finally(() => (running = false));
    };
    void startedFeed.caughtUp.then(() => {
      if (!stopped) demoLoopTimer = setInterval(step, DEMO_LOOP_STEP_MS);
    });
  }

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      broadcaster.stop();
      vitals.stop();
      stopped = true;
      if (demoLoopTimer) clearInterval(demoLoopTimer);
      workOrders.stop();
      if (feed) await feed.stop();
      // Stop taking readings, then let the store commit what it acknowledged.
      if (broker) await broker.close();
      if (external) await external.close();
      await new Promise<void>((resolve) => {
        void io.close(() => resolve());
      });
      await store.close();
      // Every committed reading has reached the engines: hand partitions and leadership over with
      // their state saved (a partition's MQTT session goes first; what it still delivers is
      // refused unacknowledged and redelivered to the next owner).
      await cluster?.stop();
      // After the store: readings it committed have reached the engine; save its state last.
      await alerting.stop();
      await areaAlerting?.stop();
      await stores.close();
      eventLoopLag.stop();
    })());

  return { config, url, port, mqttUrl, logger, store, feed, services, firstAdmin, demoAccounts, close };
}

async function runFromCommandLine(): Promise<void> {
  // `--demo` (what `npm start` passes), unless the environment says otherwise: the simulated
  // city feed on, starting two hours back (replayed in ~10 s) so charts have history at once,
  // and readable logs.
  const demo = process.argv.includes('--demo');
  const demoDefaults = {
    DEMO_FEED: 'true',
    DEMO_FEED_BACKFILL_HOURS: '2',
    DEMO_FEED_SPEED: '720',
    LOG_PRETTY: 'true',
  };
  const config = loadConfig(demo ? demoDefaults : {});
  const handle = await startCityOps(config, { portFallback: demo });
  const { logger } = handle;
  const shown =
    config.HOST === '0.0.0.0' || config.HOST === '::' ? `http://localhost:${handle.port}` : handle.url;
  logger.info(
    { url: shown, mqtt: handle.mqttUrl, database: config.DATABASE_URL ? 'postgresql' : config.DATABASE_FILE },
    'CityOps is running',
  );
  process.stdout.write(
    `\n  CityOps 城市运行一网统管 is running\n` +
      `  大屏 / Big screen:  ${shown}/\n` +
      `  API:               ${shown}/api/openapi.json\n` +
      `  MQTT ingest:       ${handle.mqttUrl}  (topic cityops/v1/readings/{sensorId})\n` +
      (handle.feed ? `  Feed:              simulated city day (模拟数据) is streaming\n` : '') +
      `\n`,
  );
  if (handle.firstAdmin) {
    process.stdout.write(
      `  首次启动 / First start — administrator account (shown once; change it after signing in):\n` +
        `    username: ${handle.firstAdmin.username}\n    password: ${handle.firstAdmin.password}\n\n`,
    );
  }
  if (handle.demoAccounts.length > 0) {
    process.stdout.write(
      `  ⚠ 演示账号 / DEMO ACCOUNTS — for trying CityOps only, new passwords at every demo start:\n` +
        handle.demoAccounts
          .map((a) => `    ${a.username.padEnd(24)} ${a.password}   ${a.role}${a.note ? ` (${a.note})` : ''}`)
          .join('\n') +
        `\n\n`,
    );
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    handle.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runFromCommandLine().catch((err: unknown) => {
    process.stderr.write(`CityOps failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
