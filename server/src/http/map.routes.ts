import { Router } from 'express';
import type { Road } from '@shared/schemas/cityPack.schema';
import type { ClientConfig } from '@shared/schemas/clientConfig.schema';
import { guard } from './auth';

export interface MapRoutesDeps {
  /** What dashboards are told about the deployment (map engine, Mapbox token when configured). */
  clientConfig: ClientConfig;
  /** The city pack's road network (public infrastructure: the same for every reader). */
  roads: readonly Road[];
}

/** What the dashboard map needs beyond the catalog: which engine to draw with, and the roads. */
export function mapRoutes(deps: MapRoutesDeps): Router {
  const r = Router();
  r.get('/client-config', guard('GET /api/v1/client-config'), (_req, res) => {
    res.json(deps.clientConfig);
  });
  r.get('/roads', guard('GET /api/v1/roads'), (_req, res) => {
    res.json({ items: deps.roads, total: deps.roads.length });
  });
  return r;
}

/** The map engine a config selects: Mapbox only when a token is configured. */
export function clientConfigOf(config: {
  MAPBOX_TOKEN?: string | undefined;
  MAPBOX_STYLE: string;
}): ClientConfig {
  return {
    map: config.MAPBOX_TOKEN
      ? { provider: 'mapbox', token: config.MAPBOX_TOKEN, style: config.MAPBOX_STYLE }
      : { provider: 'maplibre' },
  };
}
