import type { IngestStats } from '@shared/schemas/ingest.schema';
import type { ServerOptions } from 'socket.io';
import type { ClusterStatus } from '@shared/schemas/cluster.schema';
import { existsSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import { join, resolve } from 'node:path';
import express, { type Express } from 'express';
import type { Logger } from './logger';
import { authenticate, guard } from './http/auth';
import { authRoutes } from './http/auth.routes';
import { catalogRoutes } from './http/catalog.routes';
import { mapRoutes } from './http/map.routes';
import { securityHeaders } from './http/securityHeaders';
import { TokenBuckets } from './services/tokenBucket';
import { devicesRoutes } from './http/devices.routes';
import { alertsRoutes } from './http/alerts.routes';
import { rulesRoutes } from './http/rules.routes';
import { silencesRoutes } from './http/silences.routes';
import type { IncidentService } from './services/incidents.service';
import type { SuppressionService } from './services/suppression.service';
import type { AlertingService } from './services/alerting.service';
import type { RulesService } from './services/rules.service';
import type { BacktestService } from './services/backtest.service';
import { ApiError, clientErrorHandler, errorHandler, notFound } from './http/errors';
import { countRefusals } from './http/refusalCounting';
import { HttpRefusalCounters, UNPARSED_ROUTE } from './services/httpRefusals';
import { healthRoutes, type HealthCheck } from './http/health.routes';
import { buildOpenApi } from './http/openapi';
import { readingsRoutes } from './http/readings.routes';
import { Broadcaster } from './realtime/broadcaster';
import { createSocketServer, type CityOpsIo } from './realtime/socketServer';
import type { CatalogService } from './services/catalog.service';
import type { DomainEvents } from './services/events';
import type { HistoryService } from './services/history.service';
import type { AuditService } from './services/audit.service';
import type { DeviceCredentialService } from './services/devices.service';
import type { IdentityService } from './services/identity.service';
import type { IngestService } from './services/ingest.service';
import type { IngestCounters } from './services/ingestStats';
import type { LatestValues } from './services/latest.service';
import type { LiveService } from './services/live.service';
import type { ReadingStore } from './services/ports';
import type { WorkOrderService } from './services/workOrders.service';
import { workOrdersRoutes } from './http/workOrders.routes';
import { open311KeysRoutes, open311Routes } from './http/open311.routes';
import type { Open311Service } from './services/open311.service';
import { vitalsRoutes } from './http/vitals.routes';
import type { VitalsService } from './services/vitals.service';
import type { Road } from '@shared/schemas/cityPack.schema';
import type { ClientConfig } from '@shared/schemas/clientConfig.schema';

export interface AppDeps {
  /** Socket.IO's Redis adapter, in a cluster. */
  socketAdapter?: ServerOptions['adapter'];
  /** This node's part in the cluster (GET /api/v1/cluster). */
  clusterStatus: () => Promise<ClusterStatus>;
  version: string;
  startedAt: number;
  clock: () => number;
  logger: Logger;
  catalog: CatalogService;
  identity: IdentityService;
  audit: AuditService;
  devices: DeviceCredentialService;
  alerting: AlertingService;
  rules: RulesService;
  backtest: BacktestService;
  suppression: SuppressionService;
  incidents: IncidentService;
  workOrders: WorkOrderService;
  open311: Open311Service;
  ingest: IngestService;
  history: HistoryService;
  latest: LatestValues;
  live: LiveService;
  /** The wall's vital signs (GET /api/v1/vitals). */
  vitals: VitalsService;
  counters: IngestCounters;
  store: ReadingStore;
  events: DomainEvents;
  brokerHealth: () => HealthCheck;
  /** The embedded broker's connections (null with an external broker). */
  mqttConnections?: () => IngestStats['mqttConnections'];
  /** The city pack's roads (the catalog keeps no roads), served to the map. */
  roads: readonly Road[];
  settings: {
    maxPayloadBytes: number;
    pushIntervalMs: number;
    recoveryWindowMs: number;
    /** Pushes that may wait for one connection that stopped reading, bytes; past it the connection is closed. */
    socketMaxBufferedBytes: number;
    /** Folder of the built client; served at / when it exists. */
    clientDir: string;
    /** Mark the session cookie Secure (HTTPS deployments). */
    secureCookie: boolean;
    /** Sign-in attempts allowed per client address per minute. */
    loginAttemptsPerMinute: number;
    /** HTTP ingest requests allowed per client (device, user or address) per second. */
    ingestRequestsPerSec: number;
    /** HTTP ingest requests in progress at once before 503 `overloaded` (INGEST_HTTP_MAX_CONCURRENT). */
    ingestMaxConcurrent: number;
    /** Largest work-order photo accepted, bytes. */
    maxPhotoBytes: number;
    /** What signed-in dashboards are told (map engine); a Mapbox map also opens the CSP to Mapbox. */
    clientConfig: ClientConfig;
  };
}

export interface CityOpsApp {
  app: Express;
  server: HttpServer;
  io: CityOpsIo;
  broadcaster: Broadcaster;
}

/** Compose HTTP routes, Socket.IO and the broadcaster over the given services, without listening. */
export function createApp(deps: AppDeps): CityOpsApp {
  const app = express();
  app.disable('x-powered-by');
  // Every refused request is counted (GET /api/v1/http/refusals), whichever handler refused it.
  const refusals = new HttpRefusalCounters(deps.clock);
  app.use(countRefusals(refusals));
  app.use(
    securityHeaders({
      https: deps.settings.secureCookie,
      mapbox: deps.settings.clientConfig.map.provider === 'mapbox',
    }),
  );
  app.set('query parser', 'simple');

  const api = express.Router();
  // Every API request resolves its session first; each route's guard (ROUTE_ACCESS) decides.
  api.use(authenticate(deps.identity));
  api.use(
    healthRoutes({
      version: deps.version,
      startedAt: deps.startedAt,
      clock: deps.clock,
      broker: deps.brokerHealth,
      store: () => deps.store.health(),
      cluster: deps.clusterStatus,
    }),
  );
  const openApi = buildOpenApi(deps.version);
  api.get('/openapi.json', guard('GET /api/openapi.json'), (_req, res) => {
    res.json(openApi);
  });

  const v1 = express.Router();
  v1.use(
    readingsRoutes({
      limiter: new TokenBuckets(
        deps.settings.ingestRequestsPerSec,
        deps.settings.ingestRequestsPerSec * 2,
        deps.clock,
      ),
      ingest: deps.ingest,
      devices: deps.devices,
      history: deps.history,
      latest: deps.latest,
      catalog: deps.catalog,
      maxPayloadBytes: deps.settings.maxPayloadBytes,
      maxConcurrent: deps.settings.ingestMaxConcurrent,
    }),
  );
  // JSON bodies of the management API (ingest reads its own raw body with its own limit; so do photos).
  v1.use(express.json({ limit: '64kb' }));
  v1.use(
    authRoutes({
      identity: deps.identity,
      audit: deps.audit,
      catalog: deps.catalog,
      clock: deps.clock,
      secureCookie: deps.settings.secureCookie,
      loginAttemptsPerMinute: deps.settings.loginAttemptsPerMinute,
    }),
  );
  v1.use(devicesRoutes({ devices: deps.devices, audit: deps.audit }));
  v1.use(catalogRoutes(deps.catalog));
  v1.use(vitalsRoutes({ vitals: deps.vitals, catalog: deps.catalog }));
  v1.use(mapRoutes({ clientConfig: deps.settings.clientConfig, roads: deps.roads }));
  v1.use(alertsRoutes({ alerting: deps.alerting, audit: deps.audit, catalog: deps.catalog }));
  v1.use(rulesRoutes({ rules: deps.rules, backtest: deps.backtest, catalog: deps.catalog }));
  v1.use(silencesRoutes({ suppression: deps.suppression, incidents: deps.incidents, catalog: deps.catalog }));
  v1.use(
    workOrdersRoutes({
      workOrders: deps.workOrders,
      catalog: deps.catalog,
      maxPhotoBytes: deps.settings.maxPhotoBytes,
    }),
  );
  v1.use(open311KeysRoutes({ open311: deps.open311 }));
  v1.get('/ingest/stats', guard('GET /api/v1/ingest/stats'), (_req, res) => {
    res.json(deps.counters.snapshot(deps.store.stats(), deps.mqttConnections?.() ?? null));
  });
  v1.get('/http/refusals', guard('GET /api/v1/http/refusals'), (_req, res) => {
    res.json(refusals.snapshot());
  });
  api.use('/v1', v1);
  api.use(notFound);
  app.use('/api', api);
  // Citizens' reports (Open311 GeoReport v2): its own wire format and errors, no session.
  app.use(
    '/open311/v2',
    open311Routes({
      open311: deps.open311,
      onError: (err, req) => deps.logger.error({ err, method: req.method, url: req.url }, 'request failed'),
    }),
  );

  const clientDir = resolve(deps.settings.clientDir);
  if (existsSync(join(clientDir, 'index.html'))) {
    app.use(express.static(clientDir, { index: 'index.html', maxAge: '1h' }));
    // Client-side routes fall back to the app shell.
    app.get(/^\/(?!api\/|socket\.io\/).*/, (_req, res) => res.sendFile(join(clientDir, 'index.html')));
  } else {
    app.get('/', () => {
      throw new ApiError(
        404,
        'not_found',
        'the dashboard is not built; run npm run build (npm start does it)',
      );
    });
  }
  // Every other request gets the JSON error body too, not Express's HTML page.
  app.use(notFound);
  app.use(
    errorHandler((err, req) =>
      deps.logger.error({ err, method: req.method, url: req.url }, 'request failed'),
    ),
  );

  const server = createServer(app);
  server.on(
    'clientError',
    clientErrorHandler((status, reason) => refusals.count(UNPARSED_ROUTE, status, reason)),
  );
  const io = createSocketServer(server, {
    ...(deps.socketAdapter && { adapter: deps.socketAdapter }),
    live: deps.live,
    catalog: deps.catalog,
    identity: deps.identity,
    events: deps.events,
    workOrders: deps.workOrders,
    recoveryWindowMs: deps.settings.recoveryWindowMs,
    maxBufferedBytes: deps.settings.socketMaxBufferedBytes,
    onSlowClient: (info) =>
      deps.logger.warn(info, 'closed a live connection that stopped reading (its pushes were piling up)'),
    onError: (message, err) => deps.logger.error({ err }, message),
  });
  const broadcaster = new Broadcaster(io, deps.events, deps.catalog, deps.live, {
    pushIntervalMs: deps.settings.pushIntervalMs,
    statsIntervalMs: 1000,
  });
  return { app, server, io, broadcaster };
}
