import { Router } from 'express';
import type { ClusterStatus } from '@shared/schemas/cluster.schema';
import { guard } from './auth';
import { markRefusal } from './refusalCounting';

export interface HealthCheck {
  ok: boolean;
  detail: string;
}

export interface HealthDeps {
  version: string;
  startedAt: number;
  clock: () => number;
  broker: () => HealthCheck;
  store: () => Promise<HealthCheck>;
  /** This node's part in the cluster (a single node reports itself). */
  cluster: () => Promise<ClusterStatus>;
}

/** Liveness (the process answers) and readiness (broker and store work): 200 when ready, 503 when not. */
export function healthRoutes(deps: HealthDeps): Router {
  const r = Router();
  r.get('/health', guard('GET /api/health'), async (_req, res) => {
    const broker = deps.broker();
    const store = await deps.store();
    const ready = broker.ok && store.ok;
    if (!ready) markRefusal(res, 'unavailable');
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ok' : 'degraded',
      live: true,
      ready,
      version: deps.version,
      uptimeSec: Math.round((deps.clock() - deps.startedAt) / 1000),
      checks: { broker, store },
    });
  });
  r.get('/v1/cluster', guard('GET /api/v1/cluster'), async (_req, res) => {
    res.json(await deps.cluster());
  });
  return r;
}
